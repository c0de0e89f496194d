using Veil.Keys;

namespace Veil.Documents.Store;

/// <summary>
/// Which parts of the <c>--config</c> file the store commands use: the vector secret at the collection's secret path
/// (embeddings), the deterministic secret at the same path (the filterable <c>category</c>) and the standard secrets
/// (every other metadata field).
/// </summary>
public static class StoreConfiguration
{
    /// <summary>The secret path to ingest with: the option, or the configuration's only vector path.</summary>
    /// <exception cref="DocumentStoreException">No option and not exactly one vector path.</exception>
    public static SecretPath ChooseSecretPath(VeilConfiguration configuration, string? option) =>
        option is { } path ? new SecretPath(path)
        : configuration.Vector.Count == 1 ? configuration.Vector.Keys.First()
        : configuration.Vector.Count == 0 ? throw new DocumentStoreException("Invalid configuration: the store commands need a \"vector\" section.")
        : throw new DocumentStoreException(
            $"Invalid options: the configuration has {configuration.Vector.Count} vector secret paths ({string.Join(", ", configuration.Vector.Keys.Select(k => $"\"{k}\""))}); choose one with --secret-path.");

    /// <summary>Checks that the configuration has every secret the store commands use for <paramref name="secretPath"/>.</summary>
    /// <exception cref="DocumentStoreException">A section or secret is missing; the message names it.</exception>
    public static void Check(VeilConfiguration configuration, SecretPath secretPath, bool encrypting)
    {
        if (!configuration.Vector.TryGetValue(secretPath, out VectorSecret? vector))
        {
            throw new DocumentStoreException($"Invalid configuration: the collection uses vector secret path \"{secretPath}\", which is not in the configuration's \"vector\" section.");
        }

        if (encrypting && vector.Secrets.Current is null)
        {
            throw new DocumentStoreException($"Invalid configuration: vector.\"{secretPath}\" has no current secret to encrypt with.");
        }

        if (!configuration.Deterministic.TryGetValue(secretPath, out RotatableSecret? deterministic) || (encrypting && deterministic.Current is null))
        {
            throw new DocumentStoreException(
                $"Invalid configuration: the store commands encrypt the \"category\" field deterministically with deterministic.\"{secretPath}\" (the vector's secret path), which is missing{(encrypting ? " or has no current secret" : string.Empty)}.");
        }

        if (configuration.Standard is null || (encrypting && configuration.Standard.Primary is null))
        {
            throw new DocumentStoreException(
                $"Invalid configuration: the store commands encrypt metadata fields with the \"standard\" section, which is missing{(encrypting ? " or has no primaryId" : string.Empty)}.");
        }
    }
}
