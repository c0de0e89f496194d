using System.Globalization;
using System.Text;
using DuckDB.NET.Data;

namespace Veil.Documents.Store;

/// <summary>
/// Documents in a Parquet file, read through DuckDB's built-in Parquet reader (no extension download) and streamed
/// row by row: an <c>id</c> column (a string or a number), a <c>vector</c> column (a list or fixed-size array of FLOAT
/// or DOUBLE), an optional <c>category</c> string column, and any other columns as the document's fields (as JSON, the
/// way DuckDB writes them). Rows are numbered from 1 in messages.
/// </summary>
/// <remarks>
/// Used by <c>veil ingest --input file.parquet</c>; anything else that needs vectors (with their ids) from Parquet can
/// use <see cref="Open(string, string?)"/> and read <see cref="VeilDocument.Id"/> and <see cref="VeilDocument.Embedding"/>.
/// </remarks>
public sealed class ParquetDocuments
{
    private static readonly byte[] s_magic = "PAR1"u8.ToArray();

    private readonly string _path;
    private readonly string? _database;
    private readonly string _query;

    private readonly bool _withVectors;

    private ParquetDocuments(string path, string? database, long count, string query, bool withVectors)
    {
        _path = path;
        _database = database;
        Count = count;
        _query = query;
        _withVectors = withVectors;
    }

    /// <summary>Gets the number of rows (from the file's metadata).</summary>
    public long Count { get; }

    /// <summary>Whether <paramref name="path"/> starts with Parquet's magic bytes.</summary>
    public static bool IsParquet(string path)
    {
        using FileStream file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        return file.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual(s_magic);
    }

    /// <summary>Checks the file's columns and counts its rows; the rows are read by <see cref="Rows"/>.</summary>
    /// <param name="path">The Parquet file.</param>
    /// <param name="database">
    /// The DuckDB database file of a store that is open (and stays open while the rows are read), to read through its
    /// database instance and buffer pool; null to read through an in-memory instance of the reader's own.
    /// </param>
    /// <exception cref="DocumentStoreException">The file cannot be read as Parquet, or lacks an id or vector column, or a column has a type that does not fit.</exception>
    public static ParquetDocuments Open(string path, string? database = null) => Open(path, database, withVectors: true);

    /// <summary>
    /// As <see cref="Open(string, string?)"/>; without <paramref name="withVectors"/> (a text ingest: the vectors are
    /// embedded from a text column) no <c>vector</c> column is needed, and one that is there is an ordinary field
    /// (which the text embedding then refuses, as it does a "vector" in JSON Lines).
    /// </summary>
    internal static ParquetDocuments Open(string path, string? database, bool withVectors)
    {
        string source = $"read_parquet('{path.Replace("'", "''", StringComparison.Ordinal)}')";
        using DuckDBConnection connection = Connect(database);
        var columns = new List<(string Name, string Type)>();
        long count;
        try
        {
            using (DuckDBCommand describe = connection.CreateCommand())
            {
                describe.CommandText = $"DESCRIBE SELECT * FROM {source}";
                using var reader = describe.ExecuteReader();
                while (reader.Read())
                {
                    columns.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            using DuckDBCommand counting = connection.CreateCommand();
            counting.CommandText = $"SELECT count(*) FROM {source}";
            count = Convert.ToInt64(counting.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        catch (DuckDBException e)
        {
            throw new DocumentStoreException($"Invalid input: '{path}' cannot be read as Parquet ({e.Message.Split('\n')[0]}).", e);
        }

        string TypeOf(string column, string what) => columns.FirstOrDefault(c => c.Name == column).Type
            ?? throw new DocumentStoreException($"Invalid input: the Parquet file '{path}' has no \"{column}\" column ({what}); its columns are {string.Join(", ", columns.Select(c => $"\"{c.Name}\" {c.Type}"))}.");

        string vectorType = withVectors ? TypeOf(DocumentJson.VectorField, "the embeddings, a list of FLOAT or DOUBLE") : "FLOAT[]";
        if (!(vectorType.StartsWith("FLOAT[", StringComparison.Ordinal) || vectorType.StartsWith("DOUBLE[", StringComparison.Ordinal)) || !vectorType.EndsWith(']'))
        {
            throw new DocumentStoreException($"Invalid input: the \"vector\" column of '{path}' has type {vectorType}; it must be a list or array of FLOAT or DOUBLE.");
        }

        string idType = TypeOf(DocumentJson.IdField, "the document ids");
        if (idType.EndsWith(']') || idType.StartsWith("STRUCT", StringComparison.Ordinal) || idType.StartsWith("MAP", StringComparison.Ordinal))
        {
            throw new DocumentStoreException($"Invalid input: the \"id\" column of '{path}' has type {idType}; it must be a string or a number.");
        }

        bool hasCategory = columns.Any(c => c.Name == VeilDocument.CategoryField);
        if (hasCategory && TypeOf(VeilDocument.CategoryField, "the category") != "VARCHAR")
        {
            throw new DocumentStoreException($"Invalid input: the \"category\" column of '{path}' must be a string column.");
        }

        string[] fields = [.. columns.Select(c => c.Name).Where(n => n is not (DocumentJson.IdField or VeilDocument.CategoryField) && (n != DocumentJson.VectorField || !withVectors))];
        var query = new StringBuilder("SELECT CAST(\"id\" AS VARCHAR), ")
            .Append(withVectors ? "CAST(\"vector\" AS FLOAT[]), len(\"vector\") - list_count(\"vector\"), " : "NULL::FLOAT[], 0, ")
            .Append(hasCategory ? "\"category\"" : "NULL::VARCHAR").Append(", ")
            .Append(fields.Length == 0 ? "'{}'" : $"CAST(to_json(struct_pack({string.Join(", ", fields.Select(f => $"{Quote(f)} := {Quote(f)}"))})) AS VARCHAR)")
            .Append(" FROM ").Append(source);
        return new ParquetDocuments(path, database, count, query.ToString(), withVectors);
    }

    /// <summary>The rows in file order, read as they are enumerated (one enumeration at a time).</summary>
    /// <exception cref="DocumentInputException">A row has a null id or vector, or a null, NaN or infinite vector element.</exception>
    public IEnumerable<(long Row, VeilDocument Document)> Rows()
    {
        using DuckDBConnection connection = Connect(_database);
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = _query;
        command.UseStreamingMode = true;
        using var reader = Run(command.ExecuteReader, 1);
        long row = 0;
        while (Run(reader.Read, row + 1))
        {
            row++;
            if (reader.IsDBNull(0))
            {
                throw new DocumentInputException(row, $"the \"id\" is null (in '{_path}')", unit: "row");
            }

            string id = reader.GetString(0);
            if (id.Length == 0)
            {
                throw new DocumentInputException(row, "the \"id\" is empty", unit: "row");
            }

            if (!_withVectors)
            {
                yield return (row, new VeilDocument
                {
                    Id = id,
                    Category = reader.IsDBNull(3) ? null : reader.GetString(3),
                    Fields = VeilDocument.FieldsOrNull(reader.GetString(4)),
                });
                continue;
            }

            if (reader.IsDBNull(1))
            {
                throw new DocumentInputException(row, $"the vector of \"{id}\" is null", unit: "row");
            }

            if (reader.GetInt64(2) != 0)
            {
                throw new DocumentInputException(row, $"the vector of \"{id}\" has null elements", unit: "row");
            }

            float[] vector = [.. reader.GetFieldValue<List<float>>(1)];
            int bad = Array.FindIndex(vector, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw new DocumentInputException(row, string.Create(CultureInfo.InvariantCulture, $"the vector of \"{id}\" has a NaN or infinite element {bad}"), unit: "row");
            }

            yield return (row, new VeilDocument
            {
                Id = id,
                Category = reader.IsDBNull(3) ? null : reader.GetString(3),
                Fields = VeilDocument.FieldsOrNull(reader.GetString(4)),
                Embedding = vector,
            });
        }
    }

    /// <summary>Runs a read, reporting DuckDB's failure as the input's.</summary>
    private T Run<T>(Func<T> read, long row)
    {
        try
        {
            return read();
        }
        catch (DuckDBException e)
        {
            string hint = _database is not null && e.Message.Contains("Out of Memory", StringComparison.Ordinal)
                ? "; the file is read within the store's memory limit: give a larger --store-memory"
                : string.Empty;
            throw new DocumentInputException(row, $"DuckDB cannot read it ({e.Message.Split('\n')[0]}){hint}", e, unit: "row");
        }
    }

    // DuckDB.NET shares one database instance among the connections to a file, so a connection to the store's file reads
    // within the store's memory limit and threads: one buffer pool for both. An instance of the reader's own gets one
    // thread, which decodes one row group at a time. A DuckDB-written row group of 122 880 × 384 floats comes in ~100 MB
    // pages, read through 128 MiB buffers. DuckDB's allocator keeps freed memory cached and hands it back to the system
    // after a single deallocation above allocator_bulk_deallocation_flush_threshold (512 MiB by default); at 1 MB freeing
    // such a buffer hands it back. The threshold is the instance's, so the store's freed memory goes back too. Max RSS of
    // 10^6 × 384 from Parquet into DuckDB: 1.16–1.29 GiB with a reader's own instance; 1.04–1.12 GiB through the store's
    // with the default threshold; 1.02 GiB with a reader's own instance at 1MB; 820–851 MiB through the store's at 1MB,
    // 932–977 MiB at 16–128MB. The price is system time, memory handed back and faulted in again: ~7 s more than before
    // per 10^6 rows at 1MB, ~2 s at 16–128MB. Flushing after every task too (allocator_flush_threshold) only cost more.
    private const string AllocatorSql = "SET allocator_bulk_deallocation_flush_threshold = '1MB';";

    private static DuckDBConnection Connect(string? database)
    {
        var builder = new DuckDBConnectionStringBuilder
        {
            DataSource = database ?? ":memory:",
            AutoinstallKnownExtensions = false,
            AutoloadKnownExtensions = false,
        };
        var connection = new DuckDBConnection(builder.ConnectionString);
        connection.Open();
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = (database is null ? "SET threads = 1; SET memory_limit = '384MB'; " : string.Empty) + AllocatorSql;
        command.ExecuteNonQuery();
        return connection;
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
