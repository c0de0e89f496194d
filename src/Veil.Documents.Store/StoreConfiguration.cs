using Veil.Keys;

namespace Veil.Documents.Store;

/// <summary>
/// Which parts of the <c>--config</c> file the store commands use: the vector secret at the collection's secret path
/// (embeddings of a DCPE collection; a sealed collection seals them with the standard secrets), the deterministic secret at the same path (the filterable <c>category</c>) and the standard secrets
/// (every other metadata field).
/// </summary>
public static class StoreConfiguration
{
    /// <summary>
    /// The secret path to ingest with: the option, or else the configuration's only vector path (DCPE) or only
    /// deterministic path (sealed: vectors are sealed with the standard secrets, and the path names the category's
    /// deterministic secret only).
    /// </summary>
    /// <exception cref="DocumentStoreException">No option and not exactly one such path.</exception>
    public static SecretPath ChooseSecretPath(VeilConfiguration configuration, string? option, CollectionMode mode = CollectionMode.Dcpe)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (option is { } path)
        {
            return new SecretPath(path);
        }

        (string section, SecretPath[] paths) = mode == CollectionMode.Sealed
            ? ("deterministic", configuration.Deterministic.Keys.ToArray())
            : ("vector", configuration.Vector.Keys.ToArray());
        return paths.Length == 1 ? paths[0]
            : paths.Length == 0 ? throw new DocumentStoreException($"Invalid configuration: the store commands need a \"{section}\" section.")
            : throw new DocumentStoreException(
                $"Invalid options: the configuration has {paths.Length} {section} secret paths ({string.Join(", ", paths.Select(k => $"\"{k}\""))}); choose one with --secret-path.");
    }

    /// <summary>
    /// Checks that the configuration has every secret the store commands use for <paramref name="secretPath"/> in
    /// <paramref name="mode"/>: the vector secret (DCPE only; a sealed collection uses none), the deterministic secret
    /// of the category and the standard secrets.
    /// </summary>
    /// <exception cref="DocumentStoreException">A section or secret is missing; the message names it.</exception>
    public static void Check(VeilConfiguration configuration, SecretPath secretPath, bool encrypting, CollectionMode mode = CollectionMode.Dcpe)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (mode == CollectionMode.Dcpe)
        {
            if (!configuration.Vector.TryGetValue(secretPath, out VectorSecret? vector))
            {
                throw new DocumentStoreException($"Invalid configuration: the collection uses vector secret path \"{secretPath}\", which is not in the configuration's \"vector\" section.");
            }

            if (encrypting && vector.Secrets.Current is null)
            {
                throw new DocumentStoreException($"Invalid configuration: vector.\"{secretPath}\" has no current secret to encrypt with.");
            }
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
