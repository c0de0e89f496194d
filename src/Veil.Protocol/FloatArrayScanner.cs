using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace Veil.Protocol;

/// <summary>
/// Reads a JSON array of plain numbers straight from its bytes, without a token per element: the fast path of
/// <see cref="JsonValues.ReadFloatArray(ref System.Text.Json.Utf8JsonReader, ref ReadOnlySpan{byte}, string, VectorArena)"/>.
/// It accepts only what the JSON reader accepts and gives the same floats; for anything else (another token, bad
/// grammar, a value that is not a finite float, too many elements) it gives up and the caller reads token by token,
/// which reports the error.
/// </summary>
internal static class FloatArrayScanner
{
    /// <summary>
    /// Scans the elements of an array whose <c>[</c> ends at <paramref name="start"/>; on success returns them (in
    /// <paramref name="arena"/> when given, else a new array) and the index of the closing <c>]</c>, else null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ReadOnlyMemory<float>? TryScan(ReadOnlySpan<byte> source, int start, VectorArena? arena, out int end)
    {
        end = 0;
        float[] scratch = JsonValues.Scratch;
        int count = 0;
        int p = SkipWhitespace(source, start);
        if (p < source.Length && source[p] == (byte)']')
        {
            end = p;
            return ReadOnlyMemory<float>.Empty;
        }

        while (true)
        {
            // One pass over the common number; the rare one (more than 19 significant digits, a large exponent) is
            // delimited by the grammar and parsed exactly. Both give Utf8JsonReader.TryGetDouble's double (Utf8Parser's).
            int numberEnd = FloatText.TryParseJsonNumber(source, p, out double value);
            if (numberEnd < 0)
            {
                numberEnd = NumberEnd(source, p);
                if (numberEnd < 0)
                {
                    return null;
                }

                ReadOnlySpan<byte> number = source[p..numberEnd];
                if (!(Utf8Parser.TryParse(number, out value, out int consumed) && consumed == number.Length))
                {
                    return null;
                }
            }

            float f = (float)value;
            if (!float.IsFinite(f) || count == JsonValues.MaxVectorLength)
            {
                return null;
            }

            if (count == scratch.Length)
            {
                Array.Resize(ref scratch, Math.Min(scratch.Length * 2, JsonValues.MaxVectorLength));
                JsonValues.KeepScratch(scratch);
            }

            scratch[count++] = f;
            p = SkipWhitespace(source, numberEnd);
            if (p >= source.Length)
            {
                return null;
            }

            if (source[p] == (byte)']')
            {
                end = p;
                return JsonValues.Store(scratch.AsSpan(0, count), arena);
            }

            if (source[p] != (byte)',')
            {
                return null;
            }

            p = SkipWhitespace(source, p + 1);
        }
    }

    /// <summary>The end of the JSON number (<c>-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?</c>) at <paramref name="p"/>, or -1.</summary>
    private static int NumberEnd(ReadOnlySpan<byte> s, int p)
    {
        int i = p;
        if (i < s.Length && s[i] == (byte)'-')
        {
            i++;
        }

        if (i >= s.Length)
        {
            return -1;
        }

        if (s[i] == (byte)'0')
        {
            i++;
        }
        else if (IsDigit(s[i]))
        {
            i = SkipDigits(s, i + 1);
        }
        else
        {
            return -1;
        }

        if (i < s.Length && s[i] == (byte)'.')
        {
            int digits = i + 1;
            i = SkipDigits(s, digits);
            if (i == digits)
            {
                return -1;
            }
        }

        if (i < s.Length && (s[i] == (byte)'e' || s[i] == (byte)'E'))
        {
            i++;
            if (i < s.Length && (s[i] == (byte)'+' || s[i] == (byte)'-'))
            {
                i++;
            }

            int digits = i;
            i = SkipDigits(s, digits);
            if (i == digits)
            {
                return -1;
            }
        }

        return i;
    }

    private static bool IsDigit(byte b) => unchecked((uint)(b - '0')) <= 9;

    private static int SkipDigits(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && IsDigit(s[i]))
        {
            i++;
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && (s[i] == (byte)' ' || s[i] == (byte)'\n' || s[i] == (byte)'\r' || s[i] == (byte)'\t'))
        {
            i++;
        }

        return i;
    }
}
