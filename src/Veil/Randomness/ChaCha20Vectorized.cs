namespace Veil.Randomness;

internal static partial class ChaCha20
{
    // Placeholder until the SIMD kernels land: everything goes through the scalar block function.
    private static partial int GenerateBlocksVectorized(in ChaChaKey key, ulong firstBlock, Span<uint> output) => 0;
}
