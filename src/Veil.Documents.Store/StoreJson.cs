using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Veil.Sealed;

namespace Veil.Documents.Store;

/// <summary>
/// The JSON lines the store's operations report (what <c>veil search</c>, <c>export</c>, <c>delete</c>, <c>rotate</c>
/// and <c>rebuild-index</c> write on stdout): one compact object per line, non-ASCII text written as is.
/// </summary>
public static class StoreJson
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A document as ingest reads it, or a search hit with its rank, score and score kind (see <see cref="DocumentJson.Write"/>).</summary>
    /// <param name="document">The decrypted document.</param>
    /// <param name="includeVector">Whether to write its vector.</param>
    /// <param name="rank">The hit's 1-based rank, or null for a document.</param>
    /// <param name="score">The hit's score, or null for a document.</param>
    /// <param name="distance">What <paramref name="score"/> measures.</param>
    /// <returns>One line of JSON, without the line end.</returns>
    public static string Document(VeilDocument document, bool includeVector, int? rank = null, double? score = null, string distance = VeilDocument.ScoreDistance) =>
        Line(writer => DocumentJson.Write(writer, document, includeVector, rank, score, distance));

    /// <summary>The summary of a rotation (<see cref="RotationSummary.WriteJson"/>).</summary>
    /// <param name="summary">The summary.</param>
    /// <returns>One line of JSON, without the line end.</returns>
    public static string Rotation(RotationSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return Line(summary.WriteJson);
    }

    /// <summary>The summary of a sealed index rebuild: <c>{"indexed","failed"}</c>.</summary>
    /// <param name="summary">The summary.</param>
    /// <returns>One line of JSON, without the line end.</returns>
    public static string Rebuild(SealedRebuildSummary summary) => Line(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("indexed", summary.Indexed);
        writer.WriteNumber("failed", summary.Failed);
        writer.WriteEndObject();
    });

    /// <summary>The summary of a deletion by id: <c>{"requested","deleted"}</c>.</summary>
    /// <param name="requested">How many distinct ids were asked for.</param>
    /// <param name="deleted">How many documents were deleted.</param>
    /// <returns>One line of JSON, without the line end.</returns>
    public static string Deletion(long requested, long deleted) => Line(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("requested", requested);
        writer.WriteNumber("deleted", deleted);
        writer.WriteEndObject();
    });

    private static string Line(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
