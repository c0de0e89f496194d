using System.Buffers.Binary;
using System.Globalization;
using System.Numerics.Tensors;

namespace Veil.Documents.Store;

/// <summary>
/// Embeds the text field of every line of a JSON Lines file (gzip-compressed or not) into raw little-endian float32
/// rows, no header, row-aligned with the file's non-blank lines: the <c>embeddings.bin</c> beside a
/// <c>records.jsonl</c> that <see cref="DocumentInput.RawVectors"/>, <c>veil ingest --vectors</c> and
/// <c>veil train</c> read. Streamed (one batch of texts held), with progress, and restartable: rows are appended and
/// flushed batch by batch, and a run that finds the output already holding rows carries on after them.
/// </summary>
public static class TextFileEmbedding
{
    /// <summary>The cosine the first stored row must keep with the same text embedded again for a run to carry on after it.</summary>
    internal const float ResumeCosine = 0.999f;

    /// <summary>
    /// Embeds <paramref name="inputPath"/>'s <see cref="TextEmbedding.Field"/> into <paramref name="outputPath"/>.
    /// When the output exists with rows in it, the first row is embedded again and must match the stored one (same
    /// model, same input); the rows already there are kept (a torn last row from an interrupted run is cut) and
    /// embedding carries on with the next line.
    /// </summary>
    /// <param name="inputPath">JSON Lines, each line with an <c>id</c> and the text field (and no <c>vector</c>).</param>
    /// <param name="outputPath">The raw float32 rows (created, or carried on).</param>
    /// <param name="embedding">The field, the generator and the texts per generator call.</param>
    /// <param name="progress">Rows done (including those found at the start) out of all the input's rows.</param>
    /// <param name="cancellationToken">Stops between batches; the rows written so far stay (run again to carry on).</param>
    /// <returns>What was done.</returns>
    /// <exception cref="DocumentStoreException">The input is missing or empty, or the output does not fit it.</exception>
    /// <exception cref="DocumentInputException">A line is malformed or lacks the text field (nothing after it is embedded).</exception>
    public static TextFileEmbeddingResult Embed(
        string inputPath, string outputPath, TextEmbedding embedding, IProgress<StoreProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputPath);
        ArgumentNullException.ThrowIfNull(outputPath);
        ArgumentNullException.ThrowIfNull(embedding);
        if (!File.Exists(inputPath))
        {
            throw new DocumentStoreException($"Invalid options: the input file '{inputPath}' does not exist.");
        }

        long total = TextFiles.ReadLines(inputPath).LongCount(l => !string.IsNullOrWhiteSpace(l));
        if (total == 0)
        {
            throw new DocumentStoreException($"Invalid input: '{inputPath}' has no lines.");
        }

        using FileStream output = new(outputPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        (long found, int? dimensions) = output.Length == 0 ? (0L, (int?)null) : ((long, int?))Resume(inputPath, output, embedding, total, cancellationToken);
        output.Position = output.Length;
        progress?.Report(new StoreProgress(found, total));

        long done = found;
        byte[] buffer = [];
        using StreamReader reader = TextFiles.OpenText(inputPath);
        IEnumerable<(long Line, VeilDocument Document)> rest = DocumentSources.JsonLines(reader, requireVector: false).Skip(checked((int)found));
        foreach ((long line, VeilDocument document) in TextEmbeddingRows.Embed(rest, embedding, "line", cancellationToken))
        {
            ReadOnlySpan<float> vector = document.Embedding!.Value.Span;
            dimensions ??= vector.Length;
            if (vector.Length != dimensions)
            {
                throw new DocumentInputException(line, string.Create(CultureInfo.InvariantCulture, $"the embedding of \"{document.Id}\" has {vector.Length} dimensions, the others {dimensions}"));
            }

            if (buffer.Length != 4 * vector.Length)
            {
                buffer = new byte[4 * vector.Length];
            }

            for (int i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), vector[i]);
            }

            output.Write(buffer);
            done++;
            if ((done - found) % embedding.BatchSize == 0 || done == total)
            {
                // A batch is durable before the next is embedded: an interrupted run loses at most one batch.
                output.Flush(flushToDisk: true);
                progress?.Report(new StoreProgress(done, total));
            }
        }

        output.Flush(flushToDisk: true);
        return new TextFileEmbeddingResult(total, found, done - found, dimensions ?? 0);
    }

    /// <summary>Checks that the output's first row is the first line's text embedded by this generator, cuts a torn last row, and says how many rows are there.</summary>
    private static (long Found, int Dimensions) Resume(string inputPath, FileStream output, TextEmbedding embedding, long total, CancellationToken cancellationToken)
    {
        using StreamReader reader = TextFiles.OpenText(inputPath);
        (long Line, VeilDocument Document) first = TextEmbeddingRows.Embed(DocumentSources.JsonLines(reader, requireVector: false).Take(1), embedding, "line", cancellationToken).Single();
        float[] again = first.Document.Embedding!.Value.ToArray();
        int d = again.Length;
        if (output.Length < 4L * d)
        {
            output.SetLength(0);
            return (0, d);
        }

        byte[] row = new byte[4 * d];
        output.Position = 0;
        output.ReadExactly(row);
        float[] stored = new float[d];
        for (int i = 0; i < d; i++)
        {
            stored[i] = BinaryPrimitives.ReadSingleLittleEndian(row.AsSpan(4 * i));
        }

        float cosine = stored.All(float.IsFinite) ? TensorPrimitives.CosineSimilarity(stored, again) : float.NaN;
        if (!(cosine >= ResumeCosine))
        {
            throw new DocumentStoreException(
                $"Invalid options: '{output.Name}' already holds vectors, but not this model's embedding of the first line of '{inputPath}' (or not {d}-dimensional ones): delete it to start again, or write to another file.");
        }

        long found = output.Length / (4L * d);
        if (found > total)
        {
            throw new DocumentStoreException(string.Create(
                CultureInfo.InvariantCulture, $"Invalid options: '{output.Name}' already holds {found} vectors, more than the {total} lines of '{inputPath}'."));
        }

        output.SetLength(found * 4L * d);
        return (found, d);
    }
}

/// <summary>What <see cref="TextFileEmbedding.Embed"/> did.</summary>
/// <param name="Total">The input's rows (non-blank lines).</param>
/// <param name="Resumed">Rows found already embedded in the output and kept.</param>
/// <param name="Embedded">Rows embedded by this run.</param>
/// <param name="Dimensions">The vectors' dimension (0 when nothing was embedded or checked).</param>
public sealed record TextFileEmbeddingResult(long Total, long Resumed, long Embedded, int Dimensions);
