using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Veil.Keys;

/// <summary>Reads and writes the <c>veil-keyset/2</c> JSON (see docs/keys.md).</summary>
/// <remarks>
/// <code>
/// {"format": "veil-keyset/2", "kekUri": "pkcs11:token=veil;object=kek",
///  "vector": {"&lt;path&gt;": {"approximationFactor": 2.0, "useScalingFactor": false, "dimensions": 384, "maxNorm": 1.001,
///             "secrets": [{"id": 1, "state": "current", "createdAt": "2026-…Z", "kekUri": "…", "wrapped": "&lt;base64&gt;"}]}},
///  "deterministic": {"&lt;path&gt;": {"secrets": [...]}},
///  "standard": {"secrets": [...]},
///  "integrity": {"kekUri": "…", "wrappedKey": "&lt;base64&gt;", "tag": "&lt;base64&gt;"}}
/// </code>
/// <c>dimensions</c>, <c>maxNorm</c> and <c>keyTransform</c> (<c>"structuredRotation"</c>; absent for Alloy's permutation) are optional. Unknown properties are errors, except those starting with <c>$</c> or <c>_</c>.
/// </remarks>
internal static class KeysetJson
{
    private static readonly JsonDocumentOptions s_options = new() { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>The paths in the order the file lists them: vector, deterministic, standard; within a section, as added.</summary>
    public static IEnumerable<KeysetPath> InFileOrder(IEnumerable<KeysetPath> paths) =>
        paths.OrderBy(p => p.Section switch { KeysetSection.Vector => 0, KeysetSection.Deterministic => 1, _ => 2 });

    public static string Write(string kekUri, IReadOnlyList<KeysetPath> paths, KeysetIntegrity? integrity)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Keyset.FormatName);
            writer.WriteString("kekUri", kekUri);
            foreach (KeysetSection section in new[] { KeysetSection.Vector, KeysetSection.Deterministic })
            {
                List<KeysetPath> inSection = paths.Where(p => p.Section == section).ToList();
                if (inSection.Count == 0)
                {
                    continue;
                }

                writer.WriteStartObject(KeysetNames.Of(section));
                foreach (KeysetPath path in inSection)
                {
                    writer.WriteStartObject(path.Path.Value);
                    if (section == KeysetSection.Vector)
                    {
                        writer.WriteNumber("approximationFactor", path.ApproximationFactor!.Value);
                        writer.WriteBoolean("useScalingFactor", path.UseScalingFactor);
                        if (path.Dimensions is { } dimensions)
                        {
                            writer.WriteNumber("dimensions", dimensions);
                        }

                        if (path.MaxNorm is { } maxNorm)
                        {
                            writer.WriteNumber("maxNorm", maxNorm);
                        }

                        // Written only when not Alloy's permutation: a reader that does not know the property refuses the file.
                        if (path.KeyTransform != VectorKeyTransform.AlloyPermutation)
                        {
                            writer.WriteString("keyTransform", KeysetNames.Of(path.KeyTransform));
                        }
                    }

                    WriteSecrets(writer, path);
                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
            }

            KeysetPath? standard = paths.FirstOrDefault(p => p.Section == KeysetSection.Standard);
            if (standard is not null)
            {
                writer.WriteStartObject("standard");
                WriteSecrets(writer, standard);
                writer.WriteEndObject();
            }

            if (integrity is not null)
            {
                writer.WriteStartObject("integrity");
                writer.WriteString("kekUri", integrity.KekUri);
                writer.WriteBase64String("wrappedKey", integrity.WrappedKey);
                writer.WriteBase64String("tag", integrity.Tag);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    /// <summary>Reads a keyset; <c>Version1</c> is true for a <see cref="Keyset.Version1FormatName"/> file (no integrity block).</summary>
    public static (string KekUri, List<KeysetPath> Paths, KeysetIntegrity? Integrity, bool Version1) Read(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, s_options);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The keyset is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            Require(root.ValueKind == JsonValueKind.Object, "the top level must be an object.");
            string? format = null;
            string? kekUri = null;
            KeysetIntegrity? integrity = null;
            var paths = new List<KeysetPath>();
            foreach (JsonProperty property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "format":
                        format = ReadString(property.Value, "format");
                        break;
                    case "kekUri":
                        kekUri = ReadString(property.Value, "kekUri");
                        break;
                    case "vector":
                        ReadSection(property.Value, KeysetSection.Vector, paths);
                        break;
                    case "deterministic":
                        ReadSection(property.Value, KeysetSection.Deterministic, paths);
                        break;
                    case "standard":
                        Require(property.Value.ValueKind == JsonValueKind.Object, "standard must be an object.");
                        paths.Add(ReadPath(property.Value, KeysetSection.Standard, string.Empty, "standard"));
                        break;
                    case "integrity":
                        integrity = ReadIntegrity(property.Value);
                        break;
                    default:
                        Unknown(property, string.Empty);
                        break;
                }
            }

            Require(format is not null, "format is required (this is not a Veil keyset).");
            bool version1 = format == Keyset.Version1FormatName;
            Require(format == Keyset.FormatName || version1, $"format is '{format}'; this version reads '{Keyset.FormatName}'.");
            Require(!string.IsNullOrWhiteSpace(kekUri), "kekUri is required.");
            Require(!version1 || integrity is null, "a veil-keyset/1 file has no integrity block.");
            Require(version1 || integrity is not null || paths.Count == 0, "integrity is required: the keyset's content is authenticated by it.");
            return (kekUri!, paths, integrity, version1);
        }
    }

    private static void WriteSecrets(Utf8JsonWriter writer, KeysetPath path)
    {
        writer.WriteStartArray("secrets");
        foreach (KeysetSecret secret in path.Secrets)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", secret.Id.Value);
            writer.WriteString("state", KeysetNames.Of(secret.State));
            writer.WriteString("createdAt", KeysetNames.Time(secret.CreatedAt));
            writer.WriteString("kekUri", secret.KekUri);
            writer.WriteBase64String("wrapped", secret.Wrapped);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void ReadSection(JsonElement element, KeysetSection section, List<KeysetPath> paths)
    {
        string name = KeysetNames.Of(section);
        Require(element.ValueKind == JsonValueKind.Object, $"{name} must be an object mapping secret paths to their secrets.");
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            Require(entry.Value.ValueKind == JsonValueKind.Object, $"{name}.\"{entry.Name}\" must be an object.");
            paths.Add(ReadPath(entry.Value, section, entry.Name, $"{name}.\"{entry.Name}\""));
        }
    }

    private static KeysetPath ReadPath(JsonElement element, KeysetSection section, string path, string where)
    {
        float? beta = null;
        bool scaling = false;
        int? dimensions = null;
        float? maxNorm = null;
        VectorKeyTransform transform = VectorKeyTransform.AlloyPermutation;
        JsonElement? secrets = null;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "approximationFactor" when section == KeysetSection.Vector:
                    Require(property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetSingle(out float f) && float.IsFinite(f) && f > 0f, $"{where}.approximationFactor must be a finite number greater than zero.");
                    beta = property.Value.GetSingle();
                    break;
                case "useScalingFactor" when section == KeysetSection.Vector:
                    Require(property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False, $"{where}.useScalingFactor must be true or false.");
                    scaling = property.Value.GetBoolean();
                    break;
                case "dimensions" when section == KeysetSection.Vector:
                    Require(property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out int d) && d > 0, $"{where}.dimensions must be an integer greater than zero.");
                    dimensions = property.Value.GetInt32();
                    break;
                case "maxNorm" when section == KeysetSection.Vector:
                    Require(property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetSingle(out float n) && float.IsFinite(n) && n > 0f, $"{where}.maxNorm must be a finite number greater than zero.");
                    maxNorm = property.Value.GetSingle();
                    break;
                case "keyTransform" when section == KeysetSection.Vector:
                    Require(
                        property.Value.ValueKind == JsonValueKind.String && KeysetNames.TryParse(property.Value.GetString(), out transform),
                        $"{where}.keyTransform must be \"alloyPermutation\" or \"structuredRotation\" (a newer Veil may know more).");
                    break;
                case "secrets":
                    Require(property.Value.ValueKind == JsonValueKind.Array, $"{where}.secrets must be an array.");
                    secrets = property.Value;
                    break;
                default:
                    Unknown(property, where);
                    break;
            }
        }

        Require(section != KeysetSection.Vector || beta is not null, $"{where}.approximationFactor is required.");
        Require(secrets is not null, $"{where}.secrets is required.");
        var result = new KeysetPath(section, new SecretPath(path), beta, scaling) { Dimensions = dimensions, MaxNorm = maxNorm, KeyTransform = transform };
        int index = 0;
        foreach (JsonElement item in secrets!.Value.EnumerateArray())
        {
            result.Secrets.Add(ReadSecret(item, string.Create(CultureInfo.InvariantCulture, $"{where}.secrets[{index}]")));
            index++;
        }

        return result;
    }

    private static KeysetSecret ReadSecret(JsonElement element, string where)
    {
        Require(element.ValueKind == JsonValueKind.Object, $"{where} must be an object.");
        uint? id = null;
        KeysetSecretState? state = null;
        DateTimeOffset? createdAt = null;
        string? kekUri = null;
        byte[]? wrapped = null;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id":
                    Require(property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetUInt32(out _), $"{where}.id must be an integer from 0 to 4294967295.");
                    id = property.Value.GetUInt32();
                    break;
                case "state":
                    state = ReadString(property.Value, where + ".state") switch
                    {
                        "pending" => KeysetSecretState.Pending,
                        "current" => KeysetSecretState.Current,
                        "inRotation" => KeysetSecretState.InRotation,
                        "retired" => KeysetSecretState.Retired,
                        _ => throw Invalid($"{where}.state must be one of pending, current, inRotation, retired."),
                    };
                    break;
                case "createdAt":
                    Require(
                        DateTimeOffset.TryParse(ReadString(property.Value, where + ".createdAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset when),
                        $"{where}.createdAt must be an ISO 8601 time.");
                    createdAt = when;
                    break;
                case "kekUri":
                    kekUri = ReadString(property.Value, where + ".kekUri");
                    break;
                case "wrapped":
                    Require(property.Value.ValueKind == JsonValueKind.String && property.Value.TryGetBytesFromBase64(out wrapped) && wrapped.Length > 0, $"{where}.wrapped must be non-empty base64.");
                    break;
                default:
                    Unknown(property, where);
                    break;
            }
        }

        Require(id is not null, $"{where}.id is required.");
        Require(state is not null, $"{where}.state is required.");
        Require(createdAt is not null, $"{where}.createdAt is required.");
        Require(!string.IsNullOrWhiteSpace(kekUri), $"{where}.kekUri is required.");
        Require(wrapped is not null, $"{where}.wrapped is required.");
        return new KeysetSecret(new KeyId(id!.Value), state!.Value, createdAt!.Value, kekUri!, wrapped!);
    }

    private static KeysetIntegrity ReadIntegrity(JsonElement element)
    {
        Require(element.ValueKind == JsonValueKind.Object, "integrity must be an object.");
        string? kekUri = null;
        byte[]? wrappedKey = null;
        byte[]? tag = null;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "kekUri":
                    kekUri = ReadString(property.Value, "integrity.kekUri");
                    break;
                case "wrappedKey":
                    Require(property.Value.ValueKind == JsonValueKind.String && property.Value.TryGetBytesFromBase64(out wrappedKey) && wrappedKey.Length > 0, "integrity.wrappedKey must be non-empty base64.");
                    break;
                case "tag":
                    Require(property.Value.ValueKind == JsonValueKind.String && property.Value.TryGetBytesFromBase64(out tag) && tag.Length == KeysetIntegrity.TagLength, "integrity.tag must be 32 bytes of base64.");
                    break;
                default:
                    Unknown(property, "integrity");
                    break;
            }
        }

        Require(!string.IsNullOrWhiteSpace(kekUri) && wrappedKey is not null && tag is not null, "integrity needs kekUri, wrappedKey and tag.");
        return new KeysetIntegrity(kekUri!, wrappedKey!, tag!);
    }

    private static string ReadString(JsonElement value, string where)
    {
        Require(value.ValueKind == JsonValueKind.String, $"{where} must be a string.");
        return value.GetString()!;
    }

    private static void Unknown(JsonProperty property, string where)
    {
        if (property.Name.StartsWith('$') || property.Name.StartsWith('_'))
        {
            return;
        }

        throw Invalid(where.Length == 0 ? $"unknown property \"{property.Name}\"." : $"unknown property {where}.\"{property.Name}\".");
    }

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw Invalid(problem);
        }
    }

    private static FormatException Invalid(string problem) => new("Invalid keyset: " + problem);
}
