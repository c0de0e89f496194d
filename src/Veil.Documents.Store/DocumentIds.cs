using System.Globalization;
using System.Text.Json;

namespace Veil.Documents.Store;

/// <summary>Reads document ids from JSON Lines of <c>{"id"}</c> objects (other fields ignored), such as export's output, for <see cref="DocumentStore.DeleteDocumentsAsync"/>.</summary>
public static class DocumentIds
{
    /// <summary>Reads every id of the JSON Lines file at <paramref name="path"/> (see <see cref="ReadJsonLines(TextReader)"/>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The ids, in order.</returns>
    /// <exception cref="DocumentStoreException">The file cannot be read, or a line is not an object with an id (the message names the file and the line).</exception>
    public static List<string> ReadJsonLines(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        StreamReader reader;
        try
        {
            reader = new StreamReader(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new DocumentStoreException($"Cannot read the ids file '{path}': {e.Message}", e);
        }

        using (reader)
        {
            return ReadJsonLines(reader, $"'{path}'");
        }
    }

    /// <summary>Reads every id of <paramref name="reader"/> (see <see cref="ReadJsonLines(TextReader)"/>), naming it <paramref name="source"/> in errors.</summary>
    /// <param name="reader">The JSON Lines.</param>
    /// <param name="source">What the reader is, for messages (such as the file name, or stdin).</param>
    /// <returns>The ids, in order.</returns>
    /// <exception cref="DocumentStoreException">A line is not JSON, or not an object with a string or number <c>"id"</c> (the message names the source and the line).</exception>
    public static List<string> ReadJsonLines(TextReader reader, string source)
    {
        try
        {
            return ReadJsonLines(reader);
        }
        catch (FormatException e)
        {
            throw new DocumentStoreException($"Invalid input: in the ids of {source}, {e.Message}", e);
        }
    }

    /// <summary>Reads every id of <paramref name="reader"/>: one object with a string or number <c>"id"</c> per non-blank line.</summary>
    /// <param name="reader">The JSON Lines.</param>
    /// <returns>The ids, in order (a number as its JSON text).</returns>
    /// <exception cref="FormatException">A line is not JSON, or not an object with a string or number <c>"id"</c> (the message names the line).</exception>
    public static List<string> ReadJsonLines(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var ids = new List<string>();
        long line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            try
            {
                using JsonDocument document = JsonDocument.Parse(text);
                if (document.RootElement.ValueKind != JsonValueKind.Object
                    || !document.RootElement.TryGetProperty("id", out JsonElement id)
                    || id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                {
                    throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"line {line} is not an object with a string or number \"id\"."));
                }

                ids.Add(id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText());
            }
            catch (JsonException e)
            {
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"line {line} is not JSON ({e.Message})."), e);
            }
        }

        return ids;
    }
}
