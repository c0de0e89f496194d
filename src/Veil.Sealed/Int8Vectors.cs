using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Veil.Sealed;

/// <summary>Symmetric int8 quantisation with one scale per vector, and the int8 dot product the index scores with.</summary>
internal static class Int8Vectors
{
    /// <summary>Writes round(x / s) into <paramref name="code"/>, with s = max|x| / 127; returns s (0 for a zero vector).</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> code)
    {
        float max = TensorPrimitives.MaxMagnitude(vector);
        max = MathF.Abs(max);
        if (max == 0f)
        {
            code.Clear();
            return 0f;
        }

        float scale = max / 127f;
        float inverse = 1f / scale;
        for (int i = 0; i < vector.Length; i++)
        {
            code[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] * inverse), -127f, 127f);
        }

        return scale;
    }

    /// <summary>The dot product of two codes (entries in [-127, 127]; AVX-VNNI <c>vpdpbusd</c>, else AVX2 <c>vpmaddwd</c>, where available).</summary>
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        int length = a.Length;
        int i = 0;
        int sum = 0;
        ref sbyte ra = ref MemoryMarshal.GetReference(a);
        ref sbyte rb = ref MemoryMarshal.GetReference(b);
        if (AvxVnni.IsSupported && length >= 32)
        {
            // vpdpbusd multiplies unsigned by signed bytes: (a + 128)·b = a·b + 128·Σb, so Σb is accumulated beside it.
            Vector256<int> acc = Vector256<int>.Zero;
            Vector256<int> sumB = Vector256<int>.Zero;
            Vector256<byte> bias = Vector256.Create((byte)0x80);
            Vector256<byte> ones = Vector256.Create((byte)1);
            for (; i <= length - 32; i += 32)
            {
                Vector256<sbyte> vb = Vector256.LoadUnsafe(ref rb, (nuint)i);
                acc = AvxVnni.MultiplyWideningAndAdd(acc, Vector256.LoadUnsafe(ref ra, (nuint)i).AsByte() ^ bias, vb);
                sumB = AvxVnni.MultiplyWideningAndAdd(sumB, ones, vb);
            }

            sum = Vector256.Sum(acc) - (128 * Vector256.Sum(sumB));
        }
        else if (Avx2.IsSupported && length >= 32)
        {
            Vector256<int> acc = Vector256<int>.Zero;
            for (; i <= length - 32; i += 32)
            {
                (Vector256<short> alo, Vector256<short> ahi) = Vector256.Widen(Vector256.LoadUnsafe(ref ra, (nuint)i));
                (Vector256<short> blo, Vector256<short> bhi) = Vector256.Widen(Vector256.LoadUnsafe(ref rb, (nuint)i));
                acc = Avx2.Add(acc, Avx2.Add(Avx2.MultiplyAddAdjacent(alo, blo), Avx2.MultiplyAddAdjacent(ahi, bhi)));
            }

            sum = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && length >= 16)
        {
            Vector128<int> acc = Vector128<int>.Zero;
            for (; i <= length - 16; i += 16)
            {
                (Vector128<short> alo, Vector128<short> ahi) = Vector128.Widen(Vector128.LoadUnsafe(ref ra, (nuint)i));
                (Vector128<short> blo, Vector128<short> bhi) = Vector128.Widen(Vector128.LoadUnsafe(ref rb, (nuint)i));
                (Vector128<int> p0, Vector128<int> p1) = Vector128.Widen(alo * blo);
                (Vector128<int> p2, Vector128<int> p3) = Vector128.Widen(ahi * bhi);
                acc += p0 + p1 + p2 + p3;
            }

            sum = Vector128.Sum(acc);
        }

        for (; i < length; i++)
        {
            sum += Unsafe.Add(ref ra, i) * Unsafe.Add(ref rb, i);
        }

        return sum;
    }
}
