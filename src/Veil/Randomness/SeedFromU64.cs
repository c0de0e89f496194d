using System.Numerics;

namespace Veil.Randomness;

/// <summary>
/// rand_core's <c>SeedableRng::seed_from_u64</c> (0.9): a PCG32 generator fills the 32-byte seed four bytes at a time.
/// Used only by the insecure seeded test mode, to reproduce Alloy's published known answers.
/// </summary>
internal static class SeedFromU64
{
    private const ulong Multiplier = 6364136223846793005;
    private const ulong Increment = 11634580027462260723;

    /// <summary>Expands <paramref name="state"/> into <paramref name="seed"/>, whose length must be a multiple of 4.</summary>
    public static void Expand(ulong state, Span<byte> seed)
    {
        unchecked
        {
            for (int offset = 0; offset < seed.Length; offset += 4)
            {
                state = (state * Multiplier) + Increment;
                uint xorshifted = (uint)(((state >> 18) ^ state) >> 27);
                int rotation = (int)(state >> 59);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(
                    seed.Slice(offset, 4),
                    BitOperations.RotateRight(xorshifted, rotation));
            }
        }
    }
}
