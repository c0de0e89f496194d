using Veil.Randomness;

namespace Veil.Vectors;

/// <summary>
/// The construction floor that vector encryption is benchmarked against: the ChaCha20 keystream the perturbation
/// consumes plus HMAC-SHA256 over the 4·d ciphertext bytes. No implementation of the scheme can avoid this work.
/// </summary>
internal static class ConstructionFloor
{
    /// <summary>The keystream words the sampler consumes for d normals and the uniform (2d + 1), in whole blocks.</summary>
    public static int KeystreamWords(int dimensions) =>
        ((2 * dimensions) + 1 + ChaCha20.BlockWords - 1) / ChaCha20.BlockWords * ChaCha20.BlockWords;

    /// <summary>Generates <paramref name="keystream"/> and the tag over <paramref name="ciphertext"/> under <paramref name="key"/>.</summary>
    public static void Run(VectorEncryptionKey key, ReadOnlySpan<float> ciphertext, Span<uint> keystream, Span<byte> tag)
    {
        ChaCha20.GenerateBlocks(ChaChaKey.FromBytes(key.Key), 0, keystream);
        Span<byte> iv = stackalloc byte[ScaleAndPerturb.IvLength];
        ScaleAndPerturb.ComputeTag(key, 2.5f, iv, ciphertext, tag);
    }
}
