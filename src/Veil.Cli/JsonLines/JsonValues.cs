using System.Text.Json;

namespace Veil.Cli.JsonLines;

/// <summary>
/// Reading and writing the value types of the JSON Lines protocol. Error messages name the field, never its value
/// (which may be plaintext).
/// </summary>
internal static class JsonValues
{
    // One growable buffer per thread (the runtime would call it t_scratch; this repository names every static s_).
    [ThreadStatic]
    private static float[]? s_scratch;

    /// <summary>
    /// Reads an array of numbers, each parsed as a double and cast to float (as Rust's serde_json and Alloy's
    /// bindings do). NaN, infinities and values beyond the float range are rejected.
    /// </summary>
    public static float[] ReadFloatArray(ref Utf8JsonReader reader, string name)
    {
        ReadValue(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new LineFormatException($"\"{name}\" must be an array of numbers.");
        }

        float[] scratch = s_scratch ??= new float[1024];
        int count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out double value))
            {
                throw new LineFormatException($"\"{name}\" must be an array of numbers; element {count} is not a number.");
            }

            float f = (float)value;
            if (!float.IsFinite(f))
            {
                throw new LineFormatException($"\"{name}\" element {count} is not a finite 32-bit floating-point number.");
            }

            if (count == scratch.Length)
            {
                Array.Resize(ref scratch, scratch.Length * 2);
                s_scratch = scratch;
            }

            scratch[count++] = f;
        }

        return scratch.AsSpan(0, count).ToArray();
    }

    /// <summary>Reads a base64 string.</summary>
    public static byte[] ReadBase64(ref Utf8JsonReader reader, string name)
    {
        ReadValue(ref reader);
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new LineFormatException($"\"{name}\" must be a base64 string.");
        }

        if (!reader.TryGetBytesFromBase64(out byte[]? bytes))
        {
            throw new LineFormatException($"\"{name}\" is not valid base64.");
        }

        return bytes;
    }

    /// <summary>Reads an object whose values are base64 strings, keeping the order of its names.</summary>
    public static List<KeyValuePair<string, byte[]>> ReadBase64Map(ref Utf8JsonReader reader, string name)
    {
        ReadValue(ref reader);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new LineFormatException($"\"{name}\" must be an object mapping names to base64 strings.");
        }

        var entries = new List<KeyValuePair<string, byte[]>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            if (!seen.Add(key))
            {
                throw new LineFormatException($"\"{name}\" names the field \"{key}\" more than once.");
            }

            entries.Add(new(key, ReadBase64(ref reader, $"{name}.{key}")));
        }

        return entries;
    }

    /// <summary>Writes an array of floats, each in the shortest form that round-trips the exact float.</summary>
    public static void WriteFloatArray(Utf8JsonWriter writer, string name, ReadOnlySpan<float> values)
    {
        writer.WriteStartArray(name);
        foreach (float value in values)
        {
            writer.WriteNumberValue(value);
        }

        writer.WriteEndArray();
    }

    private static void ReadValue(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new LineFormatException("The line ends in the middle of a value.");
        }
    }
}
