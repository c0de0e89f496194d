using System.Buffers;
using System.Text.Json;
using Veil.Keys;

namespace Veil.Insecure;

/// <summary>
/// INSECURE: moves secrets between a keyset and cleartext. Keysets otherwise never accept or reveal cleartext
/// secrets (as Tink forbids "importing unencrypted secret key material"); this class is the one, greppable door, for
/// migrating an existing cleartext configuration into a keyset or for a deliberate, audited export.
/// </summary>
public static class InsecureCleartextKeyset
{
    /// <summary>
    /// Creates a keyset from the secrets of <paramref name="configuration"/> (current secrets become current,
    /// in-rotation ones in rotation, standard non-primary ones in rotation), wrapping each with <paramref name="kek"/>.
    /// </summary>
    /// <remarks>
    /// A standard section with more than one non-primary secret cannot be expressed (at most one is in rotation):
    /// that is an <see cref="ArgumentException"/>. The cleartext came from somewhere outside a KMS; treat it as exposed
    /// and plan to rotate to secrets generated in the keyset.
    /// </remarks>
    /// <exception cref="ArgumentException">The configuration breaks a keyset invariant.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<Keyset> ImportAsync(VeilConfiguration configuration, IKeyEncryptionKey kek, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(kek);
        Keyset keyset = Keyset.Create(kek.KeyUri);
        foreach ((SecretPath path, VectorSecret vector) in configuration.Vector)
        {
            await AddRotatableAsync(keyset, KeysetSection.Vector, path, vector.ApproximationFactor, vector.UseScalingFactor, vector.Secrets, kek, vector.Dimensions, vector.MaxNorm, cancellationToken, vector.KeyTransform).ConfigureAwait(false);
        }

        foreach ((SecretPath path, RotatableSecret secrets) in configuration.Deterministic)
        {
            await AddRotatableAsync(keyset, KeysetSection.Deterministic, path, null, false, secrets, kek, null, null, cancellationToken).ConfigureAwait(false);
        }

        if (configuration.Standard is { } standard)
        {
            foreach (IdentifiedSecret secret in standard.Secrets)
            {
                KeysetSecretState state = secret.Id == standard.PrimaryId ? KeysetSecretState.Current : KeysetSecretState.InRotation;
                await keyset.AddExistingAsync(KeysetSection.Standard, Keyset.StandardPath, null, false, secret, state, kek, null, null, cancellationToken).ConfigureAwait(false);
            }
        }

        return keyset;
    }

    /// <summary>
    /// Writes the secrets of <paramref name="keyset"/> as cleartext JSON in the shape of the CLI's <c>--config</c> file
    /// (Alloy's standalone configuration), base64 secrets included. Anyone who reads the output holds the keys.
    /// </summary>
    public static string ExportConfigurationJson(UnwrappedKeyset keyset)
    {
        ArgumentNullException.ThrowIfNull(keyset);
        VeilConfiguration configuration = keyset.Configuration;
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("vector");
            foreach ((SecretPath path, VectorSecret vector) in configuration.Vector)
            {
                writer.WriteStartObject(path.Value);
                writer.WriteNumber("approximationFactor", vector.ApproximationFactor);
                writer.WriteBoolean("useScalingFactor", vector.UseScalingFactor);
                if (vector.KeyTransform != VectorKeyTransform.AlloyPermutation)
                {
                    // Alloy does not know the property, so it refuses the file rather than misreading the key.
                    writer.WriteString("keyTransform", KeysetNames.Of(vector.KeyTransform));
                }

                WriteRotatable(writer, vector.Secrets);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteStartObject("deterministic");
            foreach ((SecretPath path, RotatableSecret secrets) in configuration.Deterministic)
            {
                writer.WriteStartObject(path.Value);
                WriteRotatable(writer, secrets);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            if (configuration.Standard is { } standard)
            {
                writer.WriteStartObject("standard");
                if (standard.PrimaryId is { } primary)
                {
                    writer.WriteNumber("primaryId", primary.Value);
                }

                writer.WriteStartArray("secrets");
                foreach (IdentifiedSecret secret in standard.Secrets)
                {
                    WriteSecret(writer, secret);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private static async Task AddRotatableAsync(Keyset keyset, KeysetSection section, SecretPath path, float? beta, bool scaling, RotatableSecret secrets, IKeyEncryptionKey kek, int? dimensions, float? maxNorm, CancellationToken cancellationToken, VectorKeyTransform keyTransform = VectorKeyTransform.AlloyPermutation)
    {
        if (secrets.Current is { } current)
        {
            await keyset.AddExistingAsync(section, path, beta, scaling, current, KeysetSecretState.Current, kek, dimensions, maxNorm, cancellationToken, keyTransform).ConfigureAwait(false);
        }

        if (secrets.InRotation is { } inRotation)
        {
            await keyset.AddExistingAsync(section, path, beta, scaling, inRotation, KeysetSecretState.InRotation, kek, dimensions, maxNorm, cancellationToken, keyTransform).ConfigureAwait(false);
        }
    }

    private static void WriteRotatable(Utf8JsonWriter writer, RotatableSecret secrets)
    {
        if (secrets.Current is { } current)
        {
            writer.WritePropertyName("current");
            WriteSecret(writer, current);
        }

        if (secrets.InRotation is { } inRotation)
        {
            writer.WritePropertyName("inRotation");
            WriteSecret(writer, inRotation);
        }
    }

    private static void WriteSecret(Utf8JsonWriter writer, IdentifiedSecret secret)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", secret.Id.Value);
        writer.WriteBase64String("secret", secret.Secret.Span);
        writer.WriteEndObject();
    }
}
