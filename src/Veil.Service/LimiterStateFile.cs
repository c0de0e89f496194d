using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Veil.Service;

/// <summary>
/// The rate-limit and quota state of <c>veil serve</c> on disk (<c>veil-serve-limits/1</c>), so a restart neither
/// refills the buckets nor resets the quotas: <c>{"format","clients":{"name":{"tokens","refilledAt","used"}}}</c>.
/// Written to a temporary file that replaces the old one, so a crash leaves the previous state.
/// </summary>
internal static class LimiterStateFile
{
    public const string FormatName = "veil-serve-limits/1";

    /// <summary>The saved state, or nothing when the file does not exist yet.</summary>
    /// <exception cref="FormatException">The file exists but is not such a state (refusing beats silently resetting quotas).</exception>
    public static Dictionary<string, LimiterEntry> Load(string path)
    {
        var entries = new Dictionary<string, LimiterEntry>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return entries;
        }

        try
        {
            JsonObject root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new FormatException("empty");
            if ((string?)root["format"] != FormatName)
            {
                throw new FormatException($"format is not '{FormatName}'");
            }

            foreach ((string name, JsonNode? value) in root["clients"]?.AsObject() ?? [])
            {
                JsonObject client = value?.AsObject() ?? throw new FormatException($"client \"{name}\" is null");
                double tokens = client["tokens"]?.GetValue<double>() ?? throw new FormatException($"client \"{name}\" has no tokens");
                long used = client["used"]?.GetValue<long>() ?? throw new FormatException($"client \"{name}\" has no used");
                string refilled = client["refilledAt"]?.GetValue<string>() ?? throw new FormatException($"client \"{name}\" has no refilledAt");
                DateTimeOffset refilledAt = DateTimeOffset.Parse(refilled, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                if (!double.IsFinite(tokens) || used < 0)
                {
                    throw new FormatException($"client \"{name}\" has impossible values");
                }

                entries[name] = new LimiterEntry(tokens, refilledAt, used);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"The limits state file '{path}' is not a {FormatName} file ({e.Message}); fix or remove it (removing resets every client's rate limit and quota).", e);
        }

        return entries;
    }

    public static void Save(string path, IReadOnlyDictionary<string, LimiterEntry> entries)
    {
        var clients = new JsonObject();
        foreach ((string name, LimiterEntry entry) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            clients[name] = new JsonObject
            {
                ["tokens"] = entry.Tokens,
                ["refilledAt"] = entry.RefilledAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                ["used"] = entry.Used,
            };
        }

        var root = new JsonObject { ["format"] = FormatName, ["clients"] = clients };
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temporary, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, full, overwrite: true);
    }
}
