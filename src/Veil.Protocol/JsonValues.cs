using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Veil.Protocol;

/// <summary>
/// Reading and writing the value types of the protocol with <see cref="Utf8JsonReader"/> and
/// <see cref="Utf8JsonWriter"/>. Error messages name the member, never its value (which may be plaintext).
/// </summary>
public static class JsonValues
{
    /// <summary>
    /// The most coordinates a vector may have (2²¹): a longer array is refused while it is read, before it is held.
    /// </summary>
    public const int MaxVectorLength = 1 << 21;

    // One growable buffer per thread (the runtime would call it t_scratch; this repository names every static s_).
    [ThreadStatic]
    private static float[]? s_scratch;

    /// <summary>The calling thread's growable scratch for a vector being read.</summary>
    internal static float[] Scratch => s_scratch ??= new float[1024];

    /// <summary>Keeps a grown scratch for the calling thread.</summary>
    internal static void KeepScratch(float[] scratch) => s_scratch = scratch;

    /// <summary>
    /// Reads an array of numbers, each parsed as a double and cast to float (as Rust's serde_json and Alloy's
    /// bindings do). NaN, infinities, values beyond the float range and arrays longer than
    /// <see cref="MaxVectorLength"/> are refused.
    /// </summary>
    /// <exception cref="ItemFormatException">The value is not such an array.</exception>
    public static float[] ReadFloatArray(ref Utf8JsonReader reader, string name)
    {
        ReadValue(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ItemFormatException($"\"{name}\" must be an array of numbers.");
        }

        ReadOnlyMemory<float> values = ReadFloatElements(ref reader, name, arena: null);
        return MemoryMarshal.TryGetArray(values, out ArraySegment<float> array) ? array.Array! : values.ToArray();
    }

    /// <summary>
    /// Reads an array of numbers like <see cref="ReadFloatArray(ref Utf8JsonReader, string)"/>, with the same results
    /// and errors, but scans the array's bytes in <paramref name="source"/> (the reader's whole input) directly when
    /// they are plain JSON numbers, then replaces the reader by one over the rest of the input from the array's end
    /// (its state carried over) and <paramref name="source"/> by that rest. Anything unusual is read token by token.
    /// </summary>
    /// <remarks>Error positions reported after such an array count lines as if the array had none.</remarks>
    internal static ReadOnlyMemory<float> ReadFloatArray(ref Utf8JsonReader reader, ref ReadOnlySpan<byte> source, string name, VectorArena? arena)
    {
        ReadValue(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ItemFormatException($"\"{name}\" must be an array of numbers.");
        }

        if (!reader.HasValueSequence && FloatArrayScanner.TryScan(source, checked((int)reader.BytesConsumed), arena, out int end) is { } values)
        {
            JsonReaderState state = reader.CurrentState;
            source = source[end..];
            reader = new Utf8JsonReader(source, isFinalBlock: true, state);
            reader.Read();
            return values;
        }

        return ReadFloatElements(ref reader, name, arena);
    }

    /// <summary>A copy of <paramref name="values"/>: in <paramref name="arena"/> when given, else a new array.</summary>
    internal static ReadOnlyMemory<float> Store(ReadOnlySpan<float> values, VectorArena? arena) =>
        arena is null ? values.ToArray() : arena.Copy(values);

    /// <summary>Reads the elements of the array the reader is on (at its start), token by token.</summary>
    private static ReadOnlyMemory<float> ReadFloatElements(ref Utf8JsonReader reader, string name, VectorArena? arena)
    {
        float[] scratch = s_scratch ??= new float[1024];
        int count = 0;
        while (Next(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            // The token's bytes are a valid JSON number; the fast parser gives the same double as TryGetDouble.
            if (reader.TokenType != JsonTokenType.Number
                || !((!reader.HasValueSequence && FloatText.TryParseFast(reader.ValueSpan, out double value)) || reader.TryGetDouble(out value)))
            {
                throw new ItemFormatException($"\"{name}\" must be an array of numbers; element {count} is not a number.");
            }

            float f = (float)value;
            if (!float.IsFinite(f))
            {
                throw new ItemFormatException($"\"{name}\" element {count} is not a finite 32-bit floating-point number.");
            }

            if (count == scratch.Length)
            {
                if (count == MaxVectorLength)
                {
                    throw new ItemFormatException($"\"{name}\" has more than {MaxVectorLength} elements.");
                }

                Array.Resize(ref scratch, Math.Min(scratch.Length * 2, MaxVectorLength));
                s_scratch = scratch;
            }

            scratch[count++] = f;
        }

        return Store(scratch.AsSpan(0, count), arena);
    }

    /// <summary>Reads a base64 string.</summary>
    /// <exception cref="ItemFormatException">The value is not a base64 string.</exception>
    public static byte[] ReadBase64(ref Utf8JsonReader reader, string name)
    {
        ReadValue(ref reader);
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new ItemFormatException($"\"{name}\" must be a base64 string.");
        }

        if (!reader.TryGetBytesFromBase64(out byte[]? bytes))
        {
            throw new ItemFormatException($"\"{name}\" is not valid base64.");
        }

        return bytes;
    }

    /// <summary>Reads a string or null.</summary>
    /// <exception cref="ItemFormatException">The value is neither.</exception>
    public static string? ReadString(ref Utf8JsonReader reader, string name)
    {
        ReadValue(ref reader);
        return reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => GetString(ref reader, name),
            _ => throw new ItemFormatException($"\"{name}\" must be a string."),
        };
    }

    /// <summary>The string (or property name) the reader is on.</summary>
    /// <exception cref="ItemFormatException">It is not valid UTF-8 (the reader checks the structure, not the text).</exception>
    internal static string GetString(ref Utf8JsonReader reader, string name)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new ItemFormatException($"\"{name}\" is not valid UTF-8.");
        }
    }

    /// <summary>Reads an object whose values are base64 strings, keeping the order of its names; each name once.</summary>
    /// <exception cref="ItemFormatException">The value is not such an object, or names a field twice.</exception>
    public static List<KeyValuePair<string, byte[]>> ReadBase64Map(ref Utf8JsonReader reader, string name)
    {
        ReadValue(ref reader);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ItemFormatException($"\"{name}\" must be an object mapping names to base64 strings.");
        }

        var entries = new List<KeyValuePair<string, byte[]>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (Next(ref reader) && reader.TokenType != JsonTokenType.EndObject)
        {
            string key = GetString(ref reader, name);
            if (!seen.Add(key))
            {
                throw new ItemFormatException($"\"{name}\" names the field \"{key}\" more than once.");
            }

            entries.Add(new(key, ReadBase64(ref reader, $"{name}.{key}")));
        }

        return entries;
    }

    /// <summary>
    /// Writes an array of floats, each in the shortest form that round-trips the exact float (the text
    /// <see cref="float.ToString()"/> gives, see <see cref="FloatText.Format"/>), formatted into a pooled buffer and
    /// written as one raw value.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is NaN or infinite.</exception>
    public static void WriteFloatArray(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(checked((values.Length * (FloatText.MaxFormattedLength + 1)) + 2));
        int length = 0;
        try
        {
            length = FormatFloatArray(values, buffer);
            writer.WritePropertyName(name);
            writer.WriteRawValue(buffer.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            // The text may be a plaintext vector: it does not outlive the call in the shared pool.
            buffer.AsSpan(0, length).Clear();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Formats <c>[v0,v1,…]</c> into <paramref name="destination"/> (room for 16 bytes a value plus 2); returns the length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FormatFloatArray(ReadOnlySpan<float> values, Span<byte> destination)
    {
        int position = 0;
        destination[position++] = (byte)'[';
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                destination[position++] = (byte)',';
            }

            position += FloatText.Format(values[i], destination[position..]);
        }

        destination[position++] = (byte)']';
        return position;
    }

    /// <summary>Moves to the next token; false at the end of the input.</summary>
    internal static bool Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new ItemFormatException("The input ends in the middle of a value.");
        }

        return true;
    }

    private static void ReadValue(ref Utf8JsonReader reader) => Next(ref reader);
}
