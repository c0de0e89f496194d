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

    /// <summary>
    /// Draws λ's direction and length: writes the normals u into <paramref name="normals"/> (its length is the
    /// dimension, at least 1) and returns x = ρ·x′^(1/d) and ‖u‖, so that λ_i = f32(f32(u_i·x) / ‖u‖). Callers fuse
    /// that last step into their own pass over the coordinates.
    /// </summary>
    /// <param name="coinSeed">HMAC-SHA256(K, iv), the seed of the coin stream.</param>
    /// <param name="radius">ρ.</param>
    /// <param name="normals">Receives u.</param>
    public static BallPoint SampleDirection(ReadOnlySpan<byte> coinSeed, float radius, Span<float> normals)
    {
        // Generate the whole keystream the sampler is expected to need in one call (so the vectorised ChaCha20 runs
        // over as many blocks as possible); a rare run of rejections refills the same buffer.
        int words = KeystreamWords(normals.Length);
        uint[]? rented = null;
        Span<uint> buffer = words <= StackWords ? stackalloc uint[words] : (rented = ArrayPool<uint>.Shared.Rent(words)).AsSpan(0, words);
        var coins = new ChaCha20Stream(coinSeed, buffer);

        // u ~ N(0, I_d), then x′ ~ U[0, 1) from the next word: (next_u32 >> 9)·2⁻²³.
        ZigguratNormal.Fill(ref coins, normals);
        float uniform = (coins.NextUInt32() >> 9) * (1f / (1 << 23));
        buffer.Clear();
        if (rented is not null)
        {
            ArrayPool<uint>.Shared.Return(rented);
        }

        // x = ρ·x′^(1/d). MathF.Pow is the platform powf, which is what Rust's f32::powf calls.
        float exponent = 1f / normals.Length;
        float length = radius * MathF.Pow(uniform, exponent);
        return new BallPoint(length, MathF.Sqrt(SumOfSquares(normals)));
    }

    /// <summary>Writes λ itself into <paramref name="lambda"/> (the reference form, used by tests).</summary>
    public static void Generate(ReadOnlySpan<byte> coinSeed, float radius, Span<float> lambda)
    {
        BallPoint point = SampleDirection(coinSeed, radius, lambda);
        for (int i = 0; i < lambda.Length; i++)
        {
            lambda[i] = point.Lambda(lambda[i]);
        }
    }

    /// <summary>
    /// The keystream words a d-dimensional perturbation is expected to use: one u64 per normal, the uniform's word,
    /// and slack for the 1–2 % of normals the Ziggurat's first test rejects; rounded up to whole blocks.
    /// </summary>
    internal static int KeystreamWords(int dimensions)
    {
        int words = (2 * dimensions) + 1 + (dimensions / 16) + 16;
        return (words + ChaCha20.BlockWords - 1) / ChaCha20.BlockWords * ChaCha20.BlockWords;
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
}

/// <summary>λ's length x = ρ·x′^(1/d) and the norm ‖u‖ of its direction: λ_i = f32(f32(u_i·x) / ‖u‖).</summary>
/// <param name="Length">x.</param>
/// <param name="Norm">‖u‖.</param>
internal readonly record struct BallPoint(float Length, float Norm)
{
    /// <summary>λ_i from u_i: multiply, then divide, never fused.</summary>
    public float Lambda(float normal)
    {
        float product = normal * Length;
        return product / Norm;
    }

    /// <summary>The same for eight coordinates at once.</summary>
    public Vector256<float> Lambda(Vector256<float> normals) => (normals * Vector256.Create(Length)) / Vector256.Create(Norm);
}
