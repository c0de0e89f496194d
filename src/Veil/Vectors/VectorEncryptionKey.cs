using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Veil.Keys;

namespace Veil.Vectors;

/// <summary>
/// A derived vector key: the scaling factor s and the 32-byte PRF key K, from
/// H = HMAC-SHA512(secret, tenant ‖ "-" ‖ derivationPath): s = H[0..3] as a big-endian u24, K = H[3..35].
/// Caches what is the same for every vector under the key: the dimension permutation per d and reusable HMAC states.
/// </summary>
[DebuggerDisplay("VectorEncryptionKey (redacted)")]
internal sealed class VectorEncryptionKey : IDisposable
{
    /// <summary>Size of K.</summary>
    public const int KeyLength = 32;

    private readonly byte[] _key = GC.AllocateArray<byte>(KeyLength, pinned: true);
    private readonly ConcurrentDictionary<int, int[]> _permutations = new();
    private readonly IncrementalHash?[] _hmacs = new IncrementalHash?[Math.Max(4, 2 * Environment.ProcessorCount)];

    private VectorEncryptionKey(float scalingFactor, ReadOnlySpan<byte> key)
    {
        ScalingFactor = scalingFactor;
        key.CopyTo(_key);
    }

    /// <summary>The derived scaling factor s (0 … 2²⁴ − 1). Enters the tag even when scaling is off.</summary>
    public float ScalingFactor { get; }

    /// <summary>K.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>Derives the key of <paramref name="tenant"/> and <paramref name="derivationPath"/> from <paramref name="secret"/>.</summary>
    public static VectorEncryptionKey Derive(Secret secret, TenantId tenant, DerivationPath derivationPath)
    {
        Span<byte> hash = stackalloc byte[TenantKeyDerivation.Sha512Length];
        try
        {
            TenantKeyDerivation.DeriveSha512(secret, tenant, derivationPath, hash);
            return FromBytes(hash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(hash);
        }
    }

    /// <summary>Alloy's <c>unsafe_bytes_to_key</c>: s from bytes 0..3, K from bytes 3..35 (at least 35 bytes).</summary>
    public static VectorEncryptionKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 3 + KeyLength)
        {
            throw new ArgumentException("A vector key needs at least 35 bytes of key material.", nameof(bytes));
        }

        float s = (bytes[0] << 16) | (bytes[1] << 8) | bytes[2];
        return new VectorEncryptionKey(s, bytes.Slice(3, KeyLength));
    }

    /// <summary>Creates a key from an explicit s and K (known-answer tests of the bare algorithm).</summary>
    internal static VectorEncryptionKey Create(float scalingFactor, ReadOnlySpan<byte> key) => new(scalingFactor, key);

    /// <summary>π_K for <paramref name="dimensions"/> coordinates, computed once per dimension.</summary>
    public int[] GetPermutation(int dimensions) =>
        _permutations.GetOrAdd(dimensions, static (d, key) => DimensionShuffle.ComputePermutation(key._key, d), this);

    /// <summary>HMAC-SHA256 under K of <paramref name="message"/>, on a pooled keyed state (one native call each way).</summary>
    public void Hmac(ReadOnlySpan<byte> message, Span<byte> destination)
    {
        IncrementalHash hmac = RentHmac();
        hmac.AppendData(message);
        hmac.GetHashAndReset(destination);
        ReturnHmac(hmac);
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

        return IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
    }

    private void ReturnHmac(IncrementalHash hmac)
    {
        for (int i = 0; i < _hmacs.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _hmacs[i], hmac, null) is null)
            {
                return;
            }
        }

        hmac.Dispose();
    }

    /// <summary>Zeroes K and releases the HMAC states.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        for (int i = 0; i < _hmacs.Length; i++)
        {
            Interlocked.Exchange(ref _hmacs[i], null)?.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => "VectorEncryptionKey (redacted)";
}
