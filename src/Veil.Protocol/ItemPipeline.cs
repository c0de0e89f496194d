namespace Veil.Protocol;

/// <summary>How a pipeline's items are framed on its input and output.</summary>
public enum PipelineFormat
{
    /// <summary>JSON Lines, one item per line (<see cref="JsonLinesProcessor"/>).</summary>
    Jsonl,

    /// <summary>Length-prefixed binary item batches with float32 vectors (<see cref="BinaryBatchFrames"/>).</summary>
    Binary,
}

/// <summary>
/// Runs one item operation from a reader to a writer in either <see cref="PipelineFormat"/>: what <c>veil vector</c>,
/// <c>field</c> and <c>document</c> do with standard input and output.
/// </summary>
public static class ItemPipeline
{
    /// <summary>Whether <paramref name="input"/> and <paramref name="output"/> are byte streams, which <see cref="PipelineFormat.Binary"/> needs.</summary>
    /// <param name="input">The reader.</param>
    /// <param name="output">The writer.</param>
    /// <returns>True for a <see cref="StreamReader"/> and a <see cref="StreamWriter"/>.</returns>
    public static bool AreByteStreams(TextReader input, TextWriter output) => input is StreamReader && output is StreamWriter;

    /// <summary>
    /// Runs <paramref name="operation"/> over every item of <paramref name="input"/>, writing one result per item to
    /// <paramref name="output"/>; returns the most severe item failure met. When the reader and writer are byte streams
    /// (<see cref="AreByteStreams"/>) the items go through as UTF-8 bytes, never decoded to text and back: the writer is
    /// flushed first, and the reader must not have buffered anything yet.
    /// </summary>
    /// <param name="input">Where the items come from.</param>
    /// <param name="output">Where the results go.</param>
    /// <param name="format">How the items are framed.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="client">The keys.</param>
    /// <param name="scope">The tenant and paths the operation works in.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The most severe item failure (<see cref="ItemErrorCode.None"/> when every item succeeded).</returns>
    /// <exception cref="ArgumentException"><see cref="PipelineFormat.Binary"/> over a reader and writer that are not byte streams.</exception>
    /// <exception cref="InvalidDataException">A binary frame is truncated, too long or not a valid batch.</exception>
    public static ItemErrorCode Run(TextReader input, TextWriter output, PipelineFormat format, IItemOperation operation, VeilClient client, OperationScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (input is StreamReader reader && output is StreamWriter writer)
        {
            writer.Flush();
            return format == PipelineFormat.Binary
                ? BinaryBatchFrames.Run(reader.BaseStream, writer.BaseStream, operation, client, scope, cancellationToken)
                : JsonLinesProcessor.Run(reader.BaseStream, writer.BaseStream, operation, client, scope, cancellationToken: cancellationToken);
        }

        return format == PipelineFormat.Binary
            ? throw new ArgumentException("The binary format needs the input and output as byte streams.", nameof(input))
            : JsonLinesProcessor.Run(input, output, operation, client, scope, cancellationToken: cancellationToken);
    }
}
