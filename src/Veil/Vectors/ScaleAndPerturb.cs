using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;

namespace Veil.Vectors;

/// <summary>
/// Scale-And-Perturb, the approximate-distance-comparison-preserving encryption of Fuchsbauer, Ghosal, Hauke and
/// O'Neill (SCN 2022, Algorithm 2), bit-exact with IronCore Alloy:
/// <code>
/// Enc_{s,K,β}(m):  n ←$ {0,1}^96
///                  coins ← ChaCha20(HMAC-SHA256_K(n))
///                  u ← N(0, I_d; coins);  x′ ← U[0,1)(coins)
///                  λ ← ρ·x′^(1/d) · u/‖u‖          (ρ = sβ/4, or β/4 without scaling)
///                  c ← s·π_K(m) + λ                (π_K: the key's coordinate permutation)
///                  τ ← HMAC-SHA256_K(s ‖ β ‖ n ‖ c)
/// Dec: check τ, recompute λ from (K, n), m = π_K⁻¹((c − λ)/s).
/// </code>
/// All arithmetic is f32 with one rounding per operation, as in Alloy (no fused multiply-add).
/// </summary>
internal static class ScaleAndPerturb
{
    /// <summary>IV (nonce) length n in bytes.</summary>
    public const int IvLength = 12;

    /// <summary>Authentication tag τ length in bytes.</summary>
    public const int TagLength = 32;

    // Vectors up to this many dimensions keep their temporary buffers on the stack.
    private const int StackDimensions = 2048;

    /// <summary>
    /// Encrypts <paramref name="plaintext"/>, permuted by <paramref name="permutation"/> (π_K, or the identity in
    /// tests of the bare algorithm), into <paramref name="ciphertext"/> and, unless <paramref name="tag"/> is
    /// empty (one-way encryption), writes τ.
    /// </summary>
    /// <returns>False (and a cleared ciphertext) when the result would not be finite.</returns>
    public static bool TryEncrypt(
        VectorEncryptionKey key,
        VectorParameters parameters,
        ReadOnlySpan<int> permutation,
        ReadOnlySpan<float> plaintext,
        ReadOnlySpan<byte> iv,
        Span<float> ciphertext,
        Span<byte> tag)
    {
        int d = plaintext.Length;
        if (d > 0)
        {
            float s = parameters.EffectiveScale(key);

            // λ's direction u, written into the ciphertext buffer, then c_j = s·m_π(j) + λ_j in one pass.
            BallPoint lambda = SampleDirection(key, parameters, iv, ciphertext);
            if (!ScaleShuffleAdd(permutation, plaintext, s, lambda, ciphertext))
            {
                ciphertext.Clear();
                return false;
            }
        }

        if (!tag.IsEmpty)
        {
            ComputeTag(key, parameters.ApproximationFactor, iv, ciphertext, tag);
        }

        return true;
    }

    /// <summary>
    /// Verifies τ in constant time, then decrypts. Nothing is computed from the ciphertext before τ checks out.
    /// </summary>
    /// <returns>False, with <paramref name="plaintext"/> cleared, when τ does not match.</returns>
    public static bool TryDecrypt(
        VectorEncryptionKey key,
        VectorParameters parameters,
        ReadOnlySpan<int> permutation,
        ReadOnlySpan<float> ciphertext,
        ReadOnlySpan<byte> iv,
        ReadOnlySpan<byte> tag,
        Span<float> plaintext)
    {
        Span<byte> expected = stackalloc byte[TagLength];
        ComputeTag(key, parameters.ApproximationFactor, iv, ciphertext, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, tag))
        {
            plaintext.Clear();
            return false;
        }

        int d = ciphertext.Length;
        if (d == 0)
        {
            return true;
        }

        float s = parameters.EffectiveScale(key);
        float[]? rented = null;
        Span<float> scratch = d <= StackDimensions ? stackalloc float[d] : (rented = ArrayPool<float>.Shared.Rent(d)).AsSpan(0, d);
        BallPoint lambda = SampleDirection(key, parameters, iv, scratch);

        // m_π(j) = (c_j − λ_j) / s: computed in order, then scattered.
        SubtractAndScale(ciphertext, lambda, s, scratch);
        DimensionShuffle.Invert(permutation, scratch, plaintext);

        scratch.Clear();
        if (rented is not null)
        {
            ArrayPool<float>.Shared.Return(rented);
        }

        return true;
    }

    /// <summary>τ = HMAC-SHA256_K(f32_BE(s) ‖ f32_BE(β) ‖ iv ‖ f32_BE(c_0) ‖ … ‖ f32_BE(c_{d−1})), s the derived factor.</summary>
    public static void ComputeTag(VectorEncryptionKey key, float approximationFactor, ReadOnlySpan<byte> iv, ReadOnlySpan<float> ciphertext, Span<byte> tag)
    {
        const int prefix = 8 + IvLength;
        int length = prefix + (4 * ciphertext.Length);
        byte[]? rented = null;
        Span<byte> message = ciphertext.Length <= StackDimensions ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        BinaryPrimitives.WriteSingleBigEndian(message, key.ScalingFactor);
        BinaryPrimitives.WriteSingleBigEndian(message[4..], approximationFactor);
        iv.CopyTo(message[8..]);
        BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(ciphertext), MemoryMarshal.Cast<byte, int>(message[prefix..]));
        key.Hmac(message, tag);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static BallPoint SampleDirection(VectorEncryptionKey key, VectorParameters parameters, ReadOnlySpan<byte> iv, Span<float> normals)
    {
        Span<byte> coinSeed = stackalloc byte[32];
        key.Hmac(iv, coinSeed);
        BallPoint point = Perturbation.SampleDirection(coinSeed, parameters.Radius(key), normals);
        CryptographicOperations.ZeroMemory(coinSeed);
        return point;
    }

    /// <summary>values_j ← (c_j − λ_j) / s, with the normals u_j in <paramref name="values"/> on entry.</summary>
    private static void SubtractAndScale(ReadOnlySpan<float> ciphertext, BallPoint lambda, float s, Span<float> values)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> scale = Vector256.Create(s);
            for (; j + 8 <= values.Length; j += 8)
            {
                Vector256<float> difference = Vector256.Create(ciphertext.Slice(j, 8)) - lambda.Lambda(Vector256.Create(values.Slice(j, 8)));
                (difference / scale).CopyTo(values.Slice(j, 8));
            }
        }

        for (; j < values.Length; j++)
        {
            float difference = ciphertext[j] - lambda.Lambda(values[j]);
            values[j] = difference / s;
        }
    }

    /// <summary>
    /// c_j = f32(f32(s·m_π(j)) + λ_j), with λ's normals u_j in <paramref name="ciphertext"/> on entry; false if any
    /// c_j is not finite.
    /// </summary>
    private static unsafe bool ScaleShuffleAdd(ReadOnlySpan<int> permutation, ReadOnlySpan<float> plaintext, float s, BallPoint lambda, Span<float> ciphertext)
    {
        // The gather below reads plaintext[permutation[j]]: the permutation must be one of exactly these coordinates.
        if (permutation.Length != plaintext.Length || ciphertext.Length < plaintext.Length)
        {
            throw new ArgumentException("The permutation, plaintext and ciphertext lengths differ.", nameof(permutation));
        }

        int j = 0;
        Vector256<int> notFinite = Vector256<int>.Zero;
        if (Avx2.IsSupported)
        {
            Vector256<float> scale = Vector256.Create(s);
            Vector256<int> exponentMask = Vector256.Create(0x7F800000);
            fixed (float* m = plaintext)
            fixed (int* pi = permutation)
            fixed (float* c = ciphertext)
            {
                for (; j + 8 <= permutation.Length; j += 8)
                {
                    Vector256<float> scaled = Avx2.GatherVector256(m, Vector256.Load(pi + j), 4) * scale;
                    Vector256<float> sum = scaled + lambda.Lambda(Vector256.Load(c + j));
                    sum.Store(c + j);
                    notFinite |= Vector256.Equals(sum.AsInt32() & exponentMask, exponentMask);
                }
            }
        }

        bool finite = notFinite == Vector256<int>.Zero;
        for (; j < permutation.Length; j++)
        {
            float scaled = s * plaintext[permutation[j]];
            ciphertext[j] = scaled + lambda.Lambda(ciphertext[j]);
            finite &= float.IsFinite(ciphertext[j]);
        }

        return finite;
    }
}

/// <summary>The non-secret settings of a vector secret path: β and whether the scaling factor is applied.</summary>
/// <param name="ApproximationFactor">β.</param>
/// <param name="UseScalingFactor">Whether s multiplies the plaintext and the radius.</param>
internal readonly record struct VectorParameters(float ApproximationFactor, bool UseScalingFactor)
{
    /// <summary>The factor applied to plaintexts: s, or 1 without scaling (1·m = m exactly, so one code path serves both).</summary>
    public float EffectiveScale(VectorEncryptionKey key)
    {
        if (!UseScalingFactor)
        {
            return 1f;
        }

        if (key.ScalingFactor == 0f)
        {
            throw new CryptographicException("The derived scaling factor is zero; this key cannot be used with the scaling factor on.");
        }

        return key.ScalingFactor;
    }

    /// <summary>ρ = (s/4)·β with scaling, 0.25·β without; each step rounded to f32.</summary>
    public float Radius(VectorEncryptionKey key) =>
        UseScalingFactor ? (key.ScalingFactor / 4f) * ApproximationFactor : 0.25f * ApproximationFactor;
}
