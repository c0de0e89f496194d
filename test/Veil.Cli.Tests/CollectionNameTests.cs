using Veil.Cli.Tests.Support;
using Veil.Documents.Store;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary>
/// Collection names as the database compares them (DuckDB: case-insensitively), and an ingest into a new collection
/// that fails leaves nothing behind.
/// </summary>
public sealed class CollectionNameTests : IDisposable
{
    private const string Tenant = "t1";

    private readonly TempDirectory _directory = new();
    private readonly TempConfig _config = new(TestKeys.RotatingConfig(beta: 2.5));

    public void Dispose()
    {
        _config.Dispose();
        _directory.Dispose();
    }

    private string StorePath => _directory.File("veil.duckdb");

    private string Store => "duckdb:" + StorePath;

    [Fact]
    public async Task Ingest_WhenTheNameDiffersOnlyInCaseFromAnExistingCollection_IsRefusedAndItsRecordsStay()
    {
        CliResult first = await RunAsync(VeilCli.Lines("""{"id":"a","vector":[0.6,0.8,0],"title":"Original"}"""), "ingest", "--secret-path", "p");
        CliResult attack = await RunAsync(VeilCli.Lines("""{"id":"a","vector":[0,0.6,0.8],"title":"Overwritten"}"""), "ingest", "--secret-path", "p", "--collection", "DOCUMENTS");
        CliResult search = await RunAsync(string.Empty, "search", "--collection", "Documents", "--vector", "[0.6,0.8,0]");
        CliResult export = await RunAsync(string.Empty, "export");

        Assert.True(first.ExitCode == ExitCodes.Success, first.Stderr);
        Assert.Equal(ExitCodes.InvalidOptions, attack.ExitCode);
        Assert.Contains("\"DOCUMENTS\" is the same table as the existing collection \"documents\"", attack.Stderr, StringComparison.Ordinal);
        Assert.Contains("case-insensitively", attack.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.InvalidOptions, search.ExitCode);
        Assert.True(export.ExitCode == ExitCodes.Success, export.Stderr);
        Assert.Equal(["Original"], export.Json.Select(j => j.GetProperty("title").GetString()));
        Assert.Equal(["documents"], await ManifestNamesAsync());
    }

    [Fact]
    public async Task Ingest_WhenATableOfThatNameExistsWithoutAManifest_IsRefusedAndNotWrittenInto()
    {
        using (var connection = new DuckDB.NET.Data.DuckDBConnection("Data Source=" + StorePath))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE Payroll (\"Id\" VARCHAR PRIMARY KEY, salary INTEGER); INSERT INTO Payroll VALUES ('a', 1)";
            command.ExecuteNonQuery();
        }

        CliResult attack = await RunAsync(VeilCli.Lines("""{"id":"a","vector":[0.6,0.8,0]}"""), "ingest", "--secret-path", "p", "--collection", "payroll");

        Assert.Equal(ExitCodes.InvalidOptions, attack.ExitCode);
        Assert.Contains("\"Payroll\"", attack.Stderr, StringComparison.Ordinal);
        Assert.Empty(await ManifestNamesAsync());
    }

    [Fact]
    public async Task Ingest_WhenItFailsIntoANewCollection_LeavesNoManifestOrTableAndARetryWithOtherDimensionsWorks()
    {
        CliResult failed = await RunAsync(
            VeilCli.Lines("""{"id":"a","vector":[0.6,0.8,0]}""", """{"id":"b","vector":[0.6,0.8]}"""), "ingest", "--secret-path", "p", "--collection", "fresh");
        IReadOnlyList<string> manifests = await ManifestNamesAsync();
        bool table = await TableExistsAsync("fresh");
        CliResult retry = await RunAsync(VeilCli.Lines("""{"id":"b","vector":[0.6,0.8]}"""), "ingest", "--secret-path", "p", "--collection", "fresh");

        Assert.Equal(ExitCodes.Failed, failed.ExitCode);
        Assert.Empty(manifests);
        Assert.False(table);
        Assert.True(retry.ExitCode == ExitCodes.Success, retry.Stderr);
        Assert.Equal(["fresh"], await ManifestNamesAsync());
    }

    [Fact]
    public async Task Ingest_WhenItFailsIntoAnExistingCollection_KeepsTheCollection()
    {
        CliResult first = await RunAsync(VeilCli.Lines("""{"id":"a","vector":[0.6,0.8,0]}"""), "ingest", "--secret-path", "p");
        CliResult failed = await RunAsync(VeilCli.Lines("""{"id":"b","vector":[0.6,0.8]}"""), "ingest");
        CliResult export = await RunAsync(string.Empty, "export");

        Assert.True(first.ExitCode == ExitCodes.Success, first.Stderr);
        Assert.Equal(ExitCodes.Failed, failed.ExitCode);
        Assert.Equal(["a"], export.Json.Select(j => j.GetProperty("id").GetString()));
    }

    private async Task<IReadOnlyList<string>> ManifestNamesAsync()
    {
        using DocumentStore store = DocumentStore.Open(StoreLocation.Parse(Store), mustExist: true);
        return (await store.ListManifestsAsync(CancellationToken.None)).Select(m => m.Name).ToList();
    }

    private async Task<bool> TableExistsAsync(string name)
    {
        using var store = new Stores.DuckDb.DuckDbVectorStore(StorePath);
        return await store.CollectionExistsAsync(name);
    }

    private Task<CliResult> RunAsync(string stdin, params string[] args) =>
        VeilCli.RunAsync(stdin, [.. args, "--store", Store, "--config", _config.Path, "--tenant", Tenant]);
}
