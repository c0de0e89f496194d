using CsCheck;

namespace Veil.Sealed.Tests;

public sealed class Int8VectorsTests
{
    [Fact]
    public void Dot_ForAnyCodesOfAnyLength_EqualsTheScalarSum()
    {
        Gen.SByte[-127, 127].Array[0, 800].SelectMany(a => Gen.SByte[-127, 127].Array[a.Length].Select(b => (a, b))).Sample(pair =>
        {
            (sbyte[] a, sbyte[] b) = pair;
            int expected = 0;
            for (int i = 0; i < a.Length; i++)
            {
                expected += a[i] * b[i];
            }

            Assert.Equal(expected, Int8Vectors.Dot(a, b));
        });
    }

    [Fact]
    public void Dot_AtTheExtremes_DoesNotOverflowOrSaturate()
    {
        sbyte[] high = Enumerable.Repeat((sbyte)127, 384).ToArray();
        sbyte[] low = Enumerable.Repeat((sbyte)-127, 384).ToArray();

        Assert.Equal(384 * 127 * 127, Int8Vectors.Dot(high, high));
        Assert.Equal(384 * 127 * 127, Int8Vectors.Dot(low, low));
        Assert.Equal(-384 * 127 * 127, Int8Vectors.Dot(high, low));
        Assert.Equal(-384 * 127 * 127, Int8Vectors.Dot(low, high));
    }
}
