using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Veil.Service;

/// <summary>
/// The clients allowed to call the service, read from a clients file. Only the SHA-256 of each API key is stored; API
/// keys are high-entropy random strings (see <see cref="GenerateApiKey"/>), so an unsalted hash is enough, and a
/// presented key is compared against every stored hash in constant time.
/// </summary>
/// <example>
/// <code>
/// {"clients":[{"name":"search-frontend","keySha256":"&lt;64 hex&gt;","tenants":["acme"],"secretPaths":["docs"],
///   "operations":["vector.query","field.query"],"rateLimit":{"itemsPerSecond":100,"burst":200},"quota":{"maxItems":1000000}}]}
/// </code>
/// </example>
public sealed class ServiceClients
{
    private readonly List<(byte[] Hash, ClientPolicy Policy)> _clients;

    private ServiceClients(List<(byte[] Hash, ClientPolicy Policy)> clients) => _clients = clients;

    /// <summary>The configured clients' policies.</summary>
    public IReadOnlyList<ClientPolicy> Policies => _clients.Select(c => c.Policy).ToArray();

    /// <summary>A new API key: 32 bytes from the OS CSPRNG, base64url, prefixed <c>veil_</c>.</summary>
    public static string GenerateApiKey() =>
        "veil_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The lowercase hex SHA-256 of <paramref name="apiKey"/>, as stored in the clients file.</summary>
    public static string HashApiKey(string apiKey)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));
    }

    /// <summary>Builds the client list from policies.</summary>
    /// <exception cref="FormatException">A policy is invalid (hash not 64 hex digits, duplicate name, no operations…).</exception>
    public static ServiceClients Create(IEnumerable<ClientPolicy> policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var clients = new List<(byte[] Hash, ClientPolicy Policy)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (ClientPolicy policy in policies)
        {
            if (string.IsNullOrEmpty(policy.Name) || !names.Add(policy.Name))
            {
                throw new FormatException($"Client names must be present and unique ('{policy.Name}').");
            }

            if (policy.KeySha256 is not { Length: 64 })
            {
                throw new FormatException($"Client '{policy.Name}': \"keySha256\" must be the 64 hex digits of the API key's SHA-256.");
            }

            byte[] hash;
            try
            {
                hash = Convert.FromHexString(policy.KeySha256);
            }
            catch (FormatException e)
            {
                throw new FormatException($"Client '{policy.Name}': \"keySha256\" is not hex.", e);
            }

            foreach (string operation in policy.Operations)
            {
                if (operation != "*" && !ServiceOperations.All.Contains(operation))
                {
                    throw new FormatException($"Client '{policy.Name}': unknown operation '{operation}' (known: {string.Join(", ", ServiceOperations.All)}, *).");
                }
            }

            clients.Add((hash, policy));
        }

        return new ServiceClients(clients);
    }

    /// <summary>Parses a clients file's JSON.</summary>
    /// <exception cref="FormatException">The JSON is malformed or a policy is invalid.</exception>
    public static ServiceClients Parse(string json)
    {
        ClientsFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ClientsFile>(json, ClientsFileJson);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The clients file is not valid JSON: {e.Message}", e);
        }

        return Create(file?.Clients ?? throw new FormatException("The clients file has no \"clients\" array."));
    }

    /// <summary>Reads and parses a clients file.</summary>
    public static ServiceClients Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>The client whose key is <paramref name="apiKey"/>, or null. Every stored hash is compared, in constant time.</summary>
    public ClientPolicy? Authenticate(string? apiKey)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            return null;
        }

        byte[] presented = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));
        ClientPolicy? found = null;
        foreach ((byte[] hash, ClientPolicy policy) in _clients)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hash))
            {
                found = policy;
            }
        }

        return found;
    }

    private static readonly JsonSerializerOptions ClientsFileJson = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private sealed class ClientsFile
    {
        public List<ClientPolicy>? Clients { get; set; }
    }
}

/// <summary>One client: its API key hash and what it may do. <c>"*"</c> in a list allows anything.</summary>
public sealed class ClientPolicy
{
    /// <summary>The name written to the audit log.</summary>
    public string Name { get; set; } = "";

    /// <summary>Lowercase hex SHA-256 of the API key (<see cref="ServiceClients.HashApiKey"/>).</summary>
    public string KeySha256 { get; set; } = "";

    /// <summary>Tenants the client may use.</summary>
    public IList<string> Tenants { get; init; } = [];

    /// <summary>Vector and deterministic secret paths the client may use (documents have none).</summary>
    public IList<string> SecretPaths { get; init; } = [];

    /// <summary>Operations such as <c>vector.query</c> (see <see cref="ServiceOperations.All"/>).</summary>
    public IList<string> Operations { get; init; } = [];

    /// <summary>Token bucket counting items (vectors, values, documents); null for no limit.</summary>
    public RateLimitPolicy? RateLimit { get; set; }

    /// <summary>Total items for the life of the process; null for no quota.</summary>
    public QuotaPolicy? Quota { get; set; }

    internal static bool Allows(IList<string> list, string value) => list.Contains("*") || list.Contains(value);

    /// <inheritdoc/>
    public override string ToString() => $"ClientPolicy {Name}";
}

/// <summary>A token bucket over items: <see cref="ItemsPerSecond"/> refill, up to <see cref="Burst"/>.</summary>
public sealed class RateLimitPolicy
{
    /// <summary>Sustained items per second.</summary>
    public double ItemsPerSecond { get; set; }

    /// <summary>Bucket size: the most items one request, or a burst of requests, may use at once.</summary>
    public double Burst { get; set; }
}

/// <summary>A hard cap on items.</summary>
public sealed class QuotaPolicy
{
    /// <summary>Items allowed for the life of the process.</summary>
    public long MaxItems { get; set; }
}
