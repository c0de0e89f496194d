using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Veil.Keys;

namespace Veil.Configuration;

/// <summary>
/// Loads the <c>--config</c> file: JSON in the shape of Alloy's standalone configuration, camelCase.
/// </summary>
/// <remarks>
/// <code>
/// {"vector": {"&lt;secretPath&gt;": {"approximationFactor": 1.1, "useScalingFactor": false, "keyTransform": "structuredRotation",
///                                "current": {"id": 2, "secret": "&lt;base64&gt;"}, "inRotation": {"id": 1, "secret": "…"}}},
///  "deterministic": {"&lt;secretPath&gt;": {"current": {…}, "inRotation": {…}}},
///  "standard": {"primaryId": 10, "secrets": [{"id": 10, "secret": "&lt;base64&gt;"}]}}
/// </code>
/// Every section is optional. Ids are integers from 0 to 4294967295; negative 32-bit ids are accepted and cast to
/// unsigned, as Alloy does. Secrets are base64 and must decode to at least 32 bytes. Properties whose names start
/// with <c>$</c> or <c>_</c> (comments, schemas) are ignored; any other unknown property is an error, so that a
/// misspelt option is not silently dropped. Errors name the offending field and never contain secret values.
/// <c>keyTransform</c> is Veil's (absent: Alloy's permutation); <c>"structuredRotation"</c> keys are not
/// Alloy-compatible, and Alloy refuses a file that names one.
/// </remarks>
public static class ConfigFile
{
    private const string Prefix = "Invalid configuration: ";

    private static readonly JsonDocumentOptions s_documentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>Reads and validates the file.</summary>
    /// <exception cref="ConfigurationFileException">The file is missing, unreadable or invalid.</exception>
    public static VeilConfiguration Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigurationFileException($"Cannot read the configuration file '{path}': {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses and validates configuration JSON.</summary>
    /// <exception cref="ConfigurationFileException">The JSON is malformed or the configuration is invalid.</exception>
    public static VeilConfiguration Parse(string json, string source = "configuration")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, s_documentOptions);
        }
        catch (JsonException e)
        {
            // JsonException messages give the position only, never the content.
            throw new ConfigurationFileException($"The configuration file '{source}' is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var secrets = new List<Secret>();
            try
            {
                return ReadRoot(document.RootElement, secrets);
            }
            catch
            {
                foreach (Secret secret in secrets)
                {
                    secret.Dispose();
                }

                throw;
            }
        }
    }

    /// <summary>Zeroes every secret held by <paramref name="configuration"/>.</summary>
    public static void DisposeSecrets(VeilConfiguration configuration)
    {
        IEnumerable<IdentifiedSecret> all = configuration.Vector.Values.SelectMany(v => v.Secrets.Live)
            .Concat(configuration.Deterministic.Values.SelectMany(d => d.Live))
            .Concat(configuration.Standard?.Secrets ?? []);
        foreach (IdentifiedSecret secret in all)
        {
            secret.Secret.Dispose();
        }
    }

    private static VeilConfiguration ReadRoot(JsonElement root, List<Secret> secrets)
    {
        RequireKind(root, JsonValueKind.Object, "the top level", "an object");
        Dictionary<SecretPath, VectorSecret>? vector = null;
        Dictionary<SecretPath, RotatableSecret>? deterministic = null;
        StandardSecrets? standard = null;
        foreach (JsonProperty property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "vector":
                    vector = ReadVector(property.Value, secrets);
                    break;
                case "deterministic":
                    deterministic = ReadDeterministic(property.Value, secrets);
                    break;
                case "standard":
                    standard = property.Value.ValueKind == JsonValueKind.Null ? null : ReadStandard(property.Value, "standard", secrets);
                    break;
                default:
                    ThrowIfUnknown(property, string.Empty);
                    break;
            }
        }

        return new VeilConfiguration(vector, deterministic, standard);
    }

    private static Dictionary<SecretPath, VectorSecret>? ReadVector(JsonElement element, List<Secret> secrets) =>
        ReadSection(element, "vector", "an object mapping secret paths to vector secrets", (entry, path) =>
        {
            float? approximationFactor = null;
            bool useScalingFactor = false;
            VectorKeyTransform keyTransform = VectorKeyTransform.AlloyPermutation;
            (IdentifiedSecret? current, IdentifiedSecret? inRotation) = ReadLiveSecrets(entry, path, secrets, property =>
            {
                switch (property.Name)
                {
                    case "approximationFactor":
                        approximationFactor = ReadApproximationFactor(property.Value, path + ".approximationFactor");
                        return true;
                    case "useScalingFactor":
                        if (property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                        {
                            throw Invalid($"{path}.useScalingFactor must be true or false.");
                        }

                        useScalingFactor = property.Value.GetBoolean();
                        return true;
                    case "keyTransform":
                        if (property.Value.ValueKind != JsonValueKind.String || !KeysetNames.TryParse(property.Value.GetString(), out keyTransform))
                        {
                            throw Invalid($"{path}.keyTransform must be \"alloyPermutation\" or \"structuredRotation\".");
                        }

                        return true;
                    default:
                        return false;
                }
            });

            if (approximationFactor is not { } beta)
            {
                throw Invalid($"{path}.approximationFactor is required.");
            }

            return new VectorSecret(beta, MakeRotatable(current, inRotation, path), useScalingFactor) { KeyTransform = keyTransform };
        });

    private static Dictionary<SecretPath, RotatableSecret>? ReadDeterministic(JsonElement element, List<Secret> secrets) =>
        ReadSection(element, "deterministic", "an object mapping secret paths to rotatable secrets", (entry, path) =>
        {
            (IdentifiedSecret? current, IdentifiedSecret? inRotation) = ReadLiveSecrets(entry, path, secrets, _ => false);
            return MakeRotatable(current, inRotation, path);
        });

    /// <summary>Reads a section that maps secret paths to entries (null when the section is null).</summary>
    private static Dictionary<SecretPath, T>? ReadSection<T>(JsonElement element, string section, string expected, Func<JsonElement, string, T> readEntry)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        RequireKind(element, JsonValueKind.Object, section, expected);
        var result = new Dictionary<SecretPath, T>();
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            string path = section + "." + QuoteKey(entry.Name);
            RequireKind(entry.Value, JsonValueKind.Object, path, "an object");
            result[new SecretPath(entry.Name)] = readEntry(entry.Value, path);
        }

        return result;
    }

    /// <summary>
    /// Reads the <c>current</c> and <c>inRotation</c> secrets of an entry; other properties go to
    /// <paramref name="readOther"/>, and any it does not recognise (returns false for) is an error.
    /// </summary>
    private static (IdentifiedSecret? Current, IdentifiedSecret? InRotation) ReadLiveSecrets(JsonElement entry, string path, List<Secret> secrets, Func<JsonProperty, bool> readOther)
    {
        IdentifiedSecret? current = null;
        IdentifiedSecret? inRotation = null;
        foreach (JsonProperty property in entry.EnumerateObject())
        {
            switch (property.Name)
            {
                case "current":
                    current = ReadOptionalSecret(property.Value, path + ".current", secrets);
                    break;
                case "inRotation":
                    inRotation = ReadOptionalSecret(property.Value, path + ".inRotation", secrets);
                    break;
                default:
                    if (!readOther(property))
                    {
                        ThrowIfUnknown(property, path);
                    }

                    break;
            }
        }

        return (current, inRotation);
    }

    private static StandardSecrets ReadStandard(JsonElement element, string path, List<Secret> secrets)
    {
        RequireKind(element, JsonValueKind.Object, path, "an object");
        KeyId? primaryId = null;
        var identified = new List<IdentifiedSecret>();
        bool sawSecrets = false;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "primaryId":
                    primaryId = property.Value.ValueKind == JsonValueKind.Null ? null : ReadId(property.Value, path + ".primaryId");
                    break;
                case "secrets":
                    sawSecrets = true;
                    RequireKind(property.Value, JsonValueKind.Array, path + ".secrets", "an array");
                    int index = 0;
                    foreach (JsonElement item in property.Value.EnumerateArray())
                    {
                        string itemPath = string.Create(CultureInfo.InvariantCulture, $"{path}.secrets[{index}]");
                        IdentifiedSecret secret = ReadSecret(item, itemPath, secrets);
                        if (secret.Id.Value == 0)
                        {
                            throw Invalid($"{itemPath}.id must be greater than 0 for standard secrets.");
                        }

                        if (identified.Exists(s => s.Id == secret.Id))
                        {
                            throw Invalid($"{itemPath}.id {secret.Id} appears more than once in {path}.secrets.");
                        }

                        identified.Add(secret);
                        index++;
                    }

                    break;
                default:
                    ThrowIfUnknown(property, path);
                    break;
            }
        }

        if (!sawSecrets)
        {
            throw Invalid($"{path}.secrets is required.");
        }

        if (primaryId is { } id && !identified.Exists(s => s.Id == id))
        {
            throw Invalid($"{path}.primaryId {id} is not the id of any entry in {path}.secrets.");
        }

        return new StandardSecrets(primaryId, identified);
    }

    private static RotatableSecret MakeRotatable(IdentifiedSecret? current, IdentifiedSecret? inRotation, string path)
    {
        if (current is null && inRotation is null)
        {
            throw Invalid($"{path} needs a current secret, an inRotation secret, or both.");
        }

        if (current is not null && inRotation is not null && current.Id == inRotation.Id)
        {
            throw Invalid($"{path}.current.id and {path}.inRotation.id must differ; both are {current.Id}.");
        }

        return new RotatableSecret(current, inRotation);
    }

    private static IdentifiedSecret? ReadOptionalSecret(JsonElement element, string path, List<Secret> secrets) =>
        element.ValueKind == JsonValueKind.Null ? null : ReadSecret(element, path, secrets);

    private static IdentifiedSecret ReadSecret(JsonElement element, string path, List<Secret> secrets)
    {
        RequireKind(element, JsonValueKind.Object, path, "an object with \"id\" and \"secret\"");
        KeyId? id = null;
        JsonElement? secretValue = null;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id":
                    id = ReadId(property.Value, path + ".id");
                    break;
                case "secret":
                    secretValue = property.Value;
                    break;
                default:
                    ThrowIfUnknown(property, path);
                    break;
            }
        }

        if (id is not { } keyId)
        {
            throw Invalid($"{path}.id is required.");
        }

        if (secretValue is not { } value)
        {
            throw Invalid($"{path}.secret is required.");
        }

        Secret secret = DecodeSecret(value, path + ".secret");
        secrets.Add(secret);
        return new IdentifiedSecret(keyId, secret);
    }

    private static Secret DecodeSecret(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw Invalid($"{path} must be a base64 string.");
        }

        string text = value.GetString()!;
        byte[] buffer = new byte[(text.Length * 3 / 4) + 3];
        try
        {
            if (!Convert.TryFromBase64String(text, buffer, out int written))
            {
                throw Invalid($"{path} is not valid base64.");
            }

            if (written < Secret.MinimumLength)
            {
                throw Invalid($"{path} must decode to at least {Secret.MinimumLength} bytes; it decodes to {written}.");
            }

            return new Secret(buffer.AsSpan(0, written));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private static KeyId ReadId(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long id) && id is >= int.MinValue and <= uint.MaxValue)
        {
            // Alloy stores ids as i32 and casts them to u32: -1 is 4294967295.
            return new KeyId(unchecked((uint)id));
        }

        throw Invalid($"{path} must be an integer from 0 to 4294967295 (negative 32-bit ids are cast to unsigned).");
    }

    private static float ReadApproximationFactor(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double d))
        {
            float beta = (float)d;
            if (float.IsFinite(beta) && beta > 0f)
            {
                return beta;
            }
        }

        throw Invalid($"{path} must be a finite number greater than zero.");
    }

    private static void RequireKind(JsonElement element, JsonValueKind kind, string path, string expected)
    {
        if (element.ValueKind != kind)
        {
            throw Invalid($"{path} must be {expected}.");
        }
    }

    private static void ThrowIfUnknown(JsonProperty property, string parentPath)
    {
        if (property.Name.StartsWith('$') || property.Name.StartsWith('_'))
        {
            return;
        }

        string path = parentPath.Length == 0 ? Quote(property.Name) : parentPath + "." + Quote(property.Name);
        throw Invalid($"unknown property {path}.");
    }

    private static string Quote(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(name[0])
            ? name
            : QuoteKey(name);

    // Secret paths are user data, so they are always quoted (the empty path shows as "").
    private static string QuoteKey(string name) => "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static ConfigurationFileException Invalid(string message) => new(Prefix + message);
}
