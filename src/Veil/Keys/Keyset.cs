using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Veil.Keys;

/// <summary>
/// A versioned set of wrapped secrets (<c>"format": "veil-keyset/2"</c>): per section and secret path, secrets with
/// ids, lifecycle states and creation times, β and the scaling choice for vector paths, each secret wrapped by a
/// key-encryption key (<see cref="IKeyEncryptionKey"/>) whose URI is recorded beside it.
/// </summary>
/// <remarks>
/// <para><b>Lifecycle.</b> <see cref="AddVectorSecretAsync"/> (and its siblings) generates a secret from the OS CSPRNG; the
/// first secret of a path becomes <see cref="KeysetSecretState.Current"/>, later ones
/// <see cref="KeysetSecretState.Pending"/>. <see cref="Promote"/> makes a pending secret current and moves the old
/// current one to <see cref="KeysetSecretState.InRotation"/>; after re-encrypting, <see cref="Retire"/> retires it.
/// Invariants per path: at most one current, one in-rotation and one pending secret, and never a pending and an
/// in-rotation secret together (finish one rotation before starting the next).</para>
/// <para><b>Security.</b> The keyset never holds cleartext secrets: adding wraps at once, and only
/// <see cref="UnwrapAsync"/> (through a KMS) yields them, live secrets only. Each wrapped secret is bound, as associated
/// data, to its section, path, id and (for vectors) β and scaling choice, so moving or re-labelling it is detected.
/// The whole content (states, the set and order of secrets, paths, β, KEK URIs) is authenticated by an HMAC-SHA256
/// tag under an integrity key that is itself wrapped by the KEK: <see cref="UnwrapAsync"/> and <see cref="VerifyAsync"/> check
/// it, and a keyset read from JSON can only be changed after that check (adding with the integrity key's KEK checks it
/// at once). Whoever can write the file cannot resurrect a retired secret or drop the current one; they can still
/// restore an older, intact copy. The integrity key is held in memory once known; it authenticates metadata and
/// decrypts nothing. Cleartext import and export exist only in <see cref="Veil.Insecure.InsecureCleartextKeyset"/>.</para>
/// <para><b>Thread safety.</b> Not thread-safe for mutation; reading from several threads is safe.</para>
/// </remarks>
[DebuggerDisplay("Keyset ({_paths.Count} paths)")]
public sealed class Keyset
{
    /// <summary>The format name written in every keyset file.</summary>
    public const string FormatName = "veil-keyset/2";

    /// <summary>The earlier format, whose states were not authenticated: read only by <see cref="UpgradeFromVersion1Async"/>.</summary>
    public const string Version1FormatName = "veil-keyset/1";

    /// <summary>The secret path of the standard section (which has one set of secrets).</summary>
    internal static readonly SecretPath StandardPath = new(string.Empty);

    private readonly List<KeysetPath> _paths = [];

    /// <summary>The wrapped integrity key and tag; null until the first secret is added.</summary>
    private KeysetIntegrity? _integrity;

    /// <summary>The integrity key, once generated or unwrapped and checked; null for a keyset read but not yet verified.</summary>
    private byte[]? _integrityKey;

    private Keyset(string kekUri)
    {
        KekUri = kekUri;
    }

    /// <summary>The URI of the KEK that wraps new secrets by default (each secret records its own).</summary>
    public string KekUri { get; private set; }

    /// <summary>Creates an empty keyset whose new secrets are wrapped by the KEK at <paramref name="kekUri"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="kekUri"/> is empty.</exception>
    public static Keyset Create(string kekUri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kekUri);
        return new Keyset(kekUri);
    }

    /// <summary>Reads a keyset file's JSON and checks its structure and invariants. Nothing is unwrapped.</summary>
    /// <exception cref="FormatException">The JSON is malformed, of another format or version, or breaks an invariant.</exception>
    /// <remarks>The content is authenticated by <see cref="VerifyAsync"/> (and <see cref="UnwrapAsync"/>), which need the KMS.</remarks>
    public static Keyset Parse(string json) => Parse(json, allowVersion1: false);

    /// <summary>
    /// Reads a <see cref="Version1FormatName"/> keyset (states not authenticated), adds an integrity key wrapped by
    /// its default KEK and checks that every live secret unwraps. The caller vouches that the file's states are the
    /// intended ones (inspect them with <see cref="List"/> first); save the result with <see cref="ToJson"/>.
    /// </summary>
    /// <exception cref="FormatException">It is not a version-1 keyset, or is malformed.</exception>
    /// <exception cref="KeyNotAvailableException">The KMS refuses, or a wrapped secret fails authentication.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<Keyset> UpgradeFromVersion1Async(string json, IKmsClient kms, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kms);
        cancellationToken.ThrowIfCancellationRequested();
        Keyset keyset = Parse(json, allowVersion1: true);
        if (keyset._integrity is not null)
        {
            throw new FormatException($"Invalid keyset: it is already '{FormatName}'.");
        }

        if (keyset._paths.Count > 0)
        {
            using IKeyEncryptionKey kek = await kms.GetKeyAsync(keyset.KekUri, cancellationToken).ConfigureAwait(false);
            (keyset._integrity, keyset._integrityKey) = await KeysetIntegrity.CreateAsync(kek, cancellationToken).ConfigureAwait(false);
        }

        (await keyset.UnwrapAsync(kms, cancellationToken).ConfigureAwait(false)).Dispose();
        return keyset;
    }

    /// <summary>
    /// Checks the keyset's authentication tag with its integrity key (unwrapped through <paramref name="kms"/>). Needed
    /// before a keyset read from JSON can be changed; <see cref="UnwrapAsync"/> does it too.
    /// </summary>
    /// <exception cref="KeyNotAvailableException">The tag does not match (the file was edited) or the integrity key does not unwrap.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task VerifyAsync(IKmsClient kms, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kms);
        cancellationToken.ThrowIfCancellationRequested();
        if (_integrityKey is not null || _integrity is null)
        {
            return;
        }

        if (!kms.Supports(_integrity.KekUri))
        {
            throw new KeyNotAvailableException($"No KMS client supports the key-encryption key URI '{_integrity.KekUri}' that wraps the keyset's integrity key.");
        }

        using IKeyEncryptionKey kek = await kms.GetKeyAsync(_integrity.KekUri, cancellationToken).ConfigureAwait(false);
        await VerifyWithAsync(kek, cancellationToken).ConfigureAwait(false);
    }

    private static Keyset Parse(string json, bool allowVersion1)
    {
        ArgumentNullException.ThrowIfNull(json);
        (string kekUri, List<KeysetPath> paths, KeysetIntegrity? integrity, bool version1) = KeysetJson.Read(json);
        if (version1 && !allowVersion1)
        {
            throw new FormatException(
                $"Invalid keyset: format '{Version1FormatName}' does not authenticate lifecycle states; this version reads '{FormatName}'. Upgrade the file once with 'veil keys upgrade' (Keyset.UpgradeFromVersion1Async) after checking its states with 'veil keys list'.");
        }

        var keyset = new Keyset(kekUri) { _integrity = integrity };
        keyset._paths.AddRange(paths);
        if (paths.Select(p => (p.Section, p.Path)).Distinct().Count() != paths.Count)
        {
            throw new FormatException("Invalid keyset: a secret path appears more than once in a section.");
        }

        foreach (KeysetPath path in keyset._paths)
        {
            string? problem = path.Check();
            if (problem is not null)
            {
                throw new FormatException("Invalid keyset: " + problem);
            }
        }

        return keyset;
    }

    /// <summary>Writes the keyset as indented JSON (wrapped secrets only).</summary>
    /// <remarks>The tag is recomputed when the integrity key is known; otherwise the keyset is unchanged since it was read and keeps its tag.</remarks>
    public string ToJson()
    {
        if (_integrity is not null && _integrityKey is not null)
        {
            _integrity.Tag = _integrity.Compute(_integrityKey, KekUri, _paths);
        }

        return KeysetJson.Write(KekUri, _paths, _integrity);
    }

    /// <summary>The metadata of every secret (ids, states, paths, β, creation times, KEK URIs); never key material.</summary>
    public IReadOnlyList<KeysetSecretInfo> List() =>
        _paths.SelectMany(p => p.Secrets.Select(s => Info(p, s))).ToArray();

    /// <summary>
    /// Generates a vector secret for <paramref name="path"/> and wraps it with <paramref name="kek"/>. A new path's
    /// first secret is current; otherwise the secret is pending until <see cref="Promote"/>.
    /// </summary>
    /// <param name="path">The secret path.</param>
    /// <param name="kek">The KEK to wrap with (its URI is recorded).</param>
    /// <param name="approximationFactor">β. Required for a new path; for an existing one, null or the path's β.</param>
    /// <param name="useScalingFactor">The scaling choice for a new path (default false); for an existing one, null or the path's choice.</param>
    /// <param name="id">The key id; by default one more than the largest id in the section.</param>
    /// <param name="dimensions">
    /// The dimension of every vector of a new path (<see cref="VectorSecret.Dimensions"/>; default null, any); for an
    /// existing path, null or the path's value.
    /// </param>
    /// <param name="maxNorm">
    /// The largest plaintext L2 norm of a new path (<see cref="VectorSecret.MaxNorm"/>; default null, unchecked); for an
    /// existing path, null or the path's value.
    /// </param>
    /// <param name="keyTransform">
    /// The key transform of a new path (<see cref="VectorSecret.KeyTransform"/>; default Alloy's permutation;
    /// <see cref="VectorKeyTransform.StructuredRotation"/> is not Alloy-compatible); for an existing path, null or the
    /// path's transform.
    /// </param>
    /// <param name="cancellationToken">Cancels wrapping.</param>
    /// <returns>The new secret's metadata.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (nothing was added).</exception>
    /// <exception cref="ArgumentException">β, the scaling choice, the dimension, the norm limit or the key transform
    /// missing (β) or different from the path's, or the id is taken.</exception>
    /// <exception cref="ArgumentOutOfRangeException">β, the dimension or the norm limit is out of range.</exception>
    /// <exception cref="InvalidOperationException">The path already has a pending or an in-rotation secret.</exception>
    public Task<KeysetSecretInfo> AddVectorSecretAsync(SecretPath path, IKeyEncryptionKey kek, float? approximationFactor = null, bool? useScalingFactor = null, KeyId? id = null, int? dimensions = null, float? maxNorm = null, VectorKeyTransform? keyTransform = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kek);
        path = new SecretPath(path.Value);
        KeysetPath? existing = Find(KeysetSection.Vector, path);
        if (keyTransform is not (null or VectorKeyTransform.AlloyPermutation or VectorKeyTransform.StructuredRotation))
        {
            throw new ArgumentOutOfRangeException(nameof(keyTransform), keyTransform, "Unknown vector key transform.");
        }

        if (existing is null)
        {
            if (approximationFactor is not { } beta)
            {
                throw new ArgumentException($"Vector path \"{path}\" is new: give its approximation factor β.", nameof(approximationFactor));
            }

            if (!float.IsFinite(beta) || beta <= 0f)
            {
                throw new ArgumentOutOfRangeException(nameof(approximationFactor), beta, "The approximation factor must be a finite number greater than zero.");
            }

            if (dimensions is <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "The dimension must be greater than zero.");
            }

            if (maxNorm is { } norm && (!float.IsFinite(norm) || norm <= 0f))
            {
                throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum norm must be a finite number greater than zero.");
            }

            existing = new KeysetPath(KeysetSection.Vector, path, beta, useScalingFactor ?? false)
            {
                Dimensions = dimensions,
                MaxNorm = maxNorm,
                KeyTransform = keyTransform ?? VectorKeyTransform.AlloyPermutation,
            };
            return AddToAsync(existing, kek, id, isNewPath: true, cancellationToken);
        }

        if (approximationFactor is { } given && BitConverter.SingleToInt32Bits(given) != BitConverter.SingleToInt32Bits(existing.ApproximationFactor!.Value))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Vector path \"{path}\" has β = {existing.ApproximationFactor}; β cannot change within a path (use a new path)."),
                nameof(approximationFactor));
        }

        if (useScalingFactor is { } scaling && scaling != existing.UseScalingFactor)
        {
            throw new ArgumentException($"Vector path \"{path}\" has useScalingFactor = {existing.UseScalingFactor}; it cannot change within a path.", nameof(useScalingFactor));
        }

        if (dimensions is { } d && d != existing.Dimensions)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Vector path \"{path}\" has dimensions = {existing.Dimensions?.ToString(CultureInfo.InvariantCulture) ?? "any"}; it cannot change within a path (use a new path)."),
                nameof(dimensions));
        }

        if (maxNorm is { } givenNorm && (existing.MaxNorm is not { } pathNorm || BitConverter.SingleToInt32Bits(givenNorm) != BitConverter.SingleToInt32Bits(pathNorm)))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Vector path \"{path}\" has maxNorm = {existing.MaxNorm?.ToString(CultureInfo.InvariantCulture) ?? "unchecked"}; it cannot change within a path (use a new path)."),
                nameof(maxNorm));
        }

        if (keyTransform is { } transform && transform != existing.KeyTransform)
        {
            throw new ArgumentException($"Vector path \"{path}\" has keyTransform = {KeysetNames.Of(existing.KeyTransform)}; it cannot change within a path (use a new path).", nameof(keyTransform));
        }

        return AddToAsync(existing, kek, id, isNewPath: false, cancellationToken);
    }

    /// <summary>Generates a deterministic-field secret for <paramref name="path"/>; see <see cref="AddVectorSecretAsync"/> for states.</summary>
    /// <exception cref="ArgumentException">The id is taken.</exception>
    /// <exception cref="InvalidOperationException">The path already has a pending or an in-rotation secret.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (nothing was added).</exception>
    public Task<KeysetSecretInfo> AddDeterministicSecretAsync(SecretPath path, IKeyEncryptionKey kek, KeyId? id = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kek);
        path = new SecretPath(path.Value);
        KeysetPath? existing = Find(KeysetSection.Deterministic, path);
        return existing is null
            ? AddToAsync(new KeysetPath(KeysetSection.Deterministic, path, null, false), kek, id, isNewPath: true, cancellationToken)
            : AddToAsync(existing, kek, id, isNewPath: false, cancellationToken);
    }

    /// <summary>Generates a standard-document secret; see <see cref="AddVectorSecretAsync"/> for states. Ids are greater than 0.</summary>
    /// <exception cref="ArgumentException">The id is 0 or taken.</exception>
    /// <exception cref="InvalidOperationException">The section already has a pending or an in-rotation secret.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (nothing was added).</exception>
    public Task<KeysetSecretInfo> AddStandardSecretAsync(IKeyEncryptionKey kek, KeyId? id = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kek);
        if (id is { Value: 0 })
        {
            throw new ArgumentException("Standard secret ids must be greater than 0.", nameof(id));
        }

        KeysetPath? existing = Find(KeysetSection.Standard, StandardPath);
        return existing is null
            ? AddToAsync(new KeysetPath(KeysetSection.Standard, StandardPath, null, false), kek, id, isNewPath: true, cancellationToken)
            : AddToAsync(existing, kek, id, isNewPath: false, cancellationToken);
    }

    /// <summary>
    /// Makes secret <paramref name="id"/> current. A pending secret becomes current and the old current one goes in
    /// rotation (it still decrypts and is queried); promoting the in-rotation secret swaps the two back (roll back).
    /// Only metadata changes (the tag is recomputed by <see cref="ToJson"/>); a keyset read from JSON must be verified first.
    /// </summary>
    /// <exception cref="KeyNotAvailableException">No such path or id.</exception>
    /// <exception cref="InvalidOperationException">The secret is already current, or retired; or the keyset has not been verified.</exception>
    public KeysetSecretInfo Promote(KeysetSection section, SecretPath path, KeyId id)
    {
        RequireVerified();
        (KeysetPath entry, KeysetSecret secret) = Get(section, path, id);
        switch (secret.State)
        {
            case KeysetSecretState.Current:
                throw new InvalidOperationException($"Secret {id} of {Describe(entry)} is already current.");
            case KeysetSecretState.Retired:
                throw new InvalidOperationException($"Secret {id} of {Describe(entry)} is retired; a retired secret cannot be promoted (add a new secret instead).");
        }

        KeysetSecret? current = entry.Secrets.Find(s => s.State == KeysetSecretState.Current);
        if (current is not null)
        {
            current.State = KeysetSecretState.InRotation;
        }

        secret.State = KeysetSecretState.Current;
        Debug.Assert(entry.Check() is null, "Promotion keeps the invariants.");
        return Info(entry, secret);
    }

    /// <summary>
    /// Retires secret <paramref name="id"/> (in rotation or pending): it stays in the file, wrapped, but is never
    /// loaded again, so data still encrypted with it becomes undecryptable. Re-encrypt that data first.
    /// </summary>
    /// <exception cref="KeyNotAvailableException">No such path or id.</exception>
    /// <exception cref="InvalidOperationException">The secret is current, or already retired; or the keyset has not been verified.</exception>
    public KeysetSecretInfo Retire(KeysetSection section, SecretPath path, KeyId id)
    {
        RequireVerified();
        (KeysetPath entry, KeysetSecret secret) = Get(section, path, id);
        switch (secret.State)
        {
            case KeysetSecretState.Current:
                throw new InvalidOperationException($"Secret {id} of {Describe(entry)} is current; promote another secret before retiring it.");
            case KeysetSecretState.Retired:
                throw new InvalidOperationException($"Secret {id} of {Describe(entry)} is already retired.");
        }

        secret.State = KeysetSecretState.Retired;
        return Info(entry, secret);
    }

    /// <summary>
    /// Unwraps the live secrets (current, in rotation, and pending ones, which load decrypt-only in the in-rotation
    /// slot) through <paramref name="kms"/> into a configuration. Retired secrets are not unwrapped.
    /// </summary>
    /// <exception cref="KeyNotAvailableException">
    /// No client supports a KEK URI, the KMS refuses, the keyset's tag does not match (see <see cref="VerifyAsync"/>), or a
    /// wrapped secret fails authentication (altered keyset, another KEK). The inner exception, when any, is the KMS's.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (no secret stays unwrapped).</exception>
    public async Task<UnwrappedKeyset> UnwrapAsync(IKmsClient kms, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kms);
        cancellationToken.ThrowIfCancellationRequested();
        await VerifyAsync(kms, cancellationToken).ConfigureAwait(false);
        var keks = new Dictionary<string, IKeyEncryptionKey>(StringComparer.Ordinal);
        var secrets = new List<Secret>();
        try
        {
            var vector = new Dictionary<SecretPath, VectorSecret>();
            var deterministic = new Dictionary<SecretPath, RotatableSecret>();
            StandardSecrets? standard = null;
            foreach (KeysetPath entry in _paths)
            {
                IdentifiedSecret? current = null;
                IdentifiedSecret? other = null;
                var all = new List<IdentifiedSecret>();
                foreach (KeysetSecret stored in entry.Secrets)
                {
                    if (stored.State == KeysetSecretState.Retired)
                    {
                        continue;
                    }

                    IKeyEncryptionKey kek = await GetKekAsync(kms, keks, stored, cancellationToken).ConfigureAwait(false);
                    var identified = new IdentifiedSecret(stored.Id, await UnwrapSecretAsync(kek, entry, stored, secrets, cancellationToken).ConfigureAwait(false));
                    all.Add(identified);
                    if (stored.State == KeysetSecretState.Current)
                    {
                        current = identified;
                    }
                    else
                    {
                        other = identified;
                    }
                }

                if (all.Count == 0)
                {
                    continue;
                }

                switch (entry.Section)
                {
                    case KeysetSection.Vector:
                        vector[entry.Path] = new VectorSecret(entry.ApproximationFactor!.Value, new RotatableSecret(current, other), entry.UseScalingFactor)
                        {
                            Dimensions = entry.Dimensions,
                            MaxNorm = entry.MaxNorm,
                            KeyTransform = entry.KeyTransform,
                        };
                        break;
                    case KeysetSection.Deterministic:
                        deterministic[entry.Path] = new RotatableSecret(current, other);
                        break;
                    default:
                        standard = new StandardSecrets(current?.Id, all);
                        break;
                }
            }

            return new UnwrappedKeyset(new VeilConfiguration(vector, deterministic, standard), secrets);
        }
        catch
        {
            foreach (Secret secret in secrets)
            {
                secret.Dispose();
            }

            throw;
        }
        finally
        {
            foreach (IKeyEncryptionKey kek in keks.Values)
            {
                kek.Dispose();
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Keyset ({_paths.Count} paths, {_paths.Sum(p => p.Secrets.Count)} secrets)";

    /// <summary>Adds an already-generated secret (used by the insecure cleartext import); wraps it at once.</summary>
    internal async Task AddExistingAsync(KeysetSection section, SecretPath path, float? approximationFactor, bool useScalingFactor, IdentifiedSecret secret, KeysetSecretState state, IKeyEncryptionKey kek, int? dimensions, float? maxNorm, CancellationToken cancellationToken, VectorKeyTransform keyTransform = VectorKeyTransform.AlloyPermutation)
    {
        path = section == KeysetSection.Standard ? StandardPath : new SecretPath(path.Value);
        await PrepareToAddAsync(kek, cancellationToken).ConfigureAwait(false);
        KeysetPath? entry = Find(section, path);
        if (entry is null)
        {
            entry = new KeysetPath(section, path, approximationFactor, useScalingFactor) { Dimensions = dimensions, MaxNorm = maxNorm, KeyTransform = keyTransform };
            _paths.Add(entry);
        }

        if (entry.Secrets.Exists(s => s.Id == secret.Id))
        {
            throw new ArgumentException($"Key id {secret.Id} appears more than once in {Describe(entry)}.", nameof(secret));
        }

        byte[] wrapped = await WrapAsync(kek, entry, secret.Id, secret.Secret.Memory, cancellationToken).ConfigureAwait(false);
        entry.Secrets.Add(new KeysetSecret(secret.Id, state, DateTimeOffset.UtcNow, kek.KeyUri, wrapped));
        string? problem = entry.Check();
        if (problem is not null)
        {
            entry.Secrets.RemoveAt(entry.Secrets.Count - 1);
            throw new ArgumentException(problem, nameof(state));
        }
    }

    /// <summary>
    /// The associated data a wrapped secret is bound to: a domain name (<see cref="Version1FormatName"/>, unchanged so
    /// that upgraded files keep their wrapped secrets), section, path, id and vector parameters; for a key transform other
    /// than Alloy's permutation, then u8(transform) (nothing for the default, so existing wrapped secrets stay valid), so
    /// a secret wrapped for one transform does not unwrap as the other.
    /// </summary>
    internal static byte[] AssociatedData(KeysetSection section, SecretPath path, KeyId id, float? approximationFactor, bool useScalingFactor, VectorKeyTransform keyTransform = VectorKeyTransform.AlloyPermutation)
    {
        byte[] format = Encoding.UTF8.GetBytes(Version1FormatName);
        byte[] sectionName = Encoding.UTF8.GetBytes(KeysetNames.Of(section));
        byte[] pathBytes = Encoding.UTF8.GetBytes(path.Value);
        var buffer = new byte[(4 * 3) + format.Length + sectionName.Length + pathBytes.Length + 4 + 5 + 1];
        int offset = 0;
        foreach (byte[] part in new[] { format, sectionName, pathBytes })
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(offset), part.Length);
            part.CopyTo(buffer, offset + 4);
            offset += 4 + part.Length;
        }

        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(offset), id.Value);
        offset += 4;
        if (section == KeysetSection.Vector)
        {
            BinaryPrimitives.WriteSingleBigEndian(buffer.AsSpan(offset), approximationFactor!.Value);
            buffer[offset + 4] = useScalingFactor ? (byte)1 : (byte)0;
            offset += 5;
            if (keyTransform != VectorKeyTransform.AlloyPermutation)
            {
                buffer[offset] = (byte)keyTransform;
                offset++;
            }
        }

        return buffer.AsSpan(0, offset).ToArray();
    }

    /// <summary>Before adding a secret: create the integrity key for a new keyset, or check the tag of one read from JSON with <paramref name="kek"/> when it wraps the integrity key.</summary>
    private async Task PrepareToAddAsync(IKeyEncryptionKey kek, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_integrity is null)
        {
            (_integrity, _integrityKey) = await KeysetIntegrity.CreateAsync(kek, cancellationToken).ConfigureAwait(false);
        }
        else if (_integrityKey is null && _integrity.KekUri == kek.KeyUri)
        {
            await VerifyWithAsync(kek, cancellationToken).ConfigureAwait(false);
        }

        RequireVerified();
    }

    private void RequireVerified()
    {
        if (_integrity is not null && _integrityKey is null)
        {
            throw new InvalidOperationException("The keyset was read from JSON and its authentication tag has not been checked: call VerifyAsync (or UnwrapAsync) with its KMS before changing it.");
        }
    }

    private async Task VerifyWithAsync(IKeyEncryptionKey kek, CancellationToken cancellationToken)
    {
        byte[] key = await _integrity!.UnwrapKeyAsync(kek, cancellationToken).ConfigureAwait(false);
        try
        {
            _integrity.Verify(key, KekUri, _paths);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(key);
            throw;
        }

        _integrityKey = key;
    }

    private static string Describe(KeysetPath entry) => entry.Section == KeysetSection.Standard
        ? "the standard section"
        : $"{KeysetNames.Of(entry.Section)} path \"{entry.Path}\"";

    private static KeysetSecretInfo Info(KeysetPath path, KeysetSecret secret) => new(
        path.Section,
        path.Path,
        secret.Id,
        secret.State,
        secret.CreatedAt,
        secret.KekUri,
        path.ApproximationFactor,
        path.Section == KeysetSection.Vector ? path.UseScalingFactor : null)
    {
        Dimensions = path.Dimensions,
        MaxNorm = path.MaxNorm,
        KeyTransform = path.Section == KeysetSection.Vector ? path.KeyTransform : null,
    };

    private static ValueTask<byte[]> WrapAsync(IKeyEncryptionKey kek, KeysetPath entry, KeyId id, ReadOnlyMemory<byte> secret, CancellationToken cancellationToken) =>
        kek.WrapKeyAsync(secret, AssociatedData(entry.Section, entry.Path, id, entry.ApproximationFactor, entry.UseScalingFactor, entry.KeyTransform), cancellationToken);

    private static async ValueTask<IKeyEncryptionKey> GetKekAsync(IKmsClient kms, Dictionary<string, IKeyEncryptionKey> keks, KeysetSecret stored, CancellationToken cancellationToken)
    {
        if (keks.TryGetValue(stored.KekUri, out IKeyEncryptionKey? kek))
        {
            return kek;
        }

        if (!kms.Supports(stored.KekUri))
        {
            throw new KeyNotAvailableException($"No KMS client supports the key-encryption key URI '{stored.KekUri}' that wraps secret {stored.Id}.", stored.Id);
        }

        kek = await kms.GetKeyAsync(stored.KekUri, cancellationToken).ConfigureAwait(false);
        keks.Add(stored.KekUri, kek);
        return kek;
    }

    private static async Task<Secret> UnwrapSecretAsync(IKeyEncryptionKey kek, KeysetPath entry, KeysetSecret stored, List<Secret> secrets, CancellationToken cancellationToken)
    {
        byte[] associatedData = AssociatedData(entry.Section, entry.Path, stored.Id, entry.ApproximationFactor, entry.UseScalingFactor, entry.KeyTransform);
        byte[] cleartext;
        try
        {
            cleartext = await kek.UnwrapKeyAsync(stored.Wrapped, associatedData, cancellationToken).ConfigureAwait(false);
        }
        catch (CryptographicException e)
        {
            throw new KeyNotAvailableException(
                $"Secret {stored.Id} of {Describe(entry)} could not be unwrapped with '{stored.KekUri}': the keyset was altered, or the secret was wrapped by another key-encryption key.",
                e);
        }

        try
        {
            if (cleartext.Length < Secret.MinimumLength)
            {
                throw new KeyNotAvailableException($"Secret {stored.Id} of {Describe(entry)} unwrapped to fewer than {Secret.MinimumLength} bytes.", stored.Id);
            }

            var secret = new Secret(cleartext);
            secrets.Add(secret);
            return secret;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(cleartext);
        }
    }

    private async Task<KeysetSecretInfo> AddToAsync(KeysetPath entry, IKeyEncryptionKey kek, KeyId? id, bool isNewPath, CancellationToken cancellationToken)
    {
        await PrepareToAddAsync(kek, cancellationToken).ConfigureAwait(false);
        if (!isNewPath)
        {
            KeysetSecret? pending = entry.Secrets.Find(s => s.State == KeysetSecretState.Pending);
            if (pending is not null)
            {
                throw new InvalidOperationException($"{Capitalise(Describe(entry))} already has a pending secret ({pending.Id}): promote or retire it first.");
            }

            KeysetSecret? inRotation = entry.Secrets.Find(s => s.State == KeysetSecretState.InRotation);
            if (inRotation is not null)
            {
                throw new InvalidOperationException($"{Capitalise(Describe(entry))} is still rotating away from secret {inRotation.Id}: re-encrypt its data and retire it before adding another secret.");
            }
        }

        KeyId newId = id ?? NextId(entry.Section);
        if (_paths.Where(p => p.Section == entry.Section).SelectMany(p => p.Secrets).Any(s => s.Id == newId) || entry.Secrets.Exists(s => s.Id == newId))
        {
            throw new ArgumentException($"Key id {newId} is already used in the {KeysetNames.Of(entry.Section)} section.", nameof(id));
        }

        bool becomesCurrent = !entry.Secrets.Exists(s => s.State != KeysetSecretState.Retired);
        byte[] wrapped;
        using (Secret secret = Secret.Generate())
        {
            wrapped = await WrapAsync(kek, entry, newId, secret.Memory, cancellationToken).ConfigureAwait(false);
        }

        var stored = new KeysetSecret(newId, becomesCurrent ? KeysetSecretState.Current : KeysetSecretState.Pending, DateTimeOffset.UtcNow, kek.KeyUri, wrapped);
        entry.Secrets.Add(stored);
        if (isNewPath)
        {
            _paths.Add(entry);
        }

        return Info(entry, stored);
    }

    private KeyId NextId(KeysetSection section)
    {
        uint max = _paths.Where(p => p.Section == section).SelectMany(p => p.Secrets).Select(s => s.Id.Value).DefaultIfEmpty(0u).Max();
        if (max == uint.MaxValue)
        {
            throw new InvalidOperationException($"The {KeysetNames.Of(section)} section has used every key id; give one explicitly.");
        }

        return new KeyId(max + 1);
    }

    private KeysetPath? Find(KeysetSection section, SecretPath path) =>
        _paths.Find(p => p.Section == section && p.Path.Value == (path.Value ?? string.Empty));

    private (KeysetPath Path, KeysetSecret Secret) Get(KeysetSection section, SecretPath path, KeyId id)
    {
        KeysetPath? entry = Find(section, section == KeysetSection.Standard ? StandardPath : new SecretPath(path.Value));
        if (entry is null)
        {
            throw new KeyNotAvailableException(section == KeysetSection.Standard
                ? "The keyset has no standard secrets."
                : $"The keyset has no {KeysetNames.Of(section)} path \"{path}\".");
        }

        KeysetSecret? secret = entry.Secrets.Find(s => s.Id == id);
        return secret is null
            ? throw new KeyNotAvailableException($"{Capitalise(Describe(entry))} has no secret with id {id}.", id)
            : (entry, secret);
    }

    private static string Capitalise(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}

/// <summary>One secret path of a keyset (mutable; owned by <see cref="Keyset"/>).</summary>
internal sealed class KeysetPath(KeysetSection section, SecretPath path, float? approximationFactor, bool useScalingFactor)
{
    public KeysetSection Section { get; } = section;

    public SecretPath Path { get; } = path;

    public float? ApproximationFactor { get; } = approximationFactor;

    public bool UseScalingFactor { get; } = useScalingFactor;

    /// <summary>The vector path's dimension (<see cref="VectorSecret.Dimensions"/>), or null for any.</summary>
    public int? Dimensions { get; init; }

    /// <summary>The vector path's largest plaintext norm (<see cref="VectorSecret.MaxNorm"/>), or null for no check.</summary>
    public float? MaxNorm { get; init; }

    /// <summary>The vector path's key transform (<see cref="VectorSecret.KeyTransform"/>).</summary>
    public VectorKeyTransform KeyTransform { get; init; }

    public List<KeysetSecret> Secrets { get; } = [];

    /// <summary>Null when the invariants hold, otherwise what is wrong.</summary>
    public string? Check()
    {
        string where = Section == KeysetSection.Standard ? "standard" : $"{KeysetNames.Of(Section)} path \"{Path}\"";
        if ((Section == KeysetSection.Vector && ApproximationFactor is null) || (ApproximationFactor is { } b && (!float.IsFinite(b) || b <= 0f)))
        {
            return $"{where} needs an approximation factor that is a finite number greater than zero.";
        }

        if ((Section != KeysetSection.Vector && (Dimensions is not null || MaxNorm is not null)) || Dimensions is <= 0 || (MaxNorm is { } n && (!float.IsFinite(n) || n <= 0f)))
        {
            return $"{where}: dimensions must be an integer greater than zero and maxNorm a finite number greater than zero, on vector paths only.";
        }

        if (KeyTransform != VectorKeyTransform.AlloyPermutation && (Section != KeysetSection.Vector || KeyTransform != VectorKeyTransform.StructuredRotation))
        {
            return $"{where}: keyTransform must be a known vector key transform, on vector paths only.";
        }

        foreach (KeysetSecretState state in new[] { KeysetSecretState.Current, KeysetSecretState.InRotation, KeysetSecretState.Pending })
        {
            if (Secrets.Count(s => s.State == state) > 1)
            {
                return $"{where} has more than one {KeysetNames.Of(state)} secret.";
            }
        }

        if (Secrets.Exists(s => s.State == KeysetSecretState.Pending) && Secrets.Exists(s => s.State == KeysetSecretState.InRotation))
        {
            return $"{where} has both a pending and an inRotation secret.";
        }

        if (Secrets.Select(s => s.Id).Distinct().Count() != Secrets.Count)
        {
            return $"{where} uses a key id more than once.";
        }

        if (Section == KeysetSection.Standard && Secrets.Exists(s => s.Id.Value == 0))
        {
            return "standard secret ids must be greater than 0.";
        }

        return null;
    }
}

/// <summary>One wrapped secret of a keyset.</summary>
internal sealed class KeysetSecret(KeyId id, KeysetSecretState state, DateTimeOffset createdAt, string kekUri, byte[] wrapped)
{
    public KeyId Id { get; } = id;

    public KeysetSecretState State { get; set; } = state;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public string KekUri { get; } = kekUri;

    public byte[] Wrapped { get; } = wrapped;
}
