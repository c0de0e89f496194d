using Veil.Documents.Store.Tests.Support;
using Veil.Keys;

namespace Veil.Documents.Store.Tests;

/// <summary>
/// Collection names as the database compares them (a table that is not a collection is never written into), and an
/// ingest that fails leaves a new collection out entirely and an existing one as it was (moved from the CLI's tests).
/// </summary>
public sealed class CollectionNameTests : IDisposable
{
    private const string Tenant = "t1";

    private readonly TempDirectory _directory = new();
    private readonly RotationKeys _keys = new();

    public void Dispose()
    {
        _keys.Dispose();
        _directory.Dispose();
    }

    private string StorePath => _directory.File("veil.duckdb");

    private StoreLocation Location => new(StoreLocation.DuckDbKind, StorePath);

    [Fact]
    public async Task IngestAsync_WhenATableOfThatNameExistsWithoutAManifest_IsRefusedAndNotWrittenInto()
    {
        using (var connection = new DuckDB.NET.Data.DuckDBConnection("Data Source=" + StorePath))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE Payroll (\"Id\" VARCHAR PRIMARY KEY, salary INTEGER); INSERT INTO Payroll VALUES ('a', 1)";
            command.ExecuteNonQuery();
        }

        var e = await Assert.ThrowsAsync<DocumentStoreException>(() => IngestAsync("payroll", """{"id":"a","vector":[0.6,0.8,0]}"""));

        Assert.Contains("\"Payroll\"", e.Message, StringComparison.Ordinal);
        Assert.Empty(await ManifestNamesAsync());
    }

    [Fact]
    public async Task IngestAsync_WhenItFailsIntoANewCollection_LeavesNoManifestOrTableAndARetryWithOtherDimensionsWorks()
    {
        await Assert.ThrowsAsync<DocumentInputException>(() => IngestAsync("fresh", """{"id":"a","vector":[0.6,0.8,0]}""", """{"id":"b","vector":[0.6,0.8]}"""));
        IReadOnlyList<string> manifests = await ManifestNamesAsync();
        bool table;
        using (var store = new Stores.DuckDb.DuckDbVectorStore(StorePath))
        {
            table = await store.CollectionExistsAsync("fresh");
        }

        await IngestAsync("fresh", """{"id":"b","vector":[0.6,0.8]}""");

        Assert.Empty(manifests);
        Assert.False(table);
        Assert.Equal(["fresh"], await ManifestNamesAsync());
    }

    [Fact]
    public async Task IngestAsync_WhenItFailsIntoAnExistingCollection_KeepsTheCollection()
    {
        await IngestAsync("documents", """{"id":"a","vector":[0.6,0.8,0]}""");
        await Assert.ThrowsAsync<DocumentInputException>(() => IngestAsync("documents", """{"id":"b","vector":[0.6,0.8]}"""));

        var ids = new List<string>();
        using (DocumentStore store = DocumentStore.Open(Location, mustExist: true))
        {
            await foreach (VeilDocument document in store.ExportAsync("documents", _keys.Before, new TenantId(Tenant)))
            {
                ids.Add(document.Id);
            }
        }

        Assert.Equal(["a"], ids);
    }

    [Theory]
    [InlineData("[1.0, NULL, 0.0]::FLOAT[]", "row 2: the vector of \"b\" has null elements")]
    [InlineData("NULL::FLOAT[]", "row 2: the vector of \"b\" is null")]
    [InlineData("[1.0, 0.0]::FLOAT[]", "row 2: the vector of \"b\" has 2 dimensions; collection \"documents\" has 3 (0 documents before it were stored)")]
    public async Task IngestAsync_WhenAParquetRowIsBad_ThrowsNamingItAndStoresNothingOfTheTransaction(string vector, string message)
    {
        string parquet = _directory.WriteParquet($"SELECT * FROM (VALUES ('a', [1.0, 0.0, 0.0]::FLOAT[]), ('b', {vector})) AS t(id, vector)");

        var e = await Assert.ThrowsAsync<DocumentInputException>(async () =>
        {
            using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
            await store.IngestAsync(DocumentInput.File(parquet), new IngestOptions("documents", new TenantId(Tenant)), _keys.Before);
        });

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Empty(await ManifestNamesAsync());
    }

    private async Task IngestAsync(string collection, params string[] lines)
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        await store.IngestAsync(DocumentInput.JsonLines(new StringReader(string.Join('\n', lines) + "\n")), new IngestOptions(collection, new TenantId(Tenant)), _keys.Before);
    }

    private async Task<IReadOnlyList<string>> ManifestNamesAsync()
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: true);
        return (await store.ListManifestsAsync(CancellationToken.None)).Select(m => m.Name).ToList();
    }
}
