using System.Text.Json;

namespace Veil.Cli.JsonLines;

/// <summary>
/// What one JSON Lines command does with each line: read its fields, process a chunk of lines (in parallel, with the
/// core batch APIs) and write each result. The <see cref="JsonLinesPipeline"/> handles everything else: chunking,
/// <c>id</c>, blank lines, malformed JSON, error lines, ordering and flushing.
/// </summary>
internal abstract class LineHandler<TRequest, TResult>
    where TRequest : LineRequest, new()
{
    /// <summary>
    /// Reads the property <paramref name="reader"/> is positioned on (a <see cref="JsonTokenType.PropertyName"/>
    /// other than <c>id</c>), leaving the reader on the last token of its value. Returns false, without moving, for
    /// a property the command does not know (the pipeline skips it).
    /// </summary>
    /// <exception cref="LineFormatException">The value has the wrong type or content.</exception>
    public abstract bool ReadProperty(ref Utf8JsonReader reader, TRequest request);

    /// <summary>Checks that every required field was present.</summary>
    /// <exception cref="LineFormatException">A field is missing.</exception>
    public abstract void Validate(TRequest request);

    /// <summary>Processes a chunk of parsed lines, writing one outcome per request, in order.</summary>
    public abstract void Process(IReadOnlyList<TRequest> requests, LineOutcome<TResult>[] outcomes);

    /// <summary>Writes the result's properties (the pipeline has written <c>{</c> and <c>id</c>).</summary>
    public abstract void WriteResult(Utf8JsonWriter writer, TRequest request, TResult result);
}
