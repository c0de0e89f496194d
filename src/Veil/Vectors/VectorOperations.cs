using Veil.Formats;
using Veil.Keys;
using Veil.Randomness;

namespace Veil.Vectors;

/// <summary>
/// Vector encryption by secret path, tenant and derivation path, as Alloy's <c>VectorOps</c>: encrypt, decrypt,
/// one-way encrypt, query vectors for every live key, rotation, batches. Derived keys (and their permutations) are
/// cached, so repeated calls for the same tenant and path cost one encryption each.
/// </summary>
/// <remarks>
/// <para><b>Warning: not IND-CPA; reveals approximate distances.</b> See <see cref="VectorEncryptor"/>.</para>
/// <para><b>Inputs</b> are assumed to be normalised embeddings; β is calibrated against their scale.</para>
/// <para><b>Key cache.</b> Derived keys are cached within a memory budget (<see cref="DefaultKeyCacheBudgetBytes"/>,
/// 64 MiB) that counts each key, the permutations it caches (4·d bytes per dimension d; at most
/// <see cref="VectorEncryptionKey.DefaultPermutationSlots"/> dimensions per key, one for a path with
/// <see cref="VectorSecret.Dimensions"/>) and its pooled HMAC states. Past the budget the least recently used keys are
/// evicted, and an evicted key is zeroed as soon as no operation of this class uses it any more. For encryptors
/// handed out by <see cref="GetEncryptor(SecretPath, DerivationPath, TenantId)"/>, see there.</para>
/// <para><b>Thread safety.</b> All members are thread-safe, except <see cref="Dispose"/>, which must run once no
/// other thread uses the instance or its encryptors.</para>
/// </remarks>
public sealed class VectorOperations : IDisposable
{
    /// <summary>The default memory budget of the derived-key cache: 64 MiB.</summary>
    public const long DefaultKeyCacheBudgetBytes = VectorKeyCache.DefaultBudgetBytes;

    private static readonly Func<VectorKeyCache.CacheKey, (VectorOperations Operations, VectorSecret Secret, IdentifiedSecret Identified), VectorEncryptor> s_create =
        static (key, state) => state.Operations.CreateEncryptor(key, state.Secret, state.Identified);

    private readonly IReadOnlyDictionary<SecretPath, VectorSecret> _secrets;
    private readonly IRandomSource _random;
    private readonly VectorKeyCache _cache;

    /// <summary>Creates the operations over <paramref name="secrets"/>.</summary>
    /// <param name="secrets">The vector settings per secret path.</param>
    /// <param name="random">Where IVs come from.</param>
    /// <param name="keyCacheBudgetBytes">The derived-key cache's memory budget (advanced; tests use a small one to force evictions).</param>
    internal VectorOperations(IReadOnlyDictionary<SecretPath, VectorSecret> secrets, IRandomSource random, long keyCacheBudgetBytes = DefaultKeyCacheBudgetBytes)
    {
        _secrets = secrets;
        _random = random;
        _cache = new VectorKeyCache(keyCacheBudgetBytes);
    }

    /// <summary>The derived-key cache (tests).</summary>
    internal VectorKeyCache KeyCache => _cache;

    /// <summary>The encryptor of the current secret of <paramref name="secretPath"/> for this tenant and derivation path.</summary>
    /// <remarks>
    /// <para><b>Lifetime.</b> Hold the encryptor as long as you need it (a batch, a request, a service's lifetime):
    /// if the key cache evicts it meanwhile, it is detached from the cache and keeps working, unchanged, for whoever
    /// holds it; a later call returns a new encryptor of the same key. The key of an evicted encryptor is zeroed when
    /// the encryptor is garbage-collected (no reference is left), or when this instance is disposed, whichever comes
    /// first. After <see cref="Dispose"/>, every encryptor it handed out throws <see cref="ObjectDisposedException"/>.
    /// The other members of this class hold their keys only for the duration of the call.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">The secret path is not configured.</exception>
    /// <exception cref="KeyNotAvailableException">The secret path has no current secret.</exception>
    /// <exception cref="ObjectDisposedException">This instance was disposed.</exception>
    public VectorEncryptor GetEncryptor(SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        (VectorSecret secret, IdentifiedSecret current) = GetCurrent(secretPath);
        return _cache.GetExposed(new(secretPath, current.Id, tenant, derivationPath), s_create, (this, secret, current));
    }

    /// <summary>Encrypts one vector with the current secret.</summary>
    /// <exception cref="ArgumentException">Unknown secret path; NaN, infinity or overflow in the plaintext.</exception>
    /// <exception cref="KeyNotAvailableException">No current secret.</exception>
    public EncryptedVector Encrypt(ReadOnlySpan<float> plaintext, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        using VectorKeyCache.Lease lease = RentCurrent(secretPath, derivationPath, tenant);
        return lease.Encryptor.Encrypt(plaintext);
    }

    /// <summary>
    /// One-way encryption with the current secret: no IV or tag is kept, so the result can never be decrypted. Use it
    /// for training sets and query-only stores. See <see cref="VectorEncryptor.EncryptOneWay(ReadOnlySpan{float})"/>.
    /// </summary>
    public float[] EncryptOneWay(ReadOnlySpan<float> plaintext, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        using VectorKeyCache.Lease lease = RentCurrent(secretPath, derivationPath, tenant);
        return lease.Encryptor.EncryptOneWay(plaintext);
    }

    /// <summary>Verifies and decrypts, with the secret its header names (current or in rotation).</summary>
    /// <exception cref="System.Security.Cryptography.AuthenticationTagMismatchException">Altered data, or another tenant or derivation path.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">Malformed paired ICL info.</exception>
    /// <exception cref="KeyNotAvailableException">The header's key id is not a live secret of the path.</exception>
    /// <exception cref="ArgumentException">Unknown secret path.</exception>
    public float[] Decrypt(EncryptedVector encrypted, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        using VectorKeyCache.Lease lease = RentDecryptor(encrypted, tenant);
        return lease.Encryptor.Decrypt(encrypted);
    }

    /// <summary>
    /// The query encrypted with every live secret, current first, then in rotation, each with a fresh IV. Search with
    /// all of them and merge the results until rotation finishes.
    /// </summary>
    public IReadOnlyList<QueryVector> GenerateQueryVectors(ReadOnlySpan<float> query, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        VectorSecret secret = GetSecret(secretPath);
        var queries = new List<QueryVector>(2);
        foreach (IdentifiedSecret live in secret.Secrets.Live)
        {
            using VectorKeyCache.Lease lease = Rent(secretPath, secret, live, derivationPath, tenant);
            queries.Add(new QueryVector(live.Id, lease.Encryptor.EncryptOneWay(query)));
        }

        return queries;
    }

    /// <summary>
    /// Re-encrypts a stored vector with the current secret, for the same or a new tenant. A no-op (the input is
    /// returned) when it already uses the current secret and the tenant does not change.
    /// </summary>
    /// <remarks>
    /// <para><b>Lossy.</b> Rotation decrypts and re-encrypts in f32, so each rotation drifts the vector by a few ulps.
    /// For exact results keep a standard-encrypted copy of the original and re-encrypt from it.</para>
    /// <para><b>Deterministic.</b> The new IV is derived from the stored paired ICL info (its key id, IV and the tag
    /// that authenticates the stored ciphertext) and the target key: HMAC-SHA256 under the target key of the label
    /// "veil rotate iv/1", the canonical stored info and the target key id, cut to 12 bytes. Rotating the same ciphertext to the same key (and tenant) again
    /// gives the same output, so repeated rotation cannot be averaged to strip the noise; two stored ciphertexts, even
    /// of the same vector, get unrelated IVs. Any IV is valid to Alloy, which decrypts the result as usual. In the
    /// insecure seeded test mode the IV is drawn from the seeded stream instead, as in Alloy.</para>
    /// </remarks>
    public EncryptedVector Rotate(EncryptedVector encrypted, TenantId tenant, TenantId? newTenant = null)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        TenantId target = newTenant ?? tenant;
        using VectorKeyCache.Lease current = RentCurrent(encrypted.SecretPath, encrypted.DerivationPath, target);
        if (target == tenant && encrypted.KeyId == current.Encryptor.KeyId)
        {
            return encrypted;
        }

        float[] plaintext = Decrypt(encrypted, tenant);
        try
        {
            return _random.IsDeterministic
                ? current.Encryptor.Encrypt(plaintext)
                : current.Encryptor.EncryptForRotation(plaintext, encrypted.PairedIclInfo.Span);
        }
        finally
        {
            Array.Clear(plaintext);
        }
    }

    /// <summary>The 6-byte header of the in-rotation secret: stored vectors starting with it still need rotation.</summary>
    /// <exception cref="KeyNotAvailableException">No secret is in rotation.</exception>
    public byte[] GetInRotationPrefix(SecretPath secretPath)
    {
        IdentifiedSecret inRotation = GetSecret(secretPath).Secrets.InRotation
            ?? throw new KeyNotAvailableException($"There is no in-rotation secret for secret path '{secretPath}'.");
        return new KeyIdHeader(inRotation.Id, EdekType.Standalone, PayloadType.VectorMetadata).ToArray();
    }

    /// <summary>
    /// <see cref="GetInRotationPrefix"/> as Alloy's Z85 prefix (7 characters), for stores that keep the paired ICL
    /// info as Z85 text.
    /// </summary>
    public string GetInRotationPrefixZ85(SecretPath secretPath) => Z85.EncodePrefix(GetInRotationPrefix(secretPath));

    /// <summary>Encrypts many vectors in parallel. One bad vector fails alone.</summary>
    public BatchResult<EncryptedVector> EncryptBatch(IReadOnlyList<ReadOnlyMemory<float>> plaintexts, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(plaintexts);
        using VectorKeyCache.Lease lease = RentCurrent(secretPath, derivationPath, tenant);
        VectorEncryptor encryptor = lease.Encryptor;
        return BatchResult<EncryptedVector>.Run(plaintexts, plaintext => encryptor.Encrypt(plaintext.Span), _random);
    }

    /// <summary>
    /// Encrypts many vectors in parallel into memory the caller owns: item i's ciphertext is written to the start of
    /// <paramref name="ciphertexts"/>[i] (at least as long as its plaintext), and its result's
    /// <see cref="EncryptedVector.Ciphertext"/> is that memory. For pipelines that reuse their buffers. One bad vector
    /// fails alone.
    /// </summary>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public BatchResult<EncryptedVector> EncryptBatch(IReadOnlyList<ReadOnlyMemory<float>> plaintexts, IReadOnlyList<Memory<float>> ciphertexts, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(plaintexts);
        ArgumentNullException.ThrowIfNull(ciphertexts);
        CheckDestinations(plaintexts.Count, ciphertexts.Count, nameof(ciphertexts));
        using VectorKeyCache.Lease lease = RentCurrent(secretPath, derivationPath, tenant);
        VectorEncryptor encryptor = lease.Encryptor;
        return BatchResult<EncryptedVector>.Run(
            plaintexts.Count,
            i =>
            {
                ReadOnlySpan<float> plaintext = plaintexts[i].Span;
                Memory<float> ciphertext = ciphertexts[i][..Math.Min(plaintext.Length, ciphertexts[i].Length)];
                var info = new byte[VectorEncryptor.PairedIclInfoLength];
                encryptor.Encrypt(plaintext, ciphertext.Span, info);
                return new EncryptedVector(ciphertext, info, secretPath, derivationPath);
            },
            _random);
    }

    /// <summary>One-way encrypts many vectors in parallel. One bad vector fails alone.</summary>
    public BatchResult<float[]> EncryptOneWayBatch(IReadOnlyList<ReadOnlyMemory<float>> plaintexts, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(plaintexts);
        using VectorKeyCache.Lease lease = RentCurrent(secretPath, derivationPath, tenant);
        VectorEncryptor encryptor = lease.Encryptor;
        return BatchResult<float[]>.Run(plaintexts, plaintext => encryptor.EncryptOneWay(plaintext.Span), _random);
    }

    /// <summary>The query vectors (see <see cref="GenerateQueryVectors"/>) of many queries, in parallel.</summary>
    public BatchResult<IReadOnlyList<QueryVector>> GenerateQueryVectorsBatch(IReadOnlyList<ReadOnlyMemory<float>> queries, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(queries);
        return BatchResult<IReadOnlyList<QueryVector>>.Run(queries, query => GenerateQueryVectors(query.Span, secretPath, derivationPath, tenant), _random);
    }

    /// <summary>Decrypts many vectors in parallel, each with the secret its header names. One bad vector fails alone.</summary>
    public BatchResult<float[]> DecryptBatch(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        return BatchResult<float[]>.Run(encrypted, vector => Decrypt(vector, tenant));
    }

    /// <summary>
    /// Decrypts many vectors in parallel into memory the caller owns: item i's plaintext is written to the start of
    /// <paramref name="plaintexts"/>[i] (at least as long as its ciphertext), and its result is that memory. For
    /// pipelines that reuse their buffers; the memory then holds plaintext until the caller clears it. One bad vector
    /// fails alone (its memory cleared).
    /// </summary>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public BatchResult<Memory<float>> DecryptBatch(IReadOnlyList<EncryptedVector> encrypted, IReadOnlyList<Memory<float>> plaintexts, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        ArgumentNullException.ThrowIfNull(plaintexts);
        CheckDestinations(encrypted.Count, plaintexts.Count, nameof(plaintexts));
        return BatchResult<Memory<float>>.Run(encrypted.Count, i =>
        {
            EncryptedVector vector = encrypted[i] ?? throw new ArgumentNullException(nameof(encrypted));
            Memory<float> plaintext = plaintexts[i][..Math.Min(vector.Ciphertext.Length, plaintexts[i].Length)];
            using VectorKeyCache.Lease lease = RentDecryptor(vector, tenant);
            lease.Encryptor.Decrypt(vector.Ciphertext.Span, vector.PairedIclInfo.Span, plaintext.Span);
            return plaintext;
        });
    }

    /// <summary>Rotates many vectors in parallel (see <see cref="Rotate"/>).</summary>
    public BatchResult<EncryptedVector> RotateBatch(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, TenantId? newTenant = null)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        return BatchResult<EncryptedVector>.Run(encrypted, vector => Rotate(vector, tenant, newTenant), _random);
    }

    /// <summary>
    /// Zeroes every derived key still in memory: those cached and those evicted but still held by a caller of
    /// <see cref="GetEncryptor(SecretPath, DerivationPath, TenantId)"/>, whose encryptors then throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose() => _cache.Dispose();

    private static void CheckDestinations(int inputs, int destinations, string name)
    {
        if (inputs != destinations)
        {
            throw new ArgumentException($"{destinations} destinations for {inputs} vectors.", name);
        }
    }

    private VectorKeyCache.Lease RentCurrent(SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        (VectorSecret secret, IdentifiedSecret current) = GetCurrent(secretPath);
        return Rent(secretPath, secret, current, derivationPath, tenant);
    }

    private VectorKeyCache.Lease RentDecryptor(EncryptedVector encrypted, TenantId tenant)
    {
        VectorSecret secret = GetSecret(encrypted.SecretPath);
        if (encrypted.KeyId is not { } keyId)
        {
            // Let the encryptor produce the precise format error.
            IdentifiedSecret any = secret.Secrets.Live.First();
            return Rent(encrypted.SecretPath, secret, any, encrypted.DerivationPath, tenant);
        }

        IdentifiedSecret live = secret.Secrets.Find(keyId)
            ?? throw new KeyNotAvailableException($"Secret with key ID {keyId} does not exist in the vector configuration for secret path '{encrypted.SecretPath}'.", keyId);
        return Rent(encrypted.SecretPath, secret, live, encrypted.DerivationPath, tenant);
    }

    private (VectorSecret Secret, IdentifiedSecret Current) GetCurrent(SecretPath secretPath)
    {
        VectorSecret secret = GetSecret(secretPath);
        IdentifiedSecret current = secret.Secrets.Current
            ?? throw new KeyNotAvailableException($"No current secret exists in the vector configuration for secret path '{secretPath}'.");
        return (secret, current);
    }

    private VectorSecret GetSecret(SecretPath secretPath) =>
        _secrets.TryGetValue(secretPath, out VectorSecret? secret)
            ? secret
            : throw new ArgumentException($"Provided secret path '{secretPath}' does not exist in the vector configuration.", nameof(secretPath));

    private VectorKeyCache.Lease Rent(SecretPath secretPath, VectorSecret secret, IdentifiedSecret identified, DerivationPath derivationPath, TenantId tenant) =>
        _cache.Rent(new(secretPath, identified.Id, tenant, derivationPath), s_create, (this, secret, identified));

    private VectorEncryptor CreateEncryptor(VectorKeyCache.CacheKey key, VectorSecret secret, IdentifiedSecret identified) => new(
        VectorEncryptionKey.Derive(identified.Secret, key.Tenant, key.DerivationPath, secret.Dimensions is null ? VectorEncryptionKey.DefaultPermutationSlots : 1, secret.KeyTransform),
        new VectorParameters(secret.ApproximationFactor, secret.UseScalingFactor),
        identified.Id,
        key.SecretPath,
        key.DerivationPath,
        _random,
        new VectorInputLimits(secret.Dimensions, secret.MaxNorm));
}
