using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Veil.Service;

/// <summary>
/// The state of <c>veil serve</c> on disk (<c>veil-serve-limits/2</c>), so a restart neither refills the buckets, nor
/// resets the quotas, nor forgets the dimension each vector secret path was fixed to:
/// <c>{"format","clients":{"name":{"tokens","floatTokens","refilledAt","used","usedFloats","keys":[{"tenant",
/// "secretPath","derivationPath","used"}]}},"dimensions":{"secretPath":d}}</c>. A <c>veil-serve-limits/1</c> file
/// (no floats, keys or dimensions) is read too. Written to a temporary file that replaces the old one, so a crash
/// leaves the previous state.
/// </summary>
internal static class LimiterStateFile
{
    public const string FormatName = "veil-serve-limits/2";
    private const string FormatV1 = "veil-serve-limits/1";

    /// <summary>The saved state, or an empty one when the file does not exist yet.</summary>
    /// <exception cref="FormatException">The file exists but is not such a state (refusing beats silently resetting quotas).</exception>
    public static ServiceState Load(string path)
    {
        var state = new ServiceState(new Dictionary<string, LimiterEntry>(StringComparer.Ordinal), new Dictionary<string, int>(StringComparer.Ordinal));
        if (!File.Exists(path))
        {
            return state;
        }

        try
        {
            JsonObject root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new FormatException("empty");
            string? format = (string?)root["format"];
            if (format != FormatName && format != FormatV1)
            {
                throw new FormatException($"format is not '{FormatName}'");
            }

            foreach ((string name, JsonNode? value) in root["clients"]?.AsObject() ?? [])
            {
                JsonObject client = value?.AsObject() ?? throw new FormatException($"client \"{name}\" is null");
                double tokens = client["tokens"]?.GetValue<double>() ?? throw new FormatException($"client \"{name}\" has no tokens");
                double? floatTokens = client["floatTokens"]?.GetValue<double>();
                long used = client["used"]?.GetValue<long>() ?? throw new FormatException($"client \"{name}\" has no used");
                long usedFloats = client["usedFloats"]?.GetValue<long>() ?? 0;
                string refilled = client["refilledAt"]?.GetValue<string>() ?? throw new FormatException($"client \"{name}\" has no refilledAt");
                DateTimeOffset refilledAt = DateTimeOffset.Parse(refilled, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                var keys = new Dictionary<DerivedKey, long>();
                foreach (JsonNode? key in client["keys"]?.AsArray() ?? [])
                {
                    JsonObject k = key?.AsObject() ?? throw new FormatException($"client \"{name}\" has a null key");
                    long keyUsed = k["used"]?.GetValue<long>() ?? -1;
                    keys[new DerivedKey(Text(k, "tenant"), Text(k, "secretPath"), Text(k, "derivationPath"))] = keyUsed >= 0 ? keyUsed : throw new FormatException($"client \"{name}\" has a key without used");
                }

                if (!double.IsFinite(tokens) || floatTokens is { } f && !double.IsFinite(f) || used < 0 || usedFloats < 0)
                {
                    throw new FormatException($"client \"{name}\" has impossible values");
                }

                state.Clients[name] = new LimiterEntry(tokens, floatTokens, refilledAt, used, usedFloats, keys);
            }

            foreach ((string secretPath, JsonNode? value) in root["dimensions"]?.AsObject() ?? [])
            {
                int dimensions = value?.GetValue<int>() ?? 0;
                state.Dimensions[secretPath] = dimensions > 0 ? dimensions : throw new FormatException($"secret path \"{secretPath}\" has an impossible dimension");
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"The limits state file '{path}' is not a {FormatName} file ({e.Message}); fix or remove it (removing resets every client's rate limit and quota, and the dimensions fixed on first use).", e);
        }

        return state;

        static string Text(JsonObject key, string member) => key[member]?.GetValue<string>() ?? throw new FormatException($"a key has no {member}");
    }

    public static void Save(string path, ServiceState state)
    {
        var clients = new JsonObject();
        foreach ((string name, LimiterEntry entry) in state.Clients.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var keys = new JsonArray();
            foreach ((DerivedKey key, long used) in entry.Keys.OrderBy(k => k.Key.Tenant, StringComparer.Ordinal).ThenBy(k => k.Key.SecretPath, StringComparer.Ordinal).ThenBy(k => k.Key.DerivationPath, StringComparer.Ordinal))
            {
                keys.Add(new JsonObject { ["tenant"] = key.Tenant, ["secretPath"] = key.SecretPath, ["derivationPath"] = key.DerivationPath, ["used"] = used });
            }

            clients[name] = new JsonObject
            {
                ["tokens"] = entry.Tokens,
                ["floatTokens"] = entry.FloatTokens,
                ["refilledAt"] = entry.RefilledAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                ["used"] = entry.Used,
                ["usedFloats"] = entry.UsedFloats,
                ["keys"] = keys,
            };
        }

        var dimensions = new JsonObject();
        foreach ((string secretPath, int d) in state.Dimensions.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            dimensions[secretPath] = d;
        }

        var root = new JsonObject { ["format"] = FormatName, ["clients"] = clients, ["dimensions"] = dimensions };
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temporary, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, full, overwrite: true);
    }
}

/// <summary>What the limits state file holds: each client's limiter entry, and the dimension of each vector secret path.</summary>
internal sealed record ServiceState(Dictionary<string, LimiterEntry> Clients, Dictionary<string, int> Dimensions);
