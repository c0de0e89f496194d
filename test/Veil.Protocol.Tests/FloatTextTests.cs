using System.Globalization;
using System.Text;
using CsCheck;

namespace Veil.Protocol.Tests;

/// <summary>
/// The fast float text of the JSON path against the runtime's own: the same bytes as <see cref="float.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/>
/// (so the wire does not change) and the same double as <see cref="double.Parse(string, IFormatProvider?)"/>.
/// </summary>
public sealed class FloatTextTests
{
    private static readonly Gen<uint> s_sign = Gen.Bool.Select(negative => negative ? 0x8000_0000u : 0u);

    // Every class of bit pattern: any, subnormal, near the top and bottom of the normal range, integers, ±0, powers of ten.
    private static readonly Gen<float> s_float = Gen.Frequency(
        (4, Gen.UInt.Select(BitConverter.UInt32BitsToSingle)),
        (2, Gen.Select(s_sign, Gen.UInt[1, 0x007F_FFFF], (sign, bits) => BitConverter.UInt32BitsToSingle(sign | bits))),
        (1, Gen.Select(s_sign, Gen.UInt[0x7F00_0000, 0x7F7F_FFFF], (sign, bits) => BitConverter.UInt32BitsToSingle(sign | bits))),
        (1, Gen.Select(s_sign, Gen.UInt[0x0080_0000, 0x0100_0000], (sign, bits) => BitConverter.UInt32BitsToSingle(sign | bits))),
        (2, Gen.Int[-(1 << 25), 1 << 25].Select(i => (float)i)),
        (1, Gen.Int[-45, 38].Select(e => float.Parse($"1e{e}", CultureInfo.InvariantCulture))),
        (1, Gen.OneOf(Gen.Const(0f), Gen.Const(-0f), Gen.Const(float.MaxValue), Gen.Const(float.MinValue), Gen.Const(float.Epsilon), Gen.Const(-float.Epsilon))))
        .Where(float.IsFinite);

    // Decimal text the fast path takes and the text it leaves to the runtime: long significands, big exponents, bare forms.
    private static readonly Gen<string> s_decimal = Gen.Select(
        Gen.Bool,
        Gen.Char["0123456789"].Array[0, 24],
        Gen.Char["0123456789"].Array[0, 24].Null(),
        Gen.OneOf(Gen.Const((int?)null), Gen.Int[-340, 340].Select(e => (int?)e)),
        (negative, integer, fraction, exponent) =>
        {
            string text = (negative ? "-" : "") + (integer.Length == 0 && fraction is null ? "0" : new string(integer));
            text += fraction is null ? "" : "." + new string(fraction.Length == 0 ? ['5'] : fraction);
            return text + (exponent is { } e ? $"e{e}" : "");
        });

    [Fact]
    public void Format_WhenFiniteFloat_WritesTheRuntimesShortestTextWhichParsesBackToTheSameFloat()
    {
        s_float.Sample(
            value =>
            {
                Span<byte> mine = stackalloc byte[FloatText.MaxFormattedLength];
                Span<byte> runtime = stackalloc byte[32];
                int length = FloatText.Format(value, mine);
                Assert.True(value.TryFormat(runtime, out int runtimeLength, default, CultureInfo.InvariantCulture));
                Assert.Equal(Encoding.ASCII.GetString(runtime[..runtimeLength]), Encoding.ASCII.GetString(mine[..length]));
                Assert.Equal(BitConverter.SingleToUInt32Bits(value), BitConverter.SingleToUInt32Bits(float.Parse(mine[..length], CultureInfo.InvariantCulture)));
            },
            iter: 200_000);
    }

    [Fact]
    public void Format_WhenMagnitudeBelowOne_WritesTheLeadingZerosAndDigitsAsTheRuntimeDoes()
    {
        // Embedding coordinates: 0.0001 to 1 is written positionally ("0.000" then the digits over it), below is E-05.
        Gen.Select(s_sign, Gen.Float[0.00001f, 1f], (sign, magnitude) => BitConverter.UInt32BitsToSingle(sign | BitConverter.SingleToUInt32Bits(magnitude))).Sample(
            value =>
            {
                // Stale bytes in the destination must not show through.
                Span<byte> mine = stackalloc byte[FloatText.MaxFormattedLength];
                mine.Fill((byte)'7');
                int length = FloatText.Format(value, mine);
                Assert.Equal(value.ToString(CultureInfo.InvariantCulture), Encoding.ASCII.GetString(mine[..length]));
            },
            iter: 200_000);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Format_WhenNotFinite_Throws(float value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => FloatText.Format(value, new byte[FloatText.MaxFormattedLength]));

    [Fact]
    public void Format_WhenDestinationShort_WritesIntoItOrThrows()
    {
        var small = new byte[4];
        Assert.Equal(3, FloatText.Format(0.5f, small));
        Assert.Equal("0.5", Encoding.ASCII.GetString(small, 0, 3));
        Assert.Throws<ArgumentException>(() => FloatText.Format(-0.12992398f, small));
    }

    [Fact]
    public void TryParseAsDouble_WhenDecimalText_GivesWhatDoubleParseGives()
    {
        s_decimal.Sample(
            text =>
            {
                double expected = double.Parse(text, CultureInfo.InvariantCulture);
                Assert.True(FloatText.TryParseAsDouble(Encoding.ASCII.GetBytes(text), out double value));
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(value));
            },
            iter: 200_000);
    }

    [Fact]
    public void TryParseAsDouble_WhenShortestFloatText_GivesTheFloatBackAfterTheCast()
    {
        s_float.Sample(
            value =>
            {
                Assert.True(FloatText.TryParseAsDouble(Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)), out double parsed));
                Assert.Equal(BitConverter.SingleToUInt32Bits(value), BitConverter.SingleToUInt32Bits((float)parsed));
            },
            iter: 100_000);
    }

    [Fact]
    public void TryParseJsonNumber_WhenDigitRunsOfAnyLengthThenAnyEnd_GivesWhatDoubleParseGivesAndEndsAfterTheNumber()
    {
        // Runs of fraction digits shorter and longer than the eight bytes read at once, zeros before them, every kind of
        // byte after them, and the span ending right after the number.
        Gen.Select(
            Gen.Bool,
            Gen.Char["0123456789"].Array[0, 3],
            Gen.Int[0, 4],
            Gen.Char["0123456789"].Array[1, 20],
            Gen.OneOf(Gen.Const(""), Gen.Const(","), Gen.Const("]"), Gen.Const(" 1"), Gen.Const("e-3,"), Gen.Const("E+2]"), Gen.Const("x1234567")))
            .Sample((negative, integer, zeros, fraction, end) =>
            {
                string integerText = integer.Length == 0 || integer[0] == '0' ? "0" : new string(integer);
                string number = (negative ? "-" : "") + integerText + "." + new string('0', zeros) + new string(fraction);
                if (end.StartsWith('e') || end.StartsWith('E'))
                {
                    number += end[..^1];
                    end = end[^1..];
                }

                int index = FloatText.TryParseJsonNumber(Encoding.ASCII.GetBytes(number + end), 0, out double value);
                int significant = integerText.TrimStart('0').Length is int digits and > 0 ? digits + zeros + fraction.Length : fraction.Length;
                if (significant <= 15)
                {
                    // Within Clinger's fast path (below 2^53, down to 10^-22): the fast parser must take it.
                    Assert.NotEqual(-1, index);
                }

                if (index != -1)
                {
                    Assert.Equal(number.Length, index);
                    Assert.Equal(BitConverter.DoubleToInt64Bits(double.Parse(number, CultureInfo.InvariantCulture)), BitConverter.DoubleToInt64Bits(value));
                }
            },
            iter: 200_000);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData("--1")]
    [InlineData("1.2.3")]
    [InlineData("0x10")]
    [InlineData("1,5")]
    public void TryParseAsDouble_WhenNotANumber_ReturnsFalse(string text) =>
        Assert.False(FloatText.TryParseAsDouble(Encoding.ASCII.GetBytes(text), out _));
}
