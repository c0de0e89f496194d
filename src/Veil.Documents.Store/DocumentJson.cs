using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Veil.Documents.Store;

/// <summary>
/// The JSON Lines shape of documents: <c>{"id", "vector": [...], "category"?, ...any other fields}</c>. The id may be a
/// string or a number (stored as its text); <c>category</c>, when present, must be a string or null.
/// </summary>
public static class DocumentJson
{
    /// <summary>The field holding the document id.</summary>
    public const string IdField = "id";
    /// <summary>The field holding the embedding.</summary>
    public const string VectorField = "vector";

    /// <summary>Reads one line into a document; <paramref name="requireVector"/> is false when vectors come from elsewhere.</summary>
    /// <exception cref="FormatException">The line is not such an object; the message names the field, never a value.</exception>
    public static VeilDocument Parse(string line, bool requireVector)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("not a JSON object");
            }

            var result = new VeilDocument();
            bool hasId = false;
            var buffer = new ArrayBufferWriter<byte>();
            using (var fields = new Utf8JsonWriter(buffer))
            {
                fields.WriteStartObject();
                foreach (JsonProperty property in root.EnumerateObject())
                {
                    switch (property.Name)
                    {
                        case IdField:
                            result.Id = property.Value.ValueKind switch
                            {
                                JsonValueKind.String when property.Value.GetString() is { Length: > 0 } id => id,
                                JsonValueKind.Number => property.Value.GetRawText(),
                                _ => throw new FormatException("\"id\" must be a non-empty string or a number"),
                            };
                            hasId = true;
                            break;
                        case VectorField when requireVector:
                            result.Embedding = ReadVector(property.Value);
                            break;
                        case VeilDocument.CategoryField:
                            result.Category = property.Value.ValueKind switch
                            {
                                JsonValueKind.String => property.Value.GetString(),
                                JsonValueKind.Null => null,
                                _ => throw new FormatException("\"category\" must be a string or null"),
                            };
                            break;
                        default:
                            property.WriteTo(fields);
                            break;
                    }
                }

                fields.WriteEndObject();
            }

            if (!hasId)
            {
                throw new FormatException("it has no \"id\"");
            }

            if (requireVector && result.Embedding is null)
            {
                throw new FormatException("it has no \"vector\"");
            }

            result.Fields = VeilDocument.FieldsOrNull(Encoding.UTF8.GetString(buffer.WrittenSpan));
            return result;
        }
    }

    /// <summary>Parses a vector written as a JSON array of finite numbers (such as a query given on a command line).</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The vector.</returns>
    /// <exception cref="FormatException">The text is not JSON, or not an array of finite numbers.</exception>
    public static float[] ParseVector(string json)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return ReadVector(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>Reads a JSON array of finite numbers as floats.</summary>
    /// <exception cref="FormatException">It is not one.</exception>
    public static float[] ReadVector(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("\"vector\" must be an array of numbers");
        }

        var vector = new float[element.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in element.EnumerateArray())
        {
            float value = item.ValueKind == JsonValueKind.Number ? (float)item.GetDouble() : float.NaN;
            if (!float.IsFinite(value))
            {
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"\"vector\" element {i} is not a finite 32-bit number"));
            }

            vector[i++] = value;
        }

        return vector;
    }

    /// <summary>
    /// Writes a decrypted document as one object: id, optional rank and score (with <c>"distance"</c>, the
    /// <see cref="VeilDocument.ScoreDistance"/> it is, or <paramref name="distance"/>), category, the other fields, then
    /// the vector if wanted.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, VeilDocument document, bool includeVector, int? rank = null, double? score = null, string distance = VeilDocument.ScoreDistance)
    {
        writer.WriteStartObject();
        if (rank is { } r)
        {
            writer.WriteNumber("rank", r);
        }

        writer.WriteString(IdField, document.Id);
        if (score is { } s)
        {
            writer.WriteNumber("score", s);
            writer.WriteString("distance", distance);
        }

        if (document.Category is { } category)
        {
            writer.WriteString(VeilDocument.CategoryField, category);
        }

        if (document.Fields is { } fields)
        {
            using JsonDocument parsed = JsonDocument.Parse(fields);
            foreach (JsonProperty property in parsed.RootElement.EnumerateObject())
            {
                property.WriteTo(writer);
            }
        }

        if (includeVector && document.Embedding is { } embedding)
        {
            writer.WriteStartArray(VectorField);
            foreach (float value in embedding.Span)
            {
                writer.WriteNumberValue(value);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    /// <summary>One field of the document's metadata as a string (for display), or null.</summary>
    public static string? Field(VeilDocument document, string name)
    {
        if (document.Fields is null)
        {
            return null;
        }

        using JsonDocument parsed = JsonDocument.Parse(document.Fields);
        return parsed.RootElement.TryGetProperty(name, out JsonElement value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;
    }
}
