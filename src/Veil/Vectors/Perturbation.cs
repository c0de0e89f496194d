using System.Buffers;
using System.Runtime.Intrinsics;
using Veil.Randomness;

namespace Veil.Vectors;

/// <summary>
/// The noise λ of Scale-And-Perturb: a point drawn uniformly from the d-ball of radius ρ = sβ/4 (or β/4 without the
/// scaling factor), from a ChaCha20 stream keyed by HMAC-SHA256(K, iv). Direction: d standard normals, normalised;
/// radius: ρ·x′^(1/d) with x′ uniform in [0, 1). Every step is rounded to f32 exactly as Alloy does.
/// </summary>
internal static class Perturbation
{
    // Keystream buffers up to this many words (32 KiB) live on the stack.
    private const int StackWords = 8192;

    /// <summary>Writes λ into <paramref name="lambda"/> (its length is the dimension, at least 1).</summary>
    /// <param name="coinSeed">HMAC-SHA256(K, iv), the seed of the coin stream.</param>
    /// <param name="radius">ρ.</param>
    /// <param name="lambda">Receives λ.</param>
    public static void Generate(ReadOnlySpan<byte> coinSeed, float radius, Span<float> lambda)
    {
        // Generate the whole keystream the sampler is expected to need in one call (so the vectorised ChaCha20 runs
        // over as many blocks as possible); a rare run of rejections refills the same buffer.
        int words = KeystreamWords(lambda.Length);
        uint[]? rented = null;
        Span<uint> buffer = words <= StackWords ? stackalloc uint[words] : (rented = ArrayPool<uint>.Shared.Rent(words)).AsSpan(0, words);
        GenerateCore(coinSeed, radius, lambda, buffer);
        buffer.Clear();
        if (rented is not null)
        {
            ArrayPool<uint>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The keystream words a d-dimensional perturbation is expected to use: one u64 per normal, the uniform's word,
    /// and slack for the ~1.2 % of normals the Ziggurat's first test rejects; rounded up to whole blocks.
    /// </summary>
    internal static int KeystreamWords(int dimensions)
    {
        int words = (2 * dimensions) + 1 + (dimensions / 16) + 16;
        return (words + ChaCha20.BlockWords - 1) / ChaCha20.BlockWords * ChaCha20.BlockWords;
    }

    private static void GenerateCore(ReadOnlySpan<byte> coinSeed, float radius, Span<float> lambda, Span<uint> buffer)
    {
        var coins = new ChaCha20Stream(coinSeed, buffer);

        // u ~ N(0, I_d), then x′ ~ U[0, 1) from the next word: (next_u32 >> 9)·2⁻²³.
        ZigguratNormal.Fill(ref coins, lambda);
        float uniform = (coins.NextUInt32() >> 9) * (1f / (1 << 23));

        // x = ρ·x′^(1/d). MathF.Pow is the platform powf, which is what Rust's f32::powf calls.
        float exponent = 1f / lambda.Length;
        float x = radius * MathF.Pow(uniform, exponent);

        // λ_i = f32(f32(u_i·x) / ‖u‖): multiply, then divide, never fused.
        float norm = MathF.Sqrt(SumOfSquares(lambda));
        Scale(lambda, x, norm);
    }

    /// <summary>
    /// Σ u_i² in ndarray's <c>sum()</c> order: eight f32 partial sums over whole chunks of eight (p_k += a[8j+k]),
    /// folded as ((((0 + (p0+p4)) + (p1+p5)) + (p2+p6)) + (p3+p7)), then the remaining elements one by one.
    /// The eight partial sums are exactly the lanes of one <see cref="Vector256{T}"/>.
    /// </summary>
    internal static float SumOfSquares(ReadOnlySpan<float> values)
    {
        Vector256<float> partial = Vector256<float>.Zero;
        int whole = values.Length - (values.Length % 8);
        for (int j = 0; j < whole; j += 8)
        {
            Vector256<float> v = Vector256.Create(values.Slice(j, 8));
            Vector256<float> squares = v * v;
            partial += squares;
        }

        float acc = 0f;
        acc += partial[0] + partial[4];
        acc += partial[1] + partial[5];
        acc += partial[2] + partial[6];
        acc += partial[3] + partial[7];
        for (int i = whole; i < values.Length; i++)
        {
            float square = values[i] * values[i];
            acc += square;
        }

        return acc;
    }

    private static void Scale(Span<float> values, float x, float norm)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vx = Vector256.Create(x);
            Vector256<float> vn = Vector256.Create(norm);
            for (; i + 8 <= values.Length; i += 8)
            {
                Vector256<float> product = Vector256.Create(values.Slice(i, 8)) * vx;
                (product / vn).CopyTo(values.Slice(i, 8));
            }
        }

        for (; i < values.Length; i++)
        {
            float product = values[i] * x;
            values[i] = product / norm;
        }
    }
}
