using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Veil.Randomness;

namespace Veil.Vectors;

/// <summary>
/// Standard normal samples exactly as rand_distr 0.6's <c>StandardNormal</c> draws them for f32: the ZIGNOR Ziggurat
/// (Doornik 2005) in f64 over a ChaCha20 word stream, each sample rounded to f32. Every sample uses one or more
/// <c>next_u64</c> draws, so the stream position after a sample depends on earlier rejections.
/// </summary>
internal static class ZigguratNormal
{
    /// <summary>Fills <paramref name="destination"/> with consecutive samples from <paramref name="stream"/>.</summary>
    public static void Fill(ref ChaCha20Stream stream, Span<float> destination)
    {
        ref double x = ref MemoryMarshal.GetReference(ZigguratTables.X);
        int written = 0;
        while (written < destination.Length)
        {
            // Fast path over the buffered words: one u64 per sample while the first test accepts. The stream position
            // is always even here (every draw in the sampler is a u64), so the words pair up as rand_core joins them.
            ReadOnlySpan<ulong> words = MemoryMarshal.Cast<uint, ulong>(stream.Available);
            int take = Math.Min(words.Length, destination.Length - written);
            int accepted = AcceptLeading(ref x, words[..take], destination.Slice(written, take));
            stream.Advance(2 * accepted);
            written += accepted;
            if (accepted < take)
            {
                // The first test rejected: finish this sample the slow way (it consumes more words).
                destination[written++] = (float)SampleSlow(ref stream, stream.NextUInt64());
            }
        }
    }

    /// <summary>
    /// Turns leading words into samples while the first test |x| &lt; X[i+1] accepts them; returns how many it
    /// accepted. This loop is the sampler's hot path, so it runs unchecked and without bounds checks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int AcceptLeading(ref double x, ReadOnlySpan<ulong> words, Span<float> destination)
    {
        unchecked
        {
            ref ulong source = ref MemoryMarshal.GetReference(words);
            ref float target = ref MemoryMarshal.GetReference(destination);
            nint count = words.Length;
            nint k = 0;
            for (; k < count; k++)
            {
                ulong bits = Unsafe.Add(ref source, k);
                nint layer = (nint)(bits & 0xFF);
                double sample = (BitConverter.UInt64BitsToDouble((bits >> 12) | (1024UL << 52)) - 3.0) * Unsafe.Add(ref x, layer);
                if (!(Math.Abs(sample) < Unsafe.Add(ref x, layer + 1)))
                {
                    break;
                }

                Unsafe.Add(ref target, k) = (float)sample;
            }

            return (int)k;
        }
    }

    /// <summary>One sample, scalar, starting from the already drawn word <paramref name="bits"/>.</summary>
    internal static double SampleSlow(ref ChaCha20Stream stream, ulong bits)
    {
        ReadOnlySpan<double> x = ZigguratTables.X;
        ReadOnlySpan<double> f = ZigguratTables.F;
        while (true)
        {
            int i = (int)(bits & 0xFF);
            double u = BitConverter.UInt64BitsToDouble((1024UL << 52) | (bits >> 12)) - 3.0;
            double sample = u * x[i];
            if (Math.Abs(sample) < x[i + 1])
            {
                return sample;
            }

            if (i == 0)
            {
                return Tail(ref stream, u);
            }

            double r = (stream.NextUInt64() >> 11) * (1.0 / (1UL << 53));
            double threshold = f[i + 1] + ((f[i] - f[i + 1]) * r);
            if (threshold < Math.Exp(-sample * sample / 2.0))
            {
                return sample;
            }

            bits = stream.NextUInt64();
        }
    }

    // Marsaglia's tail method beyond R, with Open01 uniforms.
    private static double Tail(ref ChaCha20Stream stream, double u)
    {
        double xx = 1.0, yy = 0.0;
        while (-2.0 * yy < xx * xx)
        {
            double a = Open01(stream.NextUInt64());
            double b = Open01(stream.NextUInt64());
            xx = Math.Log(a) / ZigguratTables.R;
            yy = Math.Log(b);
        }

        return u < 0.0 ? xx - ZigguratTables.R : ZigguratTables.R - xx;
    }

    // rand's Open01 for f64: a value in (0, 1) from the top 52 bits.
    private static double Open01(ulong bits) =>
        BitConverter.UInt64BitsToDouble((1023UL << 52) | (bits >> 12)) - (1.0 - (1.0 / (1UL << 53)));
}
