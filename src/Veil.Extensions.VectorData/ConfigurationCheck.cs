using Veil.Keys;

namespace Veil.Extensions.VectorData;

/// <summary>
/// The checks the decorator's constructor makes at once, so that a configuration that cannot work fails there, naming
/// the property, instead of at the first upsert or search.
/// </summary>
internal static class ConfigurationCheck
{
    /// <summary>Refuses what no configuration of keys could serve.</summary>
    /// <exception cref="NotSupportedException">Exact re-ranking with a distance it cannot compute, or bound standard
    /// properties without local attached-document operations.</exception>
    public static void ThrowIfUnsupported<TRecord>(EncryptedRecordModel<TRecord> model, EncryptingCollectionOptions options, bool hasLocalKeys)
        where TRecord : class
    {
        if (options.ExactReranking && !options.OneWay && model.Vectors.FirstOrDefault(v => !ExactDistance.IsSupported(v.DistanceFunction)) is { } unsupported)
        {
            throw new NotSupportedException(
                $"Exact re-ranking does not support distance function '{unsupported.DistanceFunction}' of vector property '{unsupported.Name}'; set ExactReranking to false.");
        }

        if (options.BindStandardProperties && model.Standard.Count > 0 && !hasLocalKeys)
        {
            throw new NotSupportedException(
                $"BindStandardProperties (on property '{model.Standard[0].Name}') needs local keys: construct the collection with a VeilClient. " +
                "IVeilOperations offers standard encryption in Alloy's format only, so the key service cannot bind a property to its record.");
        }
    }

    /// <summary>Refuses a local configuration that lacks a secret the record needs.</summary>
    /// <exception cref="ArgumentException">A secret is missing; the message names the property that needs it.</exception>
    public static void ThrowIfMissingSecrets<TRecord>(VeilConfiguration configuration, EncryptedRecordModel<TRecord> model, EncryptingCollectionOptions options)
        where TRecord : class
    {
        if (model.Vectors.Count > 0 && !configuration.Vector.ContainsKey(options.VectorSecretPath))
        {
            throw new ArgumentException(
                $"Vector property '{model.Vectors[0].Name}' is encrypted with the vector secret '{options.VectorSecretPath}', which the client's configuration does not have.",
                nameof(options));
        }

        foreach (DeterministicField property in model.Deterministic)
        {
            if (!configuration.Deterministic.ContainsKey(property.SecretPath))
            {
                throw new ArgumentException(
                    $"Property '{property.Value.Name}' is encrypted deterministically with the secret '{property.SecretPath}', which the client's configuration does not have.",
                    nameof(options));
            }
        }

        if (model.Standard.Count > 0 && configuration.Standard?.Primary is null)
        {
            throw new ArgumentException(
                $"Property '{model.Standard[0].Name}' is encrypted with standard encryption, but the client's configuration has no primary standard secret.",
                nameof(options));
        }
    }
}
