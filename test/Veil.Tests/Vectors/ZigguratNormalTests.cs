using System.Security.Cryptography;
using Veil.Randomness;
using Veil.Vectors;

namespace Veil.Tests.Vectors;

public class ZigguratNormalTests
{
    [Fact]
    public void ZigguratTables_WhenComparedWithSpecJson_AreTheSameDoubles()
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Support.TestData.VectorFile("ziggurat-normal-tables.json")));
        double Parse(System.Text.Json.JsonElement e) => double.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        double[] x = document.RootElement.GetProperty("ZIG_NORM_X").EnumerateArray().Select(Parse).ToArray();
        double[] f = document.RootElement.GetProperty("ZIG_NORM_F").EnumerateArray().Select(Parse).ToArray();

        Assert.Equal(257, x.Length);
        Assert.Equal(x, ZigguratTables.X.ToArray());
        Assert.Equal(f, ZigguratTables.F.ToArray());
        Assert.Equal(ZigguratTables.R, Parse(document.RootElement.GetProperty("ZIG_NORM_R")));
        Assert.Equal(ZigguratTables.R, ZigguratTables.X[1]);
    }

    [Fact]
    public void Fill_WhenManySeeds_EqualsOneSampleAtATimeIncludingRejectionsAndTail()
    {
        // The reference draws every sample through the full scalar loop (first test, wedge, tail). Enough samples
        // are drawn that wedge rejections (≈1.5 %) and the tail beyond R (≈1 in 4 000) both occur.
        const int samples = 5000;
        int tails = 0;
        var fastBuffer = new uint[Perturbation.KeystreamWords(samples)];
        var referenceBuffer = new uint[64];
        for (int seedIndex = 0; seedIndex < 40; seedIndex++)
        {
            byte[] seed = SHA256.HashData(BitConverter.GetBytes(seedIndex));
            var fast = new float[samples];
            var fastStream = new ChaCha20Stream(seed, fastBuffer);
            ZigguratNormal.Fill(ref fastStream, fast);

            var referenceStream = new ChaCha20Stream(seed, referenceBuffer);
            for (int i = 0; i < samples; i++)
            {
                float expected = (float)ZigguratNormal.SampleSlow(ref referenceStream, referenceStream.NextUInt64());
                Assert.Equal(expected, fast[i]);
                tails += Math.Abs(expected) > (float)ZigguratTables.R ? 1 : 0;
            }

            Assert.Equal(referenceStream.WordPosition, fastStream.WordPosition);
        }

        Assert.InRange(tails, 10, 200);
    }

    [Fact]
    public void Fill_WhenBufferSmallerThanRequest_RefillsAndStaysExact()
    {
        byte[] seed = SHA256.HashData("refill"u8);
        var fast = new float[3000];
        Span<uint> small = stackalloc uint[32];
        var stream = new ChaCha20Stream(seed, small);
        ZigguratNormal.Fill(ref stream, fast);

        Span<uint> big = stackalloc uint[Perturbation.KeystreamWords(3000)];
        var reference = new ChaCha20Stream(seed, big);
        var expected = new float[3000];
        ZigguratNormal.Fill(ref reference, expected);
        Assert.Equal(expected, fast);
    }

    [Fact]
    public void Fill_WhenManySamples_HasStandardNormalMoments()
    {
        var values = new float[200_000];
        Span<uint> buffer = stackalloc uint[1024];
        var stream = new ChaCha20Stream(SHA256.HashData("moments"u8), buffer);
        ZigguratNormal.Fill(ref stream, values);
        double mean = values.Average(v => (double)v);
        double variance = values.Average(v => ((double)v - mean) * ((double)v - mean));
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.98, 1.02);
    }
}
