using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Veil.Randomness;

/// <summary>
/// The ChaCha20 block function (RFC 8439 §2.3) as rand_chacha uses it: a 256-bit key, a 64-bit block counter in
/// state words 12–13 and a 64-bit stream id (always 0) in words 14–15. For the first 2³² blocks this is RFC 8439's
/// keystream with an all-zero nonce.
/// </summary>
internal static partial class ChaCha20
{
    /// <summary>Words per block.</summary>
    public const int BlockWords = 16;

    /// <summary>Key size in bytes.</summary>
    public const int KeyBytes = 32;

    /// <summary>
    /// Writes the keystream blocks <paramref name="firstBlock"/>, <paramref name="firstBlock"/> + 1, … as
    /// little-endian words into <paramref name="output"/>, whose length must be a multiple of 16.
    /// </summary>
    public static void GenerateBlocks(in ChaChaKey key, ulong firstBlock, Span<uint> output)
    {
        if (output.Length % BlockWords != 0)
        {
            throw new ArgumentException("The output must hold whole 16-word blocks.", nameof(output));
        }

        int blocks = output.Length / BlockWords;
        int done = GenerateBlocksVectorized(key, firstBlock, output);
        for (int b = done; b < blocks; b++)
        {
            GenerateBlockScalar(key, unchecked(firstBlock + (ulong)b), output.Slice(b * BlockWords, BlockWords));
        }
    }

    /// <summary>One block, scalar; the reference the vectorised paths are tested against.</summary>
    internal static void GenerateBlockScalar(in ChaChaKey key, ulong counter, Span<uint> output)
    {
        unchecked
        {
            uint x0 = 0x61707865, x1 = 0x3320646e, x2 = 0x79622d32, x3 = 0x6b206574;
            uint x4 = key[0], x5 = key[1], x6 = key[2], x7 = key[3];
            uint x8 = key[4], x9 = key[5], x10 = key[6], x11 = key[7];
            uint x12 = (uint)counter, x13 = (uint)(counter >> 32), x14 = 0, x15 = 0;

            for (int i = 0; i < 10; i++)
            {
                QuarterRound(ref x0, ref x4, ref x8, ref x12);
                QuarterRound(ref x1, ref x5, ref x9, ref x13);
                QuarterRound(ref x2, ref x6, ref x10, ref x14);
                QuarterRound(ref x3, ref x7, ref x11, ref x15);
                QuarterRound(ref x0, ref x5, ref x10, ref x15);
                QuarterRound(ref x1, ref x6, ref x11, ref x12);
                QuarterRound(ref x2, ref x7, ref x8, ref x13);
                QuarterRound(ref x3, ref x4, ref x9, ref x14);
            }

            output[0] = x0 + 0x61707865;
            output[1] = x1 + 0x3320646e;
            output[2] = x2 + 0x79622d32;
            output[3] = x3 + 0x6b206574;
            output[4] = x4 + key[0];
            output[5] = x5 + key[1];
            output[6] = x6 + key[2];
            output[7] = x7 + key[3];
            output[8] = x8 + key[4];
            output[9] = x9 + key[5];
            output[10] = x10 + key[6];
            output[11] = x11 + key[7];
            output[12] = x12 + (uint)counter;
            output[13] = x13 + (uint)(counter >> 32);
            output[14] = x14;
            output[15] = x15;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref uint a, ref uint b, ref uint c, ref uint d)
    {
        unchecked
        {
            a += b; d = BitOperations.RotateLeft(d ^ a, 16);
            c += d; b = BitOperations.RotateLeft(b ^ c, 12);
            a += b; d = BitOperations.RotateLeft(d ^ a, 8);
            c += d; b = BitOperations.RotateLeft(b ^ c, 7);
        }
    }

    /// <summary>
    /// Generates as many leading blocks as the vector hardware handles in whole groups; returns how many it wrote.
    /// The scalar path finishes the rest.
    /// </summary>
    private static partial int GenerateBlocksVectorized(in ChaChaKey key, ulong firstBlock, Span<uint> output);
}

/// <summary>A ChaCha20 key as eight little-endian words.</summary>
[InlineArray(8)]
internal struct ChaChaKey
{
    private uint _word0;

    /// <summary>Reads a 32-byte key.</summary>
    public static ChaChaKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != ChaCha20.KeyBytes)
        {
            throw new ArgumentException("A ChaCha20 key is 32 bytes.", nameof(key));
        }

        ChaChaKey result = default;
        for (int i = 0; i < 8; i++)
        {
            result[i] = BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(i * 4, 4));
        }

        return result;
    }
}
