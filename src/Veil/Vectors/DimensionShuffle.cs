using System.Security.Cryptography;
using Veil.Randomness;

namespace Veil.Vectors;

/// <summary>
/// The key-derived permutation π_K of the d coordinates. Draw r_i = next_u32() for i = 0..d−1 from the ChaCha20
/// stream seeded with HMAC-SHA256(K, <see cref="ShuffleLabel"/>), then order the indices by r ascending: output
/// position j holds input coordinate π(j). It depends only on (K, d), so it is the same for every vector of a key.
/// </summary>
/// <remarks>
/// Alloy sorts with an unstable sort, so equal draws (probability about d²/2³³ per key) leave the order unspecified
/// there; Veil breaks ties by index.
/// </remarks>
internal static class DimensionShuffle
{
    /// <summary>The label keyed into the shuffle stream (ASCII, 104 bytes).</summary>
    public static ReadOnlySpan<byte> ShuffleLabel =>
        "One Ring to rule them all, One Ring to find them, One Ring to bring them all, and in the darkness bind them"u8;

    /// <summary>Computes π for <paramref name="dimensions"/> coordinates under the 32-byte key <paramref name="key"/>.</summary>
    public static int[] ComputePermutation(ReadOnlySpan<byte> key, int dimensions)
    {
        Span<byte> seed = stackalloc byte[32];
        HMACSHA256.HashData(key, ShuffleLabel, seed);
        Span<uint> buffer = stackalloc uint[16 * ChaCha20.BlockWords];
        var stream = new ChaCha20Stream(seed, buffer);
        CryptographicOperations.ZeroMemory(seed);
        int[] permutation = Draw(ref stream, dimensions);
        buffer.Clear();
        return permutation;
    }

    /// <summary>
    /// A permutation of <paramref name="dimensions"/> indices from the next <paramref name="dimensions"/> words of
    /// <paramref name="stream"/>: the indices ordered by their draw, ascending, ties by index.
    /// </summary>
    public static int[] Draw(ref ChaCha20Stream stream, int dimensions)
    {
        // Sort (draw, index) pairs packed into one u64: ascending draw, ties by index.
        var order = new ulong[dimensions];
        for (int i = 0; i < dimensions; i++)
        {
            order[i] = ((ulong)stream.NextUInt32() << 32) | (uint)i;
        }

        Array.Sort(order);
        var permutation = new int[dimensions];
        for (int j = 0; j < dimensions; j++)
        {
            permutation[j] = unchecked((int)(uint)order[j]);
        }

        return permutation;
    }

    /// <summary>destination[j] = source[π(j)].</summary>
    public static void Apply(ReadOnlySpan<int> permutation, ReadOnlySpan<float> source, Span<float> destination)
    {
        for (int j = 0; j < permutation.Length; j++)
        {
            destination[j] = source[permutation[j]];
        }
    }

    /// <summary>destination[π(j)] = source[j].</summary>
    public static void Invert(ReadOnlySpan<int> permutation, ReadOnlySpan<float> source, Span<float> destination)
    {
        for (int j = 0; j < permutation.Length; j++)
        {
            destination[permutation[j]] = source[j];
        }
    }
}
