namespace Veil.Documents.Store;

/// <summary>
/// Documents to ingest (see <see cref="DocumentStore.IngestAsync"/>): JSON Lines <c>{"id","vector",…}</c>, a Parquet
/// file, or raw float32 vectors beside JSON Lines records. Nothing is read until the ingest opens the input, after
/// the store is open (so a Parquet file is read through the store's own DuckDB instance).
/// </summary>
public sealed class DocumentInput
{
    // The bool: whether vectors come from a text field (so the input itself need not have them).
    private readonly Func<StoreLocation, bool, Opened> _open;
    private readonly TextEmbedding? _text;

    private DocumentInput(Func<StoreLocation, bool, Opened> open, TextEmbedding? text = null)
    {
        _open = open;
        _text = text;
    }

    /// <summary>JSON Lines read from <paramref name="reader"/> (which the caller owns); blank lines are skipped.</summary>
    /// <param name="reader">The lines.</param>
    /// <returns>The input.</returns>
    public static DocumentInput JsonLines(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new((_, fromText) => new Opened(DocumentSources.JsonLines(reader, requireVector: !fromText), null, null, "line", null));
    }

    /// <summary>
    /// The file at <paramref name="path"/>: Parquet when it starts with Parquet's magic bytes (see
    /// <see cref="ParquetDocuments"/>), JSON Lines otherwise (gzip-compressed or not).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <returns>The input.</returns>
    /// <exception cref="DocumentStoreException">The file does not exist.</exception>
    public static DocumentInput File(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!System.IO.File.Exists(path))
        {
            throw new DocumentStoreException($"Invalid options: the --input file '{path}' does not exist.");
        }

        return new((location, fromText) =>
        {
            if (ParquetDocuments.IsParquet(path))
            {
                // Through the store's own DuckDB instance when there is one: one buffer pool, not two.
                ParquetDocuments parquet = ParquetDocuments.Open(path, location.Kind == StoreLocation.DuckDbKind ? location.Target : null, withVectors: !fromText);
                return new Opened(parquet.Rows(), parquet.Count, null, "row", null);
            }

            StreamReader reader = TextFiles.OpenText(path);
            return new Opened(DocumentSources.JsonLines(reader, requireVector: !fromText), null, null, "line", reader);
        });
    }

    /// <summary>
    /// The input an ingest names: raw float32 <paramref name="vectors"/> beside JSON Lines <paramref name="records"/>,
    /// a JSON Lines or Parquet <paramref name="input"/> file, or else JSON Lines from <paramref name="standardInput"/>.
    /// The messages name the options as <c>--input</c>, <c>--vectors</c> and <c>--records</c>.
    /// </summary>
    /// <param name="input">A JSON Lines or Parquet file, or null.</param>
    /// <param name="vectors">A raw float32 file (with <paramref name="records"/>), or null.</param>
    /// <param name="records">The records of <paramref name="vectors"/>, or null.</param>
    /// <param name="dimensions">With <paramref name="vectors"/>: the row length, or null to infer it.</param>
    /// <param name="standardInput">The JSON Lines read when no file is given.</param>
    /// <returns>The input.</returns>
    /// <exception cref="DocumentStoreException">Only one of <paramref name="vectors"/> and <paramref name="records"/>, or both <paramref name="input"/> and <paramref name="vectors"/>, are given.</exception>
    public static DocumentInput Choose(string? input, string? vectors, string? records, int? dimensions, TextReader standardInput)
    {
        if ((vectors is null) != (records is null))
        {
            throw new DocumentStoreException("Invalid options: --vectors and --records go together.");
        }

        if (vectors is not null && input is not null)
        {
            throw new DocumentStoreException("Invalid options: use either --input (JSON Lines with vectors) or --vectors with --records, not both.");
        }

        return vectors is not null ? RawVectors(vectors, records!, dimensions)
            : input is not null ? File(input)
            : JsonLines(standardInput);
    }

    /// <summary>Raw float32 vectors beside JSON Lines records (see <see cref="DocumentSources.RawVectors"/>).</summary>
    /// <param name="vectorsPath">Little-endian float32 rows, no header.</param>
    /// <param name="recordsPath">JSON Lines with the id and metadata of each row (gzip-compressed or not).</param>
    /// <param name="dimensions">The row length; null for the file size divided by the number of records.</param>
    /// <returns>The input.</returns>
    public static DocumentInput RawVectors(string vectorsPath, string recordsPath, int? dimensions)
    {
        ArgumentNullException.ThrowIfNull(vectorsPath);
        ArgumentNullException.ThrowIfNull(recordsPath);
        return new((_, fromText) =>
        {
            if (fromText)
            {
                throw new DocumentStoreException("Invalid options: raw vectors and text to embed do not go together.");
            }

            (int d, long count, IEnumerable<(long Line, VeilDocument Document)> rows) = DocumentSources.RawVectors(vectorsPath, recordsPath, dimensions);
            return new Opened(rows, count, d, "line", null);
        });
    }

    /// <summary>
    /// The same documents with their vectors embedded from a text field instead of read (JSON Lines or Parquet: each
    /// line or row needs an id and the text field, a string, and no "vector"), embedded in batches as the ingest
    /// streams them.
    /// </summary>
    /// <param name="embedding">The field, the generator and the batch size.</param>
    /// <returns>The input.</returns>
    public DocumentInput WithTextEmbedding(TextEmbedding embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        ArgumentException.ThrowIfNullOrWhiteSpace(embedding.Field);
        return embedding.Field is DocumentJson.IdField or DocumentJson.VectorField or VeilDocument.CategoryField
            ? throw new DocumentStoreException($"Invalid options: the text to embed cannot be the \"{embedding.Field}\" field.")
            : new(_open, embedding);
    }

    /// <summary>Opens the input for a store at <paramref name="location"/>.</summary>
    internal Opened Open(StoreLocation location, CancellationToken cancellationToken = default)
    {
        Opened opened = _open(location, _text is not null);
        return _text is null ? opened : opened with { Rows = TextEmbeddingRows.Embed(opened.Rows, _text, opened.Unit, cancellationToken) };
    }

    /// <summary>An opened input: its rows, their number and dimension when known, what its positions count, and what to dispose.</summary>
    internal sealed record Opened(IEnumerable<(long Line, VeilDocument Document)> Rows, long? Count, int? Dimensions, string Unit, IDisposable? Owned);
}
