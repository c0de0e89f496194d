namespace Veil.Documents.Store;

/// <summary>
/// Documents to ingest (see <see cref="DocumentStore.IngestAsync"/>): JSON Lines <c>{"id","vector",…}</c>, a Parquet
/// file, or raw float32 vectors beside JSON Lines records. Nothing is read until the ingest opens the input, after
/// the store is open (so a Parquet file is read through the store's own DuckDB instance).
/// </summary>
public sealed class DocumentInput
{
    private readonly Func<StoreLocation, Opened> _open;

    private DocumentInput(Func<StoreLocation, Opened> open) => _open = open;

    /// <summary>JSON Lines read from <paramref name="reader"/> (which the caller owns); blank lines are skipped.</summary>
    /// <param name="reader">The lines.</param>
    /// <returns>The input.</returns>
    public static DocumentInput JsonLines(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new(_ => new Opened(DocumentSources.JsonLines(reader), null, null, "line", null));
    }

    /// <summary>
    /// The file at <paramref name="path"/>: Parquet when it starts with Parquet's magic bytes (see
    /// <see cref="ParquetDocuments"/>), JSON Lines otherwise.
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

        return new(location =>
        {
            if (ParquetDocuments.IsParquet(path))
            {
                // Through the store's own DuckDB instance when there is one: one buffer pool, not two.
                ParquetDocuments parquet = ParquetDocuments.Open(path, location.Kind == StoreLocation.DuckDbKind ? location.Target : null);
                return new Opened(parquet.Rows(), parquet.Count, null, "row", null);
            }

            StreamReader reader = System.IO.File.OpenText(path);
            return new Opened(DocumentSources.JsonLines(reader), null, null, "line", reader);
        });
    }

    /// <summary>Raw float32 vectors beside JSON Lines records (see <see cref="DocumentSources.RawVectors"/>).</summary>
    /// <param name="vectorsPath">Little-endian float32 rows, no header.</param>
    /// <param name="recordsPath">JSON Lines with the id and metadata of each row.</param>
    /// <param name="dimensions">The row length; null for the file size divided by the number of records.</param>
    /// <returns>The input.</returns>
    public static DocumentInput RawVectors(string vectorsPath, string recordsPath, int? dimensions)
    {
        ArgumentNullException.ThrowIfNull(vectorsPath);
        ArgumentNullException.ThrowIfNull(recordsPath);
        return new(_ =>
        {
            (int d, long count, IEnumerable<(long Line, VeilDocument Document)> rows) = DocumentSources.RawVectors(vectorsPath, recordsPath, dimensions);
            return new Opened(rows, count, d, "line", null);
        });
    }

    /// <summary>Opens the input for a store at <paramref name="location"/>.</summary>
    internal Opened Open(StoreLocation location) => _open(location);

    /// <summary>An opened input: its rows, their number and dimension when known, what its positions count, and what to dispose.</summary>
    internal sealed record Opened(IEnumerable<(long Line, VeilDocument Document)> Rows, long? Count, int? Dimensions, string Unit, IDisposable? Owned);
}
