using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Veil.Protocol;

namespace Veil.Service;

/// <summary>
/// The clients allowed to call the service, read from a clients file. Only the SHA-256 of each API key is stored; API
/// keys are high-entropy random strings (see <see cref="GenerateApiKey"/>), so an unsalted hash is enough, and a
/// presented key is compared against every stored hash in constant time.
/// </summary>
/// <example>
/// <code>
/// {"clients":[{"name":"search-frontend","keySha256":"&lt;64 hex&gt;","tenants":["acme"],"secretPaths":["docs"],
///   "derivationPaths":["body"],"operations":["vector.query","field.query"],"rateLimit":{"itemsPerSecond":100,"burst":200,
///   "floatsPerSecond":38400,"floatBurst":76800},"quota":{"maxItems":1000000},"keyQuota":{"maxItems":10000}}]}
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
    /// <exception cref="FormatException">
    /// A policy is invalid (hash not 64 hex digits, duplicate name or key hash, unknown operation, impossible limits…).
    /// </exception>
    public static ServiceClients Create(IEnumerable<ClientPolicy> policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var clients = new List<(byte[] Hash, ClientPolicy Policy)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var hashes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
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

            // One key, one policy: with a duplicate, which policy a key gets would depend on the order of the file.
            if (!hashes.TryAdd(policy.KeySha256, policy.Name))
            {
                throw new FormatException($"Clients '{hashes[policy.KeySha256]}' and '{policy.Name}' have the same \"keySha256\": give each client its own API key.");
            }

            foreach (string operation in policy.Operations)
            {
                if (operation != "*" && !ServiceOperations.All.Contains(operation))
                {
                    throw new FormatException($"Client '{policy.Name}': unknown operation '{operation}' (known: {string.Join(", ", ServiceOperations.All)}, *).");
                }
            }

            policy.RateLimit?.Validate(policy.Name);
            policy.Quota?.Validate(policy.Name);
            policy.KeyQuota?.Validate(policy.Name);
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

    /// <summary>Tenants the client may use (also <c>newTenant</c> of a rotation).</summary>
    public IList<string> Tenants { get; init; } = [];

    /// <summary>Vector and deterministic secret paths the client may use (documents have none).</summary>
    public IList<string> SecretPaths { get; init; } = [];

    /// <summary>
    /// Derivation paths the client may use (documents have none). The default, <c>"*"</c>, is safe only while the
    /// service refuses <c>-</c> in tenants and derivation paths; with
    /// <see cref="VeilKeyServiceOptions.AllowHyphenatedIds"/> every client not allowed every tenant must list them.
    /// </summary>
    public IList<string> DerivationPaths { get; init; } = ["*"];

    /// <summary>Operations such as <c>vector.query</c> (see <see cref="ServiceOperations.All"/>).</summary>
    public IList<string> Operations { get; init; } = [];

    /// <summary>Token buckets over items and vector floats; null for no limit.</summary>
    public RateLimitPolicy? RateLimit { get; set; }

    /// <summary>Total items and vector floats for the life of the process (or of the limits state file); null for no quota.</summary>
    public QuotaPolicy? Quota { get; set; }

    /// <summary>
    /// Total items per derived key (tenant, secret path and derivation path; a tenant alone for documents), for the
    /// life of the process or of the limits state file: the bound on how many oracle calls the client gets per key.
    /// Null for no such quota.
    /// </summary>
    public KeyQuotaPolicy? KeyQuota { get; set; }

    internal static bool Allows(IList<string> list, string value) => list.Contains("*") || list.Contains(value);

    /// <inheritdoc/>
    public override string ToString() => $"ClientPolicy {Name}";
}

/// <summary>
/// Token buckets: <see cref="ItemsPerSecond"/>/<see cref="Burst"/> count every item (vector, field value or document),
/// and <see cref="FloatsPerSecond"/>/<see cref="FloatBurst"/> count the floats of vector items (items × dimension).
/// Either pair may be left out (no limit on that count).
/// </summary>
public sealed class RateLimitPolicy
{
    /// <summary>Sustained items per second.</summary>
    public double? ItemsPerSecond { get; set; }

    /// <summary>Item bucket size: the most items one request, or a burst of requests, may use at once.</summary>
    public double? Burst { get; set; }

    /// <summary>Sustained vector floats (items × dimension) per second.</summary>
    public double? FloatsPerSecond { get; set; }

    /// <summary>Float bucket size: the most vector floats one request, or a burst of requests, may use at once.</summary>
    public double? FloatBurst { get; set; }

    internal void Validate(string client)
    {
        CheckPair(client, ItemsPerSecond, Burst, "itemsPerSecond", "burst");
        CheckPair(client, FloatsPerSecond, FloatBurst, "floatsPerSecond", "floatBurst");
        if (ItemsPerSecond is null && FloatsPerSecond is null)
        {
            throw new FormatException($"Client '{client}': \"rateLimit\" needs \"itemsPerSecond\" and \"burst\", or \"floatsPerSecond\" and \"floatBurst\".");
        }
    }

    private static void CheckPair(string client, double? rate, double? burst, string rateName, string burstName)
    {
        if (rate is null != burst is null || rate is { } r && !(double.IsFinite(r) && r >= 0) || burst is { } b && !(double.IsFinite(b) && b >= 0))
        {
            throw new FormatException($"Client '{client}': \"rateLimit\" needs both \"{rateName}\" and \"{burstName}\", finite and not negative.");
        }
    }
}

/// <summary>Hard caps: <see cref="MaxItems"/> counts every item, <see cref="MaxFloats"/> the floats of vector items.</summary>
public sealed class QuotaPolicy
{
    /// <summary>Items allowed in all; null for no cap on items.</summary>
    public long? MaxItems { get; set; }

    /// <summary>Vector floats (items × dimension) allowed in all; null for no cap on floats.</summary>
    public long? MaxFloats { get; set; }

    internal void Validate(string client)
    {
        if (MaxItems is null && MaxFloats is null || MaxItems < 0 || MaxFloats < 0)
        {
            throw new FormatException($"Client '{client}': \"quota\" needs \"maxItems\" or \"maxFloats\", not negative.");
        }
    }
}

/// <summary>A hard cap on the items of every derived key (tenant, secret path and derivation path) a client uses.</summary>
public sealed class KeyQuotaPolicy
{
    /// <summary>Items allowed per key: each is one call of an oracle (encrypt, query, rotate) or of decryption.</summary>
    public long MaxItems { get; set; }

    internal void Validate(string client)
    {
        if (MaxItems < 0)
        {
            throw new FormatException($"Client '{client}': \"keyQuota\" needs \"maxItems\", not negative.");
        }
    }
}
