using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Veil.Randomness;

namespace Veil.Vectors;

/// <summary>
/// The keyed orthogonal map R = B·D₃·P₂·B·D₂·P₁·B·D₁ of <see cref="Keys.VectorKeyTransform.StructuredRotation"/>
/// (Scale-And-Perturb then applies P₃ = π_K, so the whole key transform is P₃·B·D₃·P₂·B·D₂·P₁·B·D₁). O(d log d) per
/// vector; the key keeps 3d signs and 2d indices per dimension, nothing d × d.
/// </summary>
/// <remarks>
/// <para><b>Factors.</b> Dᵢ: diagonal of ±1 signs. Pᵢ: coordinate permutations, (P·x)_j = x_{p(j)}. B: block-diagonal
/// normalised Walsh–Hadamard (Sylvester) transforms, one block per set bit of d, largest first (384 = 256 + 128,
/// 768 = 512 + 256, 1536 = 1024 + 512, 1024 a single block). Every width is such a sum, so B is always defined and
/// orthogonal (a block of 1 is the identity); the keyed permutations between rounds carry coordinates across
/// blocks, which is why three rounds are used.</para>
/// <para><b>Derivation.</b> The ChaCha20 stream seeded with HMAC-SHA256(K, <see cref="Label"/>) gives, in order,
/// D₁, D₂, D₃ (one bit per coordinate, the low bit of each word first; 1 is −1), then P₁ and P₂ (each as
/// <see cref="DimensionShuffle.Draw"/>: d words, indices sorted by their draw). K is the rotation key's own PRF key, so
/// each tenant and derivation path has its own R.</para>
/// <para><b>Arithmetic.</b> f32, SIMD where available; the inverse applies the transposed factors in reverse order, so
/// decrypting returns the plaintext up to float rounding (a few ulp per round), not bit-exactly.</para>
/// </remarks>
internal sealed class StructuredRotation
{
    /// <summary>The number of sign–Hadamard–permutation rounds.</summary>
    public const int Rounds = 3;

    private readonly float[] _signs;
    private readonly int[] _permutations;

    private StructuredRotation(int dimensions, float[] signs, int[] permutations)
    {
        Dimensions = dimensions;
        _signs = signs;
        _permutations = permutations;
    }

    /// <summary>The label keyed into the rotation's stream (ASCII).</summary>
    public static ReadOnlySpan<byte> Label => "veil structured rotation/1 tables"u8;

    /// <summary>d.</summary>
    public int Dimensions { get; }

    /// <summary>An estimate of the memory the tables hold.</summary>
    public long RetainedBytes => 64 + (4L * (_signs.Length + _permutations.Length));

    /// <summary>Derives R for <paramref name="dimensions"/> coordinates from the 32-byte key <paramref name="key"/>.</summary>
    public static StructuredRotation Derive(ReadOnlySpan<byte> key, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dimensions);
        Span<byte> seed = stackalloc byte[32];
        HMACSHA256.HashData(key, Label, seed);
        Span<uint> buffer = stackalloc uint[16 * ChaCha20.BlockWords];
        var stream = new ChaCha20Stream(seed, buffer);
        CryptographicOperations.ZeroMemory(seed);

        var signs = new float[Rounds * dimensions];
        for (int round = 0; round < Rounds; round++)
        {
            Span<float> d = signs.AsSpan(round * dimensions, dimensions);
            for (int j = 0; j < dimensions; j += 32)
            {
                uint bits = stream.NextUInt32();
                for (int b = 0; b < 32 && j + b < dimensions; b++)
                {
                    d[j + b] = ((bits >> b) & 1) == 0 ? 1f : -1f;
                }
            }
        }

        var permutations = new int[(Rounds - 1) * dimensions];
        for (int round = 0; round < Rounds - 1; round++)
        {
            DimensionShuffle.Draw(ref stream, dimensions).CopyTo(permutations, round * dimensions);
        }

        buffer.Clear();
        return new StructuredRotation(dimensions, signs, permutations);
    }

    /// <summary>destination = R·source; <paramref name="scratch"/> holds d floats (overwritten).</summary>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, Span<float> scratch)
    {
        int d = Dimensions;
        Check(source.Length, destination.Length, scratch.Length);
        destination = destination[..d];
        scratch = scratch[..d];

        // destination = B·D₁·x; scratch = B·D₂·P₁·destination; destination = B·D₃·P₂·scratch.
        Multiply(source, Signs(0), destination);
        Hadamard(destination);
        GatherMultiply(Permutation(0), destination, Signs(1), scratch);
        Hadamard(scratch);
        GatherMultiply(Permutation(1), scratch, Signs(2), destination);
        Hadamard(destination);
    }

    /// <summary>values = R⁻¹·values = D₁·B·P₁ᵀ·D₂·B·P₂ᵀ·D₃·B·values, in place; <paramref name="scratch"/> holds d floats.</summary>
    public void Invert(Span<float> values, Span<float> scratch)
    {
        int d = Dimensions;
        Check(values.Length, values.Length, scratch.Length);
        values = values[..d];
        scratch = scratch[..d];

        Hadamard(values);
        MultiplyScatter(values, Signs(2), Permutation(1), scratch);
        Hadamard(scratch);
        MultiplyScatter(scratch, Signs(1), Permutation(0), values);
        Hadamard(values);
        Multiply(values, Signs(0), values);
    }

    /// <summary>Zeroes the tables (the key is being disposed).</summary>
    public void Clear()
    {
        Array.Clear(_signs);
        Array.Clear(_permutations);
    }

    /// <inheritdoc/>
    public override string ToString() => "StructuredRotation (redacted)";

    /// <summary>
    /// The normalised Walsh–Hadamard transform of each block of B in place: blocks of the powers of two in
    /// values.Length, largest first.
    /// </summary>
    internal static void Hadamard(Span<float> values)
    {
        int offset = 0;
        for (int size = 1 << (31 - int.LeadingZeroCount(values.Length)); size > 0; size >>= 1)
        {
            if ((values.Length & size) != 0)
            {
                HadamardBlock(values.Slice(offset, size));
                offset += size;
            }
        }
    }

    private static void HadamardBlock(Span<float> block)
    {
        int n = block.Length;
        if (n == 1)
        {
            return;
        }

        for (int half = 1; half < n; half <<= 1)
        {
            for (int start = 0; start < n; start += 2 * half)
            {
                Span<float> a = block.Slice(start, half);
                Span<float> b = block.Slice(start + half, half);
                int j = 0;
                if (Vector256.IsHardwareAccelerated && half >= Vector256<float>.Count)
                {
                    ref float ra = ref MemoryMarshal.GetReference(a);
                    ref float rb = ref MemoryMarshal.GetReference(b);
                    for (; j + Vector256<float>.Count <= half; j += Vector256<float>.Count)
                    {
                        Vector256<float> x = Vector256.LoadUnsafe(ref ra, (nuint)j);
                        Vector256<float> y = Vector256.LoadUnsafe(ref rb, (nuint)j);
                        (x + y).StoreUnsafe(ref ra, (nuint)j);
                        (x - y).StoreUnsafe(ref rb, (nuint)j);
                    }
                }

                for (; j < half; j++)
                {
                    float x = a[j];
                    float y = b[j];
                    a[j] = x + y;
                    b[j] = x - y;
                }
            }
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(block, 1f / MathF.Sqrt(n), block);
    }

    private static void Multiply(ReadOnlySpan<float> source, ReadOnlySpan<float> signs, Span<float> destination) =>
        System.Numerics.Tensors.TensorPrimitives.Multiply(source, signs, destination);

    /// <summary>destination[j] = source[p(j)]·signs[j].</summary>
    private static void GatherMultiply(ReadOnlySpan<int> permutation, ReadOnlySpan<float> source, ReadOnlySpan<float> signs, Span<float> destination)
    {
        for (int j = 0; j < permutation.Length; j++)
        {
            destination[j] = source[permutation[j]] * signs[j];
        }
    }

    /// <summary>destination[p(j)] = source[j]·signs[j] (the transpose of <see cref="GatherMultiply"/>).</summary>
    private static void MultiplyScatter(ReadOnlySpan<float> source, ReadOnlySpan<float> signs, ReadOnlySpan<int> permutation, Span<float> destination)
    {
        for (int j = 0; j < permutation.Length; j++)
        {
            destination[permutation[j]] = source[j] * signs[j];
        }
    }

    private ReadOnlySpan<float> Signs(int round) => _signs.AsSpan(round * Dimensions, Dimensions);

    private ReadOnlySpan<int> Permutation(int round) => _permutations.AsSpan(round * Dimensions, Dimensions);

    private void Check(int source, int destination, int scratch)
    {
        if (source != Dimensions || destination < Dimensions || scratch < Dimensions)
        {
            throw new ArgumentException($"The rotation is for {Dimensions} coordinates.");
        }
    }
}
