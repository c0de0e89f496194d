using Veil.Insecure;
using Veil.Keys;

namespace Veil.Configuration;

/// <summary>The settings of a new vector secret (null: the keyset's defaults).</summary>
/// <param name="ApproximationFactor">β; required for a new vector path.</param>
/// <param name="UseScalingFactor">Whether Scale-And-Perturb's scaling factor is on.</param>
/// <param name="Dimensions">The only vector dimension the secret accepts, or null for any.</param>
/// <param name="MaxNorm">The largest vector norm the secret accepts, or null for the default.</param>
/// <param name="KeyTransform">The key transform of a new vector path (null: Alloy's permutation); see <see cref="VectorKeyTransform"/>.</param>
public sealed record VectorSecretSettings(float? ApproximationFactor = null, bool? UseScalingFactor = null, int? Dimensions = null, float? MaxNorm = null, VectorKeyTransform? KeyTransform = null);

/// <summary>What a change to a keyset file did, as <c>veil keys</c> reports it.</summary>
/// <param name="Secrets">The metadata of the secrets created or changed (never key material).</param>
/// <param name="Summary">One line on what happened and what to do next (such as promoting a pending secret once it is deployed).</param>
public sealed record KeysetChange(IReadOnlyList<KeysetSecretInfo> Secrets, string Summary);

/// <summary>
/// The lifecycle of a keyset file (<see cref="KeysetFile"/>): create it, add a secret, promote, retire, check. Each
/// change is one locked read-modify-write of the file that first verifies the keyset's authentication tag through
/// <c>kms</c> and renews it. Returns what changed (<see cref="KeysetChange"/>); never key material.
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
    /// <param name="cancellationToken">Cancels the KMS calls (nothing is written).</param>
    /// <returns>The secrets created, and a summary naming the file and its KMS key.</returns>
    /// <exception cref="ArgumentException">Nothing to create, or vector paths without an approximation factor.</exception>
    public static async Task<KeysetChange> CreateAsync(
        string file, string kekUri, KmsSelection kms, bool createKek, IReadOnlyList<string> vectorPaths, VectorSecretSettings vector, IReadOnlyList<string> deterministicPaths, bool standard, CancellationToken cancellationToken = default)
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

        using IKeyEncryptionKey kek = createKek
            ? await kms.CreateKeyAsync(kekUri, cancellationToken).ConfigureAwait(false)
            : await kms.GetKeyAsync(kekUri, cancellationToken).ConfigureAwait(false);
        Keyset keyset = Keyset.Create(kekUri);
        var added = new List<KeysetSecretInfo>();
        foreach (string path in vectorPaths)
        {
            added.Add(await keyset.AddVectorSecretAsync(new SecretPath(path), kek, vector.ApproximationFactor, vector.UseScalingFactor ?? false, dimensions: vector.Dimensions, maxNorm: vector.MaxNorm, keyTransform: vector.KeyTransform, cancellationToken: cancellationToken).ConfigureAwait(false));
        }

        foreach (string path in deterministicPaths)
        {
            added.Add(await keyset.AddDeterministicSecretAsync(new SecretPath(path), kek, cancellationToken: cancellationToken).ConfigureAwait(false));
        }

        if (standard)
        {
            added.Add(await keyset.AddStandardSecretAsync(kek, cancellationToken: cancellationToken).ConfigureAwait(false));
        }

        KeysetFile.Create(keyset, file);
        return new(added, $"keys: created {file} with {added.Count} secret(s) wrapped by {KmsSelection.Display(kekUri)}.");
    }

    /// <summary>Adds a secret to a path: pending (decrypt-only) until promoted; on a new path it is current at once.</summary>
    /// <param name="file">The keyset file.</param>
    /// <param name="kms">Verifies the keyset and opens the key-encryption key.</param>
    /// <param name="section">The kind of secret.</param>
    /// <param name="path">Its path (ignored for standard secrets).</param>
    /// <param name="vector">With <see cref="KeysetSection.Vector"/>: the new secret's settings.</param>
    /// <param name="id">The new secret's id, or null for the next free one.</param>
    /// <param name="kekUri">The key-encryption key to wrap it with, or null for the keyset's.</param>
    /// <param name="cancellationToken">Cancels the KMS calls (nothing is written).</param>
    /// <returns>The secret added, and what to do next (promote it once deployed, when it is pending).</returns>
    public static async Task<KeysetChange> AddAsync(string file, IKmsClient kms, KeysetSection section, SecretPath path, VectorSecretSettings vector, KeyId? id = null, string? kekUri = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kms);
        ArgumentNullException.ThrowIfNull(vector);
        KeysetSecretInfo info = await KeysetFile.UpdateAsync(file, async (keyset, ct) =>
        {
            await keyset.VerifyAsync(kms, ct).ConfigureAwait(false);
            using IKeyEncryptionKey kek = await kms.GetKeyAsync(kekUri ?? keyset.KekUri, ct).ConfigureAwait(false);
            return section switch
            {
                KeysetSection.Vector => await keyset.AddVectorSecretAsync(path, kek, vector.ApproximationFactor, vector.UseScalingFactor, id, vector.Dimensions, vector.MaxNorm, vector.KeyTransform, ct).ConfigureAwait(false),
                KeysetSection.Deterministic => await keyset.AddDeterministicSecretAsync(path, kek, id, ct).ConfigureAwait(false),
                _ => await keyset.AddStandardSecretAsync(kek, id, ct).ConfigureAwait(false),
            };
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new([info], info.State == KeysetSecretState.Pending
            ? $"keys: added secret {info.Id} as pending; deploy the keyset everywhere, then run 'veil keys promote --id {info.Id}'."
            : $"keys: added secret {info.Id} as current of a new path.");
    }

    /// <summary>Makes a secret current (see <see cref="Keyset.Promote"/>).</summary>
    /// <param name="file">The keyset file.</param>
    /// <param name="kms">Verifies the keyset.</param>
    /// <param name="section">The kind of secret.</param>
    /// <param name="path">Its path.</param>
    /// <param name="id">The secret to promote.</param>
    /// <param name="cancellationToken">Cancels the KMS calls (nothing is written).</param>
    /// <returns>The promoted secret, and what to do next (re-encrypt, then retire the old one).</returns>
    public static async Task<KeysetChange> PromoteAsync(string file, IKmsClient kms, KeysetSection section, SecretPath path, KeyId id, CancellationToken cancellationToken = default)
    {
        KeysetSecretInfo info = await KeysetFile.UpdateAsync(file, async (keyset, ct) =>
        {
            await keyset.VerifyAsync(kms, ct).ConfigureAwait(false);
            return keyset.Promote(section, path, id);
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new([info], $"keys: secret {info.Id} is current; re-encrypt data still under the in-rotation secret, then retire it.");
    }

    /// <summary>Retires a secret (see <see cref="Keyset.Retire"/>): data still encrypted with it can no longer be decrypted.</summary>
    /// <param name="file">The keyset file.</param>
    /// <param name="kms">Verifies the keyset.</param>
    /// <param name="section">The kind of secret.</param>
    /// <param name="path">Its path.</param>
    /// <param name="id">The secret to retire.</param>
    /// <param name="cancellationToken">Cancels the KMS calls (nothing is written).</param>
    /// <returns>The retired secret, and a summary.</returns>
    public static async Task<KeysetChange> RetireAsync(string file, IKmsClient kms, KeysetSection section, SecretPath path, KeyId id, CancellationToken cancellationToken = default)
    {
        KeysetSecretInfo info = await KeysetFile.UpdateAsync(file, async (keyset, ct) =>
        {
            await keyset.VerifyAsync(kms, ct).ConfigureAwait(false);
            return keyset.Retire(section, path, id);
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new([info], $"keys: secret {info.Id} is retired.");
    }

    /// <summary>Unwraps every live secret of the keyset file through <paramref name="kms"/> (which verifies it) and counts them.</summary>
    /// <param name="file">The keyset file.</param>
    /// <param name="kms">Unwraps the secrets.</param>
    /// <param name="cancellationToken">Cancels the KMS calls.</param>
    /// <returns>The live and the retired secrets.</returns>
    public static async Task<(int Live, int Retired)> CheckAsync(string file, IKmsClient kms, CancellationToken cancellationToken = default)
    {
        Keyset keyset = KeysetFile.Load(file);
        using (await keyset.UnwrapAsync(kms, cancellationToken).ConfigureAwait(false))
        {
            int live = keyset.List().Count(s => s.State != KeysetSecretState.Retired);
            return (live, keyset.List().Count - live);
        }
    }

    /// <summary>
    /// INSECURE migration: wraps the secrets of the cleartext configuration file <paramref name="configurationPath"/>
    /// into the new keyset file <paramref name="file"/> (which must not exist). The cleartext file has exposed its
    /// secrets: delete it and rotate to secrets generated by <see cref="AddAsync"/>.
    /// </summary>
    /// <param name="file">The keyset file to create.</param>
    /// <param name="configurationPath">The cleartext configuration file.</param>
    /// <param name="kekUri">The key-encryption key that wraps the secrets.</param>
    /// <param name="kms">Opens (or creates) <paramref name="kekUri"/>.</param>
    /// <param name="createKek">Create the key-encryption key instead of opening an existing one.</param>
    /// <param name="cancellationToken">Cancels the KMS calls (nothing is written).</param>
    /// <returns>The secrets imported, and a warning to delete the cleartext file and rotate.</returns>
    public static async Task<KeysetChange> ImportInsecureCleartextAsync(
        string file, string configurationPath, string kekUri, KmsSelection kms, bool createKek, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kms);
        VeilConfiguration configuration = ConfigurationLoader.Load(configurationPath);
        try
        {
            using IKeyEncryptionKey kek = createKek
                ? await kms.CreateKeyAsync(kekUri, cancellationToken).ConfigureAwait(false)
                : await kms.GetKeyAsync(kekUri, cancellationToken).ConfigureAwait(false);
            Keyset keyset = await InsecureCleartextKeyset.ImportAsync(configuration, kek, cancellationToken).ConfigureAwait(false);
            KeysetFile.Create(keyset, file);
            return new(keyset.List(), "warning: the imported secrets existed in cleartext; delete the cleartext file and rotate to secrets generated by 'veil keys add'.");
        }
        finally
        {
            ConfigFile.DisposeSecrets(configuration);
        }
    }

    /// <summary>
    /// Upgrades a <see cref="Keyset.Version1FormatName"/> keyset file (unauthenticated states) to
    /// <see cref="Keyset.FormatName"/>: adds an integrity key wrapped by the keyset's KEK and an authentication tag,
    /// after unwrapping every live secret once.
    /// </summary>
    /// <param name="file">The keyset file.</param>
    /// <param name="kms">Unwraps the secrets and wraps the integrity key.</param>
    /// <param name="cancellationToken">Cancels the KMS calls (nothing is written).</param>
    /// <returns>The secrets, now authenticated, and a summary.</returns>
    public static async Task<KeysetChange> UpgradeAsync(string file, IKmsClient kms, CancellationToken cancellationToken = default) => new(
        await KeysetFile.UpdateAsync(
            file,
            (keyset, _) => Task.FromResult(keyset.List()),
            (json, ct) => Keyset.UpgradeFromVersion1Async(json, kms, ct),
            cancellationToken: cancellationToken).ConfigureAwait(false),
        $"keys: {file} is now '{Keyset.FormatName}'; its states and secrets are authenticated from here on.");

    /// <summary>
    /// Writes the secrets' metadata as <c>veil keys list</c> does: a table with one line per secret, or with
    /// <paramref name="json"/> one JSON object per line (<see cref="KeysetInfoJson.WriteSecrets"/>). Never key material.
    /// </summary>
    /// <param name="output">Where to write.</param>
    /// <param name="keyset">The keyset (read without the KMS, so not authenticated).</param>
    /// <param name="json">Write JSON Lines instead of a table.</param>
    public static void WriteList(TextWriter output, Keyset keyset, bool json = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(keyset);
        if (json)
        {
            KeysetInfoJson.WriteSecrets(output, keyset.List());
            return;
        }

        output.WriteLine($"{"section",-14}{"path",-20}{"id",12}  {"state",-11}{"beta",8}  {"scaling",-8}{"created",-22}kek");
        foreach (KeysetSecretInfo s in keyset.List())
        {
            string beta = s.ApproximationFactor?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-";
            string scaling = s.UseScalingFactor is { } u ? (u ? "yes" : "no") : "-";
            string path = s.Section == KeysetSection.Standard ? "-" : "\"" + s.Path.Value + "\"";
            output.WriteLine($"{KeysetNames.Of(s.Section),-14}{path,-20}{s.Id,12}  {KeysetNames.Of(s.State),-11}{beta,8}  {scaling,-8}{KeysetNames.Time(s.CreatedAt),-22}{KmsSelection.Display(s.KekUri)}");
        }
    }
}
