using DuckDB.NET.Data;
using Veil.Documents.Store.Tests.Support;
using Veil.Stores.DuckDb;
using Veil.Testing;

namespace Veil.Documents.Store.Tests;

/// <summary>Reading Parquet through the DuckDB database instance of an open store (what <c>veil ingest</c> does).</summary>
public sealed class ParquetDocumentsTests
{
    [Fact]
    public void Rows_WhenReadThroughAnOpenStoresDatabase_AreTheFilesRowsAndTheStoreKeepsItsMemoryLimit()
    {
        using var directory = new TempDirectory();
        string database = directory.File("store.duckdb");
        string parquet = directory.WriteParquet(
            "SELECT * FROM (VALUES ('a', [0.6, 0.8]::FLOAT[], 'faq', 'First'), ('b', [0.0, 1.0]::FLOAT[], NULL, 'Second')) AS t(id, vector, category, title)");
        using var store = new DuckDbVectorStore(database, new DuckDbStoreOptions { MemoryLimit = "100MB" });

        ParquetDocuments documents = ParquetDocuments.Open(parquet, database);
        (long Row, VeilDocument Document)[] rows = [.. documents.Rows()];

        Assert.Equal(2, documents.Count);
        Assert.Equal([1L, 2L], rows.Select(r => r.Row));
        Assert.Equal(["a", "b"], rows.Select(r => r.Document.Id));
        Assert.Equal([0.6f, 0.8f], rows[0].Document.Embedding!.Value.ToArray());
        Assert.Equal("faq", rows[0].Document.Category);
        Assert.Null(rows[1].Document.Category);
        Assert.Equal("""{"title":"Second"}""", rows[1].Document.Fields);
        Assert.Equal("95.3 MiB", MemoryLimit(database)); // the store's 100MB, not the 384MB of a reader's own instance
    }

    [Fact]
    public void Rows_WhenARowIsBadInTheStoresDatabase_NameIt()
    {
        using var directory = new TempDirectory();
        string database = directory.File("store.duckdb");
        string parquet = directory.WriteParquet("SELECT * FROM (VALUES ('a', [1.0]::FLOAT[]), ('b', ['NaN'::FLOAT]::FLOAT[])) AS t(id, vector)");
        using var store = new DuckDbVectorStore(database);

        var error = Assert.Throws<DocumentInputException>(() => ParquetDocuments.Open(parquet, database).Rows().ToList());

        Assert.Equal(2, error.Line);
        Assert.Contains("row 2: the vector of \"b\" has a NaN or infinite element 0", error.Message);
    }

    [Fact]
    public void Rows_WhenTheStoresMemoryLimitCannotHoldAPage_NameTheRowAndTheOption()
    {
        using var directory = new TempDirectory();
        string database = directory.File("store.duckdb");
        string parquet = directory.WriteParquet("SELECT i AS id, list_transform(range(384), x -> (x + i)::FLOAT) AS vector FROM range(20000) t(i)");
        using var store = new DuckDbVectorStore(database, new DuckDbStoreOptions { MemoryLimit = "8MB" });

        var error = Assert.Throws<DocumentInputException>(() => ParquetDocuments.Open(parquet, database).Rows().ToList());

        Assert.Contains("row 1: DuckDB cannot read it (Out of Memory Error", error.Message);
        Assert.Contains("give a larger --store-memory", error.Message);
    }

    // A connection to the file shares the store's database instance, whose settings it reads.
    private static string MemoryLimit(string database)
    {
        using var connection = new DuckDBConnection("Data Source=" + database);
        connection.Open();
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting('memory_limit')";
        return (string)command.ExecuteScalar()!;
    }
}
