using System.Collections.Concurrent;
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
/// <para><b>Thread safety.</b> All members are thread-safe.</para>
/// </remarks>
public sealed class VectorOperations : IDisposable
{
    // Derived keys kept per (secret, tenant, derivation path). Beyond this many, the least recently used quarter is
    // dropped, so a working set of tenants that fits stays cached however many others pass through.
    private const int CacheCapacity = 4096;

    private readonly IReadOnlyDictionary<SecretPath, VectorSecret> _secrets;
    private readonly IRandomSource _random;
    private readonly ConcurrentDictionary<(SecretPath, KeyId, TenantId, DerivationPath), CachedEncryptor> _encryptors = new();
    private readonly Lock _evictionLock = new();
    private long _clock;

    internal VectorOperations(IReadOnlyDictionary<SecretPath, VectorSecret> secrets, IRandomSource random)
    {
        _secrets = secrets;
        _random = random;
    }

    /// <summary>The encryptor of the current secret of <paramref name="secretPath"/> for this tenant and derivation path.</summary>
    /// <exception cref="ArgumentException">The secret path is not configured.</exception>
    /// <exception cref="KeyNotAvailableException">The secret path has no current secret.</exception>
    public VectorEncryptor GetEncryptor(SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        VectorSecret secret = GetSecret(secretPath);
        IdentifiedSecret current = secret.Secrets.Current
            ?? throw new KeyNotAvailableException($"No current secret exists in the vector configuration for secret path '{secretPath}'.");
        return GetEncryptor(secretPath, secret, current, derivationPath, tenant);
    }

    /// <summary>Encrypts one vector with the current secret.</summary>
    /// <exception cref="ArgumentException">Unknown secret path; NaN, infinity or overflow in the plaintext.</exception>
    /// <exception cref="KeyNotAvailableException">No current secret.</exception>
    public EncryptedVector Encrypt(ReadOnlySpan<float> plaintext, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant) =>
        GetEncryptor(secretPath, derivationPath, tenant).Encrypt(plaintext);

    /// <summary>
    /// One-way encryption with the current secret: no IV or tag is kept, so the result can never be decrypted. Use it
    /// for training sets and query-only stores. See <see cref="VectorEncryptor.EncryptOneWay(ReadOnlySpan{float})"/>.
    /// </summary>
    public float[] EncryptOneWay(ReadOnlySpan<float> plaintext, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant) =>
        GetEncryptor(secretPath, derivationPath, tenant).EncryptOneWay(plaintext);

    /// <summary>Verifies and decrypts, with the secret its header names (current or in rotation).</summary>
    /// <exception cref="System.Security.Cryptography.AuthenticationTagMismatchException">Altered data, or another tenant or derivation path.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">Malformed paired ICL info.</exception>
    /// <exception cref="KeyNotAvailableException">The header's key id is not a live secret of the path.</exception>
    /// <exception cref="ArgumentException">Unknown secret path.</exception>
    public float[] Decrypt(EncryptedVector encrypted, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        return GetDecryptor(encrypted, tenant).Decrypt(encrypted);
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
            VectorEncryptor encryptor = GetEncryptor(secretPath, secret, live, derivationPath, tenant);
            queries.Add(new QueryVector(live.Id, encryptor.EncryptOneWay(query)));
        }

        return queries;
    }

    /// <summary>
    /// Re-encrypts a stored vector with the current secret, for the same or a new tenant. A no-op (the input is
    /// returned) when it already uses the current secret and the tenant does not change.
    /// </summary>
    /// <remarks>
    /// <b>Lossy.</b> Rotation decrypts and re-encrypts in f32, so each rotation drifts the vector by a few ulps.
    /// For exact results keep a standard-encrypted copy of the original and re-encrypt from it.
    /// </remarks>
    public EncryptedVector Rotate(EncryptedVector encrypted, TenantId tenant, TenantId? newTenant = null)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        TenantId target = newTenant ?? tenant;
        VectorEncryptor current = GetEncryptor(encrypted.SecretPath, encrypted.DerivationPath, target);
        if (target == tenant && encrypted.KeyId == current.KeyId)
        {
            return encrypted;
        }

        float[] plaintext = Decrypt(encrypted, tenant);
        try
        {
            return current.Encrypt(plaintext);
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
        VectorEncryptor encryptor = GetEncryptor(secretPath, derivationPath, tenant);
        return BatchResult<EncryptedVector>.Run(plaintexts, plaintext => encryptor.Encrypt(plaintext.Span), _random);
    }

    /// <summary>One-way encrypts many vectors in parallel. One bad vector fails alone.</summary>
    public BatchResult<float[]> EncryptOneWayBatch(IReadOnlyList<ReadOnlyMemory<float>> plaintexts, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(plaintexts);
        VectorEncryptor encryptor = GetEncryptor(secretPath, derivationPath, tenant);
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

    /// <summary>Rotates many vectors in parallel (see <see cref="Rotate"/>).</summary>
    public BatchResult<EncryptedVector> RotateBatch(IReadOnlyList<EncryptedVector> encrypted, TenantId tenant, TenantId? newTenant = null)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        return BatchResult<EncryptedVector>.Run(encrypted, vector => Rotate(vector, tenant, newTenant), _random);
    }

    /// <summary>Zeroes every cached derived key.</summary>
    public void Dispose()
    {
        foreach (CachedEncryptor cached in _encryptors.Values)
        {
            cached.Encryptor.Key.Dispose();
        }

        _encryptors.Clear();
    }

    private VectorEncryptor GetDecryptor(EncryptedVector encrypted, TenantId tenant)
    {
        VectorSecret secret = GetSecret(encrypted.SecretPath);
        if (encrypted.KeyId is not { } keyId)
        {
            // Let the encryptor produce the precise format error.
            IdentifiedSecret any = secret.Secrets.Live.First();
            return GetEncryptor(encrypted.SecretPath, secret, any, encrypted.DerivationPath, tenant);
        }

        IdentifiedSecret live = secret.Secrets.Find(keyId)
            ?? throw new KeyNotAvailableException($"Secret with key ID {keyId} does not exist in the vector configuration for secret path '{encrypted.SecretPath}'.", keyId);
        return GetEncryptor(encrypted.SecretPath, secret, live, encrypted.DerivationPath, tenant);
    }

    private VectorSecret GetSecret(SecretPath secretPath) =>
        _secrets.TryGetValue(secretPath, out VectorSecret? secret)
            ? secret
            : throw new ArgumentException($"Provided secret path '{secretPath}' does not exist in the vector configuration.", nameof(secretPath));

    private VectorEncryptor GetEncryptor(SecretPath secretPath, VectorSecret secret, IdentifiedSecret identified, DerivationPath derivationPath, TenantId tenant)
    {
        var cacheKey = (secretPath, identified.Id, tenant, derivationPath);
        if (!_encryptors.TryGetValue(cacheKey, out CachedEncryptor? cached))
        {
            if (_encryptors.Count >= CacheCapacity)
            {
                EvictLeastRecentlyUsed();
            }

            var parameters = new VectorParameters(secret.ApproximationFactor, secret.UseScalingFactor);
            cached = _encryptors.GetOrAdd(cacheKey, _ => new CachedEncryptor(new VectorEncryptor(
                VectorEncryptionKey.Derive(identified.Secret, tenant, derivationPath),
                parameters,
                identified.Id,
                secretPath,
                derivationPath,
                _random,
                new VectorInputLimits(secret.Dimensions, secret.MaxNorm))));
        }

        Volatile.Write(ref cached.LastUse, Interlocked.Increment(ref _clock));
        return cached.Encryptor;
    }

    /// <summary>Drops the least recently used quarter of the cache (one thread at a time; lookups go on meanwhile).</summary>
    private void EvictLeastRecentlyUsed()
    {
        lock (_evictionLock)
        {
            if (_encryptors.Count < CacheCapacity)
            {
                return;
            }

            // Evicted encryptors may still be in use by other threads, so they are not disposed here.
            foreach (var (key, _) in _encryptors.OrderBy(e => Volatile.Read(ref e.Value.LastUse)).Take(CacheCapacity / 4).ToList())
            {
                _encryptors.TryRemove(key, out _);
            }
        }
    }

    /// <summary>A cached encryptor and when it was last handed out (a tick of the cache's clock).</summary>
    private sealed class CachedEncryptor(VectorEncryptor encryptor)
    {
        public VectorEncryptor Encryptor { get; } = encryptor;

        public long LastUse;
    }
}
