using System.Diagnostics;
using System.Security.Cryptography;
using Veil.Keys;

namespace Veil.Vectors;

/// <summary>
/// A derived vector key: the scaling factor s and the 32-byte PRF key K, from
/// H = HMAC-SHA512(secret, tenant ‖ "-" ‖ derivationPath): s = H[0..3] as a big-endian u24, K = H[3..35]; for
/// <see cref="VectorKeyTransform.StructuredRotation"/>, K = HMAC-SHA256(H[3..35], <see cref="RotationKeyLabel"/>)
/// instead, so its tags, noise and permutation share nothing with the Alloy key of the same secret.
/// Caches what is the same for every vector under the key: the dimension permutation (and structured rotation) of
/// the last few dimensions used (least recently used out) and reusable HMAC states.
/// </summary>
/// <remarks>
/// <para><b>Memory.</b> <see cref="RetainedBytes"/> estimates what the key keeps (K, its permutations, its HMAC
/// states); each change is reported to <see cref="RetainedBytesChanged"/>, through which the owning cache bounds
/// the sum over its keys.</para>
/// <para><b>Zeroing.</b> <see cref="Dispose"/> zeroes K and the cached permutations and releases the HMAC states
/// (OpenSSL cleanses them); a key that is never disposed zeroes K when it is collected. A permutation dropped from
/// the small cache is left to the collector, not zeroed, because an operation in flight may still be reading it.</para>
/// </remarks>
[DebuggerDisplay("VectorEncryptionKey (redacted)")]
internal sealed class VectorEncryptionKey : IDisposable
{
    /// <summary>Size of K.</summary>
    public const int KeyLength = 32;

    /// <summary>How many dimensions' permutations a key keeps when any dimension is accepted.</summary>
    public const int DefaultPermutationSlots = 4;

    /// <summary>An estimate of one pooled HMAC state (managed wrapper and native context), measured at about 1 KiB.</summary>
    public const long HmacStateBytes = 1024;

    // Pooled HMAC states per key: enough for every core to run a batch row at once.
    private static readonly int s_hmacPoolSize = Math.Max(4, 2 * Environment.ProcessorCount);

    /// <summary>An estimate of the fixed part of a key (objects, K, the pool array), without permutations and HMAC states.</summary>
    public static long FixedBytes => 256 + (8L * s_hmacPoolSize);

    private readonly byte[] _key = GC.AllocateArray<byte>(KeyLength, pinned: true);
    private readonly IncrementalHash?[] _hmacs = new IncrementalHash?[s_hmacPoolSize];
    private readonly int _permutationSlots;
    private readonly Lock _permutationLock = new();

    // Copy-on-write under _permutationLock; read without a lock (at most a few entries).
    private CachedPermutation[] _permutations = [];
    private long _permutationClock;
    private long _retainedBytes = FixedBytes;
    private volatile bool _disposed;

    private VectorEncryptionKey(float scalingFactor, ReadOnlySpan<byte> key, int permutationSlots, VectorKeyTransform transform)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(permutationSlots);
        ScalingFactor = scalingFactor;
        _permutationSlots = permutationSlots;
        Transform = transform;
        if (transform == VectorKeyTransform.StructuredRotation)
        {
            HMACSHA256.HashData(key, RotationKeyLabel, _key);
        }
        else
        {
            if (transform != VectorKeyTransform.AlloyPermutation)
            {
                throw new ArgumentOutOfRangeException(nameof(transform), transform, "Unknown vector key transform.");
            }

            key.CopyTo(_key);
        }
    }

    /// <summary>The label that separates a structured-rotation key's K from the Alloy K of the same secret (ASCII).</summary>
    public static ReadOnlySpan<byte> RotationKeyLabel => "veil structured rotation/1 key"u8;

    /// <summary>The linear map applied before Scale-And-Perturb.</summary>
    public VectorKeyTransform Transform { get; }

    /// <summary>Zeroes K when a key that was never disposed is collected.</summary>
    ~VectorEncryptionKey()
    {
        CryptographicOperations.ZeroMemory(_key);
    }

    /// <summary>The derived scaling factor s (0 … 2²⁴ − 1). Enters the tag even when scaling is off.</summary>
    public float ScalingFactor { get; }

    /// <summary>K.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>Whether <see cref="Dispose"/> ran (K is zeroed: the key must not be used).</summary>
    public bool IsDisposed => _disposed;

    /// <summary>An estimate, in bytes, of the memory the key holds: K, its cached permutations and its HMAC states.</summary>
    public long RetainedBytes => Interlocked.Read(ref _retainedBytes);

    /// <summary>
    /// Called with the change in <see cref="RetainedBytes"/> when a permutation or HMAC state is cached or dropped
    /// (never under the key's locks). Set once, before the key is shared.
    /// </summary>
    public Action<long>? RetainedBytesChanged { get; set; }

    /// <summary>Derives the key of <paramref name="tenant"/> and <paramref name="derivationPath"/> from <paramref name="secret"/>.</summary>
    /// <param name="secret">The secret.</param>
    /// <param name="tenant">The tenant.</param>
    /// <param name="derivationPath">The derivation path.</param>
    /// <param name="permutationSlots">How many dimensions' permutations to keep (1 for a path of fixed dimension).</param>
    /// <param name="transform">The key transform.</param>
    public static VectorEncryptionKey Derive(Secret secret, TenantId tenant, DerivationPath derivationPath, int permutationSlots = DefaultPermutationSlots, VectorKeyTransform transform = VectorKeyTransform.AlloyPermutation)
    {
        Span<byte> hash = stackalloc byte[TenantKeyDerivation.Sha512Length];
        try
        {
            TenantKeyDerivation.DeriveSha512(secret, tenant, derivationPath, hash);
            return FromBytes(hash, permutationSlots, transform);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(hash);
        }
    }

    /// <summary>Alloy's <c>unsafe_bytes_to_key</c>: s from bytes 0..3, K from bytes 3..35 (at least 35 bytes).</summary>
    public static VectorEncryptionKey FromBytes(ReadOnlySpan<byte> bytes, int permutationSlots = DefaultPermutationSlots, VectorKeyTransform transform = VectorKeyTransform.AlloyPermutation)
    {
        if (bytes.Length < 3 + KeyLength)
        {
            throw new ArgumentException("A vector key needs at least 35 bytes of key material.", nameof(bytes));
        }

        float s = (bytes[0] << 16) | (bytes[1] << 8) | bytes[2];
        return new VectorEncryptionKey(s, bytes.Slice(3, KeyLength), permutationSlots, transform);
    }

    /// <summary>Creates a key from an explicit s and K (known-answer tests of the bare algorithm).</summary>
    internal static VectorEncryptionKey Create(float scalingFactor, ReadOnlySpan<byte> key, VectorKeyTransform transform = VectorKeyTransform.AlloyPermutation) =>
        new(scalingFactor, key, DefaultPermutationSlots, transform);

    /// <summary>
    /// π_K for <paramref name="dimensions"/> coordinates: from the key's small cache when recently used (no lock, no
    /// allocation), otherwise computed and cached in place of the least recently used dimension.
    /// </summary>
    public int[] GetPermutation(int dimensions) => GetTables(dimensions).Permutation;

    /// <summary>
    /// The structured rotation for <paramref name="dimensions"/> coordinates, or null for an Alloy-permutation key;
    /// cached with π_K.
    /// </summary>
    public StructuredRotation? GetRotation(int dimensions) => GetTables(dimensions).Rotation;

    private CachedPermutation GetTables(int dimensions)
    {
        CachedPermutation[] cached = Volatile.Read(ref _permutations);
        foreach (CachedPermutation entry in cached)
        {
            if (entry.Dimensions == dimensions)
            {
                // Recency only matters once every slot is taken.
                if (cached.Length == _permutationSlots && _permutationSlots > 1)
                {
                    entry.Touch(ref _permutationClock);
                }

                return entry;
            }
        }

        return AddPermutation(dimensions);
    }

    /// <summary>HMAC-SHA256 under K of <paramref name="message"/>, on a pooled keyed state (one native call each way).</summary>
    public void Hmac(ReadOnlySpan<byte> message, Span<byte> destination)
    {
        IncrementalHash hmac = RentHmac();
        hmac.AppendData(message);
        hmac.GetHashAndReset(destination);
        ReturnHmac(hmac);
    }

    /// <summary>Zeroes K and the cached permutations and releases the HMAC states. Idempotent.</summary>
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_key);
        for (int i = 0; i < _hmacs.Length; i++)
        {
            Interlocked.Exchange(ref _hmacs[i], null)?.Dispose();
        }

        lock (_permutationLock)
        {
            foreach (CachedPermutation entry in _permutations)
            {
                Array.Clear(entry.Permutation);
                entry.Rotation?.Clear();
            }

            _permutations = [];
        }

        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() => "VectorEncryptionKey (redacted)";

    private CachedPermutation AddPermutation(int dimensions)
    {
        // Computed outside the lock: a million-coordinate shuffle takes tens of milliseconds.
        var computed = new CachedPermutation(
            dimensions,
            DimensionShuffle.ComputePermutation(_key, dimensions),
            Transform == VectorKeyTransform.StructuredRotation ? StructuredRotation.Derive(_key, dimensions) : null);
        long delta;
        lock (_permutationLock)
        {
            CachedPermutation[] cached = _permutations;
            foreach (CachedPermutation entry in cached)
            {
                if (entry.Dimensions == dimensions)
                {
                    return entry;
                }
            }

            if (_disposed)
            {
                return computed;
            }

            CachedPermutation added = computed;
            added.Touch(ref _permutationClock);
            delta = added.RetainedBytes;
            CachedPermutation[] next;
            if (cached.Length < _permutationSlots)
            {
                next = [.. cached, added];
            }
            else
            {
                int oldest = 0;
                for (int i = 1; i < cached.Length; i++)
                {
                    if (cached[i].LastUse < cached[oldest].LastUse)
                    {
                        oldest = i;
                    }
                }

                delta -= cached[oldest].RetainedBytes;
                next = [.. cached];
                next[oldest] = added;
            }

            Volatile.Write(ref _permutations, next);
        }

        ReportRetained(delta);
        return computed;
    }

    private void ReportRetained(long delta)
    {
        if (delta != 0)
        {
            Interlocked.Add(ref _retainedBytes, delta);
            RetainedBytesChanged?.Invoke(delta);
        }
    }

    private IncrementalHash RentHmac()
    {
        for (int i = 0; i < _hmacs.Length; i++)
        {
            IncrementalHash? hmac = Interlocked.Exchange(ref _hmacs[i], null);
            if (hmac is not null)
            {
                return hmac;
            }
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        IncrementalHash created = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        ReportRetained(HmacStateBytes);
        return created;
    }

    private void ReturnHmac(IncrementalHash hmac)
    {
        if (!_disposed)
        {
            for (int i = 0; i < _hmacs.Length; i++)
            {
                if (Interlocked.CompareExchange(ref _hmacs[i], hmac, null) is null)
                {
                    return;
                }
            }
        }

        hmac.Dispose();
        ReportRetained(-HmacStateBytes);
    }

    /// <summary>A cached permutation (and structured rotation) and when it was last used (a tick of the key's clock).</summary>
    private sealed class CachedPermutation(int dimensions, int[] permutation, StructuredRotation? rotation)
    {
        public int Dimensions { get; } = dimensions;

        public int[] Permutation { get; } = permutation;

        public StructuredRotation? Rotation { get; } = rotation;

        public long RetainedBytes => 32 + (4L * Dimensions) + (Rotation?.RetainedBytes ?? 0);

        public long LastUse;

        public void Touch(ref long clock) => Volatile.Write(ref LastUse, Interlocked.Increment(ref clock));
    }
}
