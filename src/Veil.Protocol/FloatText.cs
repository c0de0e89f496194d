using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Veil.Protocol;

/// <summary>
/// Fast, exact decimal text for float32 on UTF-8 spans, the JSON protocol's hot path. <see cref="Format"/> writes the
/// shortest decimal that parses back to the identical float (Ryū, Adams 2018) in exactly the form
/// <see cref="float.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/> gives with the invariant
/// culture (so the bytes on the wire do not change); <see cref="TryParseAsDouble"/> reads a decimal number as the
/// correctly rounded double, identical to <see cref="double.Parse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider?)"/>.
/// </summary>
public static class FloatText
{
    /// <summary>The most bytes <see cref="Format"/> writes for one float (<c>-1.1754944E-38</c>).</summary>
    public const int MaxFormattedLength = 15;

    private const int MantissaBits = 23;
    private const int ExponentBias = 127;
    private const int Pow5InvBitCount = 59;
    private const int Pow5BitCount = 61;

    // ⌈2^(⌊log2 5^i⌋ + 59) / 5^i⌉ and 5^i's top 61 bits: Ryū's tables for float32, computed once, exactly.
    private static readonly ulong[] s_pow5InvSplit = Pow5Table(32, inverse: true);
    private static readonly ulong[] s_pow5Split = Pow5Table(48, inverse: false);

    private static readonly uint[] s_powersOf10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

    // Powers of ten a double holds exactly (Clinger's fast path).
    private static readonly double[] s_exactPowersOf10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Writes <paramref name="value"/> in the shortest form that parses back to it (general format, invariant culture:
    /// <c>0.12992398</c>, <c>-0</c>, <c>1E-07</c>, <c>3.4028235E+38</c>) and returns the byte count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite (JSON has no such number).</exception>
    /// <exception cref="ArgumentException">The destination is shorter than <see cref="MaxFormattedLength"/> and too short.</exception>
    // The hot loops of this class and of FloatArrayScanner and JsonValues are compiled fully optimized on first call
    // (AggressiveOptimization): a CLI run lasts seconds, and a third of its parsing ran in tier-0 code before tiering up.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Format(float value, Span<byte> destination)
    {
        if (!float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "NaN and infinities have no JSON form.");
        }

        if (destination.Length < MaxFormattedLength)
        {
            return FormatIntoShort(value, destination);
        }

        unchecked
        {
            uint bits = BitConverter.SingleToUInt32Bits(value);
            int position = 0;
            if ((int)bits < 0)
            {
                destination[position++] = (byte)'-';
            }

            uint ieeeMantissa = bits & ((1u << MantissaBits) - 1);
            int ieeeExponent = (int)((bits >> MantissaBits) & 0xFF);
            if (ieeeExponent == 0 && ieeeMantissa == 0)
            {
                destination[position++] = (byte)'0';
                return position;
            }

            (uint digits, int exponent) = ShortestDecimal(ieeeMantissa, ieeeExponent);
            return position + WriteGeneral(digits, exponent, destination[position..]);
        }
    }

    /// <summary>
    /// Reads a whole span holding a decimal number (<c>-12.5e3</c>; JSON's grammar and the other forms
    /// <see cref="NumberStyles.Float"/> accepts) as the correctly rounded double.
    /// </summary>
    /// <returns>False when the span is not such a number.</returns>
    public static bool TryParseAsDouble(ReadOnlySpan<byte> utf8, out double value)
    {
        if (TryParseFast(utf8, out value))
        {
            return true;
        }

        return double.TryParse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// Clinger's fast path: a plain decimal (<c>-?digits[.digits][e±digits]</c>) with at most 19 significant digits,
    /// a significand w ≤ 2^53 and a power of ten |q| ≤ 22 is w × 10^q or w / 10^-q in one correctly rounded double
    /// operation on exact operands, so it equals the correctly rounded parse. False (value unspecified) otherwise.
    /// </summary>
    internal static bool TryParseFast(ReadOnlySpan<byte> s, out double value)
    {
        unchecked
        {
            value = 0;
            int i = 0;
            bool negative = false;
            if (i < s.Length && s[i] == (byte)'-')
            {
                negative = true;
                i++;
            }

            ulong w = 0;
            int significant = 0;
            int exponent = 0;
            int digitsSeen = 0;
            for (; i < s.Length; i++)
            {
                uint d = (uint)(s[i] - '0');
                if (d > 9)
                {
                    break;
                }

                digitsSeen++;
                w = (w * 10) + d;
                significant += w == 0 ? 0 : 1;
            }

            if (i < s.Length && s[i] == (byte)'.')
            {
                i++;
                int fractionStart = i;
                for (; i < s.Length; i++)
                {
                    uint d = (uint)(s[i] - '0');
                    if (d > 9)
                    {
                        break;
                    }

                    w = (w * 10) + d;
                    significant += w == 0 ? 0 : 1;
                    exponent--;
                }

                if (i == fractionStart)
                {
                    return false;
                }

                digitsSeen += i - fractionStart;
            }

            if (digitsSeen == 0 || significant > 19)
            {
                return false;
            }

            if (i < s.Length && (s[i] | 0x20) == (byte)'e')
            {
                i++;
                bool negativeExponent = false;
                if (i < s.Length && (s[i] == (byte)'-' || s[i] == (byte)'+'))
                {
                    negativeExponent = s[i] == (byte)'-';
                    i++;
                }

                int start = i;
                int e = 0;
                for (; i < s.Length && i - start < 4; i++)
                {
                    uint d = (uint)(s[i] - '0');
                    if (d > 9)
                    {
                        break;
                    }

                    e = (e * 10) + (int)d;
                }

                if (i == start || i - start == 4)
                {
                    return false;
                }

                exponent += negativeExponent ? -e : e;
            }

            if (i != s.Length)
            {
                return false;
            }

            if (w == 0)
            {
                value = negative ? -0.0 : 0.0;
                return true;
            }

            if (w > (1UL << 53) || exponent < -22 || exponent > 22)
            {
                return false;
            }

            double result = exponent < 0 ? w / s_exactPowersOf10[-exponent] : w * s_exactPowersOf10[exponent];
            value = negative ? -result : result;
            return true;
        }
    }

    /// <summary>
    /// Reads the JSON number at <paramref name="start"/> of <paramref name="s"/> (<c>-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?</c>,
    /// ending where that grammar ends) in one pass, eight digits at a time, as the correctly rounded double when
    /// Clinger's fast path applies (see <see cref="TryParseFast"/>); returns the index after it, or -1 when the text
    /// there is not such a number or needs the general parser (more than 19 significant digits, a significand above
    /// 2^53, a power of ten beyond ±22, an exponent of four or more digits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int TryParseJsonNumber(ReadOnlySpan<byte> s, int start, out double value)
    {
        unchecked
        {
            value = 0;
            int i = start;
            bool negative = false;
            if ((uint)i < (uint)s.Length && s[i] == (byte)'-')
            {
                negative = true;
                i++;
            }

            if ((uint)i >= (uint)s.Length)
            {
                return -1;
            }

            ulong w = 0;
            int significant = 0;
            int exponent = 0;
            uint first = (uint)(s[i] - '0');
            if (first == 0)
            {
                i++;
            }
            else if (first <= 9)
            {
                // The integer part: every digit is significant.
                for (; (uint)i < (uint)s.Length; i++)
                {
                    uint d = (uint)(s[i] - '0');
                    if (d > 9)
                    {
                        break;
                    }

                    if (++significant > 19)
                    {
                        return -1;
                    }

                    w = (w * 10) + d;
                }
            }
            else
            {
                return -1;
            }

            if ((uint)i < (uint)s.Length && s[i] == (byte)'.')
            {
                i++;
                int fractionStart = i;
                if (w == 0)
                {
                    // Zeros before the first significant digit only move the decimal point.
                    while ((uint)i < (uint)s.Length && s[i] == (byte)'0')
                    {
                        i++;
                        exponent--;
                    }
                }

                // Up to eight digits at a time: the run of digits at the start of the next eight bytes, however long
                // (a coordinate's 7 to 9 digits take one or two steps, not a loop per digit that mispredicts its end).
                while (significant <= 11 && i + 8 <= s.Length)
                {
                    ulong eight = BinaryPrimitives.ReadUInt64LittleEndian(s[i..]);
                    int run = LeadingDigitCount(eight);
                    if (run == 0)
                    {
                        break;
                    }

                    w = (w * Pow10(run)) + EightDigits(KeepLeadingDigits(eight, run));
                    significant += w == 0 ? 0 : run;
                    exponent -= run;
                    i += run;
                    if (run < 8)
                    {
                        break;
                    }
                }

                for (; (uint)i < (uint)s.Length; i++)
                {
                    uint d = (uint)(s[i] - '0');
                    if (d > 9)
                    {
                        break;
                    }

                    w = (w * 10) + d;
                    significant += w == 0 ? 0 : 1;
                    if (significant > 19)
                    {
                        return -1;
                    }

                    exponent--;
                }

                if (i == fractionStart)
                {
                    return -1;
                }
            }

            if ((uint)i < (uint)s.Length && (s[i] | 0x20) == (byte)'e')
            {
                i++;
                bool negativeExponent = false;
                if ((uint)i < (uint)s.Length && (s[i] == (byte)'-' || s[i] == (byte)'+'))
                {
                    negativeExponent = s[i] == (byte)'-';
                    i++;
                }

                int digits = i;
                int e = 0;
                for (; (uint)i < (uint)s.Length; i++)
                {
                    uint d = (uint)(s[i] - '0');
                    if (d > 9)
                    {
                        break;
                    }

                    if (i - digits == 3)
                    {
                        return -1;
                    }

                    e = (e * 10) + (int)d;
                }

                if (i == digits)
                {
                    return -1;
                }

                exponent += negativeExponent ? -e : e;
            }

            if (w == 0)
            {
                value = negative ? -0.0 : 0.0;
                return i;
            }

            if (w > (1UL << 53) || exponent < -22 || exponent > 22)
            {
                return -1;
            }

            double result = exponent < 0 ? w / s_exactPowersOf10[-exponent] : w * s_exactPowersOf10[exponent];
            value = negative ? -result : result;
            return i;
        }
    }

    // How many of the eight bytes (little-endian, the first in the low byte) are ASCII digits before the first that is
    // not: a byte's top bit is set by +0x46 above '9' and by -0x30 below '0'; the bytes before the first non-digit carry
    // and borrow nothing, so its bit is the lowest set (none set: all eight are digits).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LeadingDigitCount(ulong eight) =>
        unchecked(BitOperations.TrailingZeroCount(((eight + 0x4646464646464646) | (eight - 0x3030303030303030)) & 0x8080808080808080) >> 3);

    // The first run (1 to 8) of the eight bytes moved to the top, below it ASCII zeros: eight digits with the same value.
    // (For run = 8 the shift counts are 0 and 64, which C# takes modulo 64: the bytes OR'd with '0', all digits already.)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong KeepLeadingDigits(ulong eight, int run) =>
        unchecked((eight << (8 * (8 - run))) | (0x3030303030303030UL >> (8 * run)));

    // The value of eight ASCII digits read little-endian (the first digit in the low byte), by pairwise multiply-adds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint EightDigits(ulong eight)
    {
        unchecked
        {
            eight -= 0x3030303030303030;
            eight = (eight * 10) + (eight >> 8);
            eight = ((eight & 0x000000FF000000FF) * (100 + (1000000UL << 32)) + (((eight >> 16) & 0x000000FF000000FF) * (1 + (10000UL << 32)))) >> 32;
            return (uint)eight;
        }
    }

    /// <summary>Ryū (f2s): the shortest decimal digits × 10^exponent inside the float's rounding interval, closest to it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (uint Digits, int Exponent) ShortestDecimal(uint ieeeMantissa, int ieeeExponent)
    {
        unchecked
        {
            int e2;
            uint m2;
            if (ieeeExponent == 0)
            {
                e2 = 1 - ExponentBias - MantissaBits - 2;
                m2 = ieeeMantissa;
            }
            else
            {
                e2 = ieeeExponent - ExponentBias - MantissaBits - 2;
                m2 = (1u << MantissaBits) | ieeeMantissa;
            }

            bool acceptBounds = (m2 & 1) == 0;
            uint mv = 4 * m2;
            uint mp = (4 * m2) + 2;
            uint mmShift = ieeeMantissa != 0 || ieeeExponent <= 1 ? 1u : 0u;
            uint mm = (4 * m2) - 1 - mmShift;

            uint vr, vp, vm;
            int e10;
            bool vmIsTrailingZeros = false;
            bool vrIsTrailingZeros = false;
            uint lastRemovedDigit = 0;
            if (e2 >= 0)
            {
                int q = Log10Pow2(e2);
                e10 = q;
                int k = Pow5InvBitCount + Pow5Bits(q) - 1;
                int i = -e2 + q + k;
                vr = MulShift(mv, s_pow5InvSplit[q], i);
                vp = MulShift(mp, s_pow5InvSplit[q], i);
                vm = MulShift(mm, s_pow5InvSplit[q], i);
                if (q != 0 && (vp - 1) / 10 <= vm / 10)
                {
                    int l = Pow5InvBitCount + Pow5Bits(q - 1) - 1;
                    lastRemovedDigit = MulShift(mv, s_pow5InvSplit[q - 1], -e2 + q - 1 + l) % 10;
                }

                if (q <= 9)
                {
                    // At most one of mp, mv and mm is a multiple of 5.
                    if (mv % 5 == 0)
                    {
                        vrIsTrailingZeros = Pow5Factor(mv) >= q;
                    }
                    else if (acceptBounds)
                    {
                        vmIsTrailingZeros = Pow5Factor(mm) >= q;
                    }
                    else
                    {
                        vp -= Pow5Factor(mp) >= q ? 1u : 0u;
                    }
                }
            }
            else
            {
                int q = Log10Pow5(-e2);
                e10 = q + e2;
                int i = -e2 - q;
                int k = Pow5Bits(i) - Pow5BitCount;
                int j = q - k;
                vr = MulShift(mv, s_pow5Split[i], j);
                vp = MulShift(mp, s_pow5Split[i], j);
                vm = MulShift(mm, s_pow5Split[i], j);
                if (q != 0 && (vp - 1) / 10 <= vm / 10)
                {
                    j = q - 1 - (Pow5Bits(i + 1) - Pow5BitCount);
                    lastRemovedDigit = MulShift(mv, s_pow5Split[i + 1], j) % 10;
                }

                if (q <= 1)
                {
                    // mv = 4 m2 has at least two trailing zero bits; mm has one exactly when mmShift is 1.
                    vrIsTrailingZeros = true;
                    if (acceptBounds)
                    {
                        vmIsTrailingZeros = mmShift == 1;
                    }
                    else
                    {
                        vp--;
                    }
                }
                else if (q < 31)
                {
                    vrIsTrailingZeros = (mv & ((1u << (q - 1)) - 1)) == 0;
                }
            }

            int removed = 0;
            uint output;
            if (vmIsTrailingZeros || vrIsTrailingZeros)
            {
                while (vp / 10 > vm / 10)
                {
                    vmIsTrailingZeros &= vm % 10 == 0;
                    vrIsTrailingZeros &= lastRemovedDigit == 0;
                    lastRemovedDigit = vr % 10;
                    vr /= 10;
                    vp /= 10;
                    vm /= 10;
                    removed++;
                }

                if (vmIsTrailingZeros)
                {
                    while (vm % 10 == 0)
                    {
                        vrIsTrailingZeros &= lastRemovedDigit == 0;
                        lastRemovedDigit = vr % 10;
                        vr /= 10;
                        vp /= 10;
                        vm /= 10;
                        removed++;
                    }
                }

                if (vrIsTrailingZeros && lastRemovedDigit == 5 && vr % 2 == 0)
                {
                    // Exactly …50…0: round half to even.
                    lastRemovedDigit = 4;
                }

                output = vr + ((vr == vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5 ? 1u : 0u);
            }
            else
            {
                while (vp / 10 > vm / 10)
                {
                    lastRemovedDigit = vr % 10;
                    vr /= 10;
                    vp /= 10;
                    vm /= 10;
                    removed++;
                }

                output = vr + (vr == vm || lastRemovedDigit >= 5 ? 1u : 0u);
            }

            return (output, e10 + removed);
        }
    }

    /// <summary>
    /// Writes digits × 10^exponent as .NET's general format does for a float: positional when the decimal point falls
    /// within 9 places left of the first digit's right and 4 to its left (<c>0.0001</c>), else <c>d.dddE±XX</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int WriteGeneral(uint digits, int exponent, Span<byte> destination)
    {
        unchecked
        {
            int length = DecimalLength(digits);
            int scale = length + exponent;
            if (scale > 9 || scale < -3)
            {
                // d.ddd: the digits at 2.., then the first moved before the point.
                int end = length == 1 ? 1 : length + 1;
                WriteDigits(digits, destination[Math.Min(2, end)..end]);
                destination[0] = (byte)('0' + (digits / Pow10(length - 1)));
                if (length > 1)
                {
                    destination[1] = (byte)'.';
                }

                int e = scale - 1;
                destination[end] = (byte)'E';
                destination[end + 1] = e < 0 ? (byte)'-' : (byte)'+';
                e = Math.Abs(e);
                destination[end + 2] = (byte)('0' + (e / 10));
                destination[end + 3] = (byte)('0' + (e % 10));
                return end + 4;
            }

            if (scale <= 0)
            {
                // 0.000ddd: "0.000" in two stores (the destination has room), then the digits over what is not a zero.
                int zeros = -scale;
                BinaryPrimitives.WriteUInt32LittleEndian(destination, 0x30_30_2E_30);
                destination[4] = (byte)'0';
                WriteDigits(digits, length, destination[(2 + zeros)..]);
                return 2 + zeros + length;
            }

            if (scale >= length)
            {
                // ddd000
                WriteDigits(digits, destination[..length]);
                destination[length..scale].Fill((byte)'0');
                return scale;
            }

            // dd.ddd
            uint divisor = Pow10(length - scale);
            WriteDigits(digits / divisor, destination[..scale]);
            destination[scale] = (byte)'.';
            WriteDigits(digits % divisor, destination.Slice(scale + 1, length - scale));
            return length + 1;
        }
    }

    /// <summary>
    /// Writes the <paramref name="count"/> (1 to 10) decimal digits of <paramref name="value"/> (below 10^count) at the
    /// start of <paramref name="destination"/>; when it has room, the last eight in one 64-bit store, which may also
    /// write zero bytes after the digits (inside <paramref name="destination"/>, for the caller to overwrite or ignore).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteDigits(uint value, int count, Span<byte> destination)
    {
        unchecked
        {
            if (count <= 8 && destination.Length >= 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination, EightDigitText(value) >> ((8 - count) * 8));
            }
            else if (count > 8 && destination.Length >= count)
            {
                WriteDigits(value / 100_000_000, destination[..(count - 8)]);
                BinaryPrimitives.WriteUInt64LittleEndian(destination[(count - 8)..], EightDigitText(value % 100_000_000));
            }
            else
            {
                WriteDigits(value, destination[..count]);
            }
        }
    }

    /// <summary>
    /// The eight ASCII digits of <paramref name="value"/> (below 10^8, zero-padded), the first in the low byte: split
    /// into halves of four digits, then pairs, then digits, in parallel lanes of one 64-bit word (each quotient by a
    /// multiply and shift that is exact in its range: x / 100 = x · 10486 >> 20 for x below 10^4, x / 10 = x · 103 >> 10
    /// for x below 100).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong EightDigitText(uint value)
    {
        unchecked
        {
            uint high = value / 10_000;
            ulong x = high | ((ulong)(value - (high * 10_000)) << 32);
            ulong hundreds = ((x * 10486) >> 20) & 0x0000_007F_0000_007F;
            x = hundreds | ((x - (hundreds * 100)) << 16);
            ulong tens = ((x * 103) >> 10) & 0x000F_000F_000F_000F;
            x = tens | ((x - (tens * 10)) << 8);
            return x + 0x3030_3030_3030_3030;
        }
    }

    /// <summary>Writes the last <c>destination.Length</c> decimal digits of <paramref name="value"/>, zero-padded, two at a time.</summary>
    private static void WriteDigits(uint value, Span<byte> destination)
    {
        unchecked
        {
            int i = destination.Length;
            ReadOnlySpan<byte> pairs = DigitPairs;
            while (i >= 2)
            {
                uint pair = 2 * (value % 100);
                value /= 100;
                destination[--i] = pairs[(int)pair + 1];
                destination[--i] = pairs[(int)pair];
            }

            if (i == 1)
            {
                destination[0] = (byte)('0' + (value % 10));
            }
        }
    }

    // "00", "01", … "99": the two digits of each number below 100.
    private static ReadOnlySpan<byte> DigitPairs => "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Pow10(int n) => s_powersOf10[n];

    /// <summary>Formats into a destination shorter than <see cref="MaxFormattedLength"/>, when the text fits.</summary>
    private static int FormatIntoShort(float value, Span<byte> destination)
    {
        Span<byte> scratch = stackalloc byte[MaxFormattedLength];
        int length = Format(value, scratch);
        return scratch[..length].TryCopyTo(destination) ? length : throw new ArgumentException("The destination is too short.", nameof(destination));
    }

    // The number of decimal digits of v > 0, without branches (lengths 7 to 9 mix unpredictably): from the bit length,
    // t = ⌊bits · 1233 / 4096⌋ (⌊bits · log10 2⌋ for bits ≤ 32) digits or one more when v ≥ 10^t.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DecimalLength(uint v)
    {
        unchecked
        {
            int t = ((BitOperations.Log2(v) + 1) * 1233) >> 12;
            return t + (v >= s_powersOf10[t] ? 1 : 0);
        }
    }

    // ⌈log2 5^e⌉ (1 for e = 0), exact for 0 ≤ e ≤ 3528.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Pow5Bits(int e) => unchecked((int)(((uint)e * 1217359) >> 19) + 1);

    // ⌊log10 2^e⌋ for 0 ≤ e ≤ 1650.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Log10Pow2(int e) => unchecked((int)(((uint)e * 78913) >> 18));

    // ⌊log10 5^e⌋ for 0 ≤ e ≤ 2620.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Log10Pow5(int e) => unchecked((int)(((uint)e * 732923) >> 20));

    private static int Pow5Factor(uint value)
    {
        int count = 0;
        while (value != 0 && value % 5 == 0)
        {
            value /= 5;
            count++;
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint MulShift(uint m, ulong factor, int shift)
    {
        unchecked
        {
            ulong bits0 = (ulong)m * (uint)factor;
            ulong bits1 = (ulong)m * (uint)(factor >> 32);
            ulong sum = (bits0 >> 32) + bits1;
            return (uint)(sum >> (shift - 32));
        }
    }

    private static ulong[] Pow5Table(int count, bool inverse)
    {
        var table = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            BigInteger pow = BigInteger.Pow(5, i);
            int bitLength = (int)pow.GetBitLength();
            table[i] = inverse
                ? (ulong)(((BigInteger.One << (bitLength - 1 + Pow5InvBitCount)) / pow) + 1)
                : (ulong)(bitLength >= Pow5BitCount ? pow >> (bitLength - Pow5BitCount) : pow << (Pow5BitCount - bitLength));
        }

        return table;
    }
}
