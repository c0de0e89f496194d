using Veil.Keys;

namespace Veil.Configuration;

/// <summary>The settings of a new vector secret (null: the keyset's defaults).</summary>
/// <param name="ApproximationFactor">β; required for a new vector path.</param>
/// <param name="UseScalingFactor">Whether Scale-And-Perturb's scaling factor is on.</param>
/// <param name="Dimensions">The only vector dimension the secret accepts, or null for any.</param>
/// <param name="MaxNorm">The largest vector norm the secret accepts, or null for the default.</param>
public sealed record VectorSecretSettings(float? ApproximationFactor = null, bool? UseScalingFactor = null, int? Dimensions = null, float? MaxNorm = null);

/// <summary>
/// The lifecycle of a keyset file (<see cref="KeysetFile"/>): create it, add a secret, promote, retire, check. Each
/// change is one locked read-modify-write of the file that first verifies the keyset's authentication tag through
/// <c>kms</c> and renews it. Returns the metadata of what changed; never key material.
/// </summary>
public static class KeysetEditor
{
    /// <summary>Creates the keyset file <paramref name="file"/> (it must not exist) with a current secret for each given path.</summary>
    /// <param name="file">The keyset file to create.</param>
    /// <param name="kekUri">The key-encryption key that wraps the secrets.</param>
    /// <param name="kms">Opens (or creates) <paramref name="kekUri"/>.</param>
    /// <param name="createKek">Create the key-encryption key instead of opening an existing one.</param>
    /// <param name="vectorPaths">Vector secret paths to create.</param>
    /// <param name="vector">The settings of the vector secrets.</param>
    /// <param name="deterministicPaths">Deterministic-field secret paths to create.</param>
    /// <param name="standard">Whether to create a standard-document secret.</param>
    /// <returns>The secrets created.</returns>
    /// <exception cref="ArgumentException">Nothing to create, or vector paths without an approximation factor.</exception>
    public static IReadOnlyList<KeysetSecretInfo> Create(
        string file, string kekUri, KmsSelection kms, bool createKek, IReadOnlyList<string> vectorPaths, VectorSecretSettings vector, IReadOnlyList<string> deterministicPaths, bool standard)
    {
        ArgumentNullException.ThrowIfNull(kms);
        ArgumentNullException.ThrowIfNull(vectorPaths);
        ArgumentNullException.ThrowIfNull(vector);
        ArgumentNullException.ThrowIfNull(deterministicPaths);
        if (vectorPaths.Count + deterministicPaths.Count == 0 && !standard)
        {
            throw new ArgumentException("Give at least one vector or deterministic path, or a standard secret.", nameof(vectorPaths));
        }

        if (vectorPaths.Count > 0 && vector.ApproximationFactor is null)
        {
            throw new ArgumentException("Vector paths need an approximation factor (β).", nameof(vector));
        }

        using IKeyEncryptionKey kek = createKek ? kms.CreateKey(kekUri) : kms.GetKey(kekUri);
        Keyset keyset = Keyset.Create(kekUri);
        var added = new List<KeysetSecretInfo>();
        foreach (string path in vectorPaths)
        {
            added.Add(keyset.AddVectorSecret(path, kek, vector.ApproximationFactor, vector.UseScalingFactor ?? false, dimensions: vector.Dimensions, maxNorm: vector.MaxNorm));
        }

        foreach (string path in deterministicPaths)
        {
            added.Add(keyset.AddDeterministicSecret(path, kek));
        }

        if (standard)
        {
            added.Add(keyset.AddStandardSecret(kek));
        }

        KeysetFile.Create(keyset, file);
        return added;
    }

    /// <summary>Adds a secret to a path: pending (decrypt-only) until promoted; on a new path it is current at once.</summary>
    /// <param name="file">The keyset file.</param>
    /// <param name="kms">Verifies the keyset and opens the key-encryption key.</param>
    /// <param name="section">The kind of secret.</param>
    /// <param name="path">Its path (ignored for standard secrets).</param>
    /// <param name="vector">With <see cref="KeysetSection.Vector"/>: the new secret's settings.</param>
    /// <param name="id">The new secret's id, or null for the next free one.</param>
    /// <param name="kekUri">The key-encryption key to wrap it with, or null for the keyset's.</param>
    /// <returns>The secret added.</returns>
    public static KeysetSecretInfo Add(string file, IKmsClient kms, KeysetSection section, SecretPath path, VectorSecretSettings vector, KeyId? id = null, string? kekUri = null)
    {
        ArgumentNullException.ThrowIfNull(kms);
        ArgumentNullException.ThrowIfNull(vector);
        return KeysetFile.Update(file, keyset =>
        {
            keyset.Verify(kms);
            using IKeyEncryptionKey kek = kms.GetKey(kekUri ?? keyset.KekUri);
            return section switch
            {
                KeysetSection.Vector => keyset.AddVectorSecret(path, kek, vector.ApproximationFactor, vector.UseScalingFactor, id, vector.Dimensions, vector.MaxNorm),
                KeysetSection.Deterministic => keyset.AddDeterministicSecret(path, kek, id),
                _ => keyset.AddStandardSecret(kek, id),
            };
        });
    }

    /// <summary>Makes a secret current (see <see cref="Keyset.Promote"/>).</summary>
    /// <param name="file">The keyset file.</param>
    /// <param name="kms">Verifies the keyset.</param>
    /// <param name="section">The kind of secret.</param>
    /// <param name="path">Its path.</param>
    /// <param name="id">The secret to promote.</param>
    /// <returns>The promoted secret.</returns>
    public static KeysetSecretInfo Promote(string file, IKmsClient kms, KeysetSection section, SecretPath path, KeyId id) =>
        KeysetFile.Update(file, keyset =>
        {
            keyset.Verify(kms);
            return keyset.Promote(section, path, id);
        });

    /// <summary>Retires a secret (see <see cref="Keyset.Retire"/>): data still encrypted with it can no longer be decrypted.</summary>
    /// <param name="file">The keyset file.</param>
    /// <param name="kms">Verifies the keyset.</param>
    /// <param name="section">The kind of secret.</param>
    /// <param name="path">Its path.</param>
    /// <param name="id">The secret to retire.</param>
    /// <returns>The retired secret.</returns>
    public static KeysetSecretInfo Retire(string file, IKmsClient kms, KeysetSection section, SecretPath path, KeyId id) =>
        KeysetFile.Update(file, keyset =>
        {
            keyset.Verify(kms);
            return keyset.Retire(section, path, id);
        });

    /// <summary>Unwraps every live secret of the keyset file through <paramref name="kms"/> (which verifies it) and counts them.</summary>
    /// <param name="file">The keyset file.</param>
    /// <param name="kms">Unwraps the secrets.</param>
    /// <returns>The live and the retired secrets.</returns>
    public static (int Live, int Retired) Check(string file, IKmsClient kms)
    {
        Keyset keyset = KeysetFile.Load(file);
        using (keyset.Unwrap(kms))
        {
            int live = keyset.List().Count(s => s.State != KeysetSecretState.Retired);
            return (live, keyset.List().Count - live);
        }
    }
}
