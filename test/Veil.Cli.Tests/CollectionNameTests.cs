using Veil.Cli.Tests.Support;
using Veil.Documents.Store;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary>
/// Collection names as the database compares them (DuckDB: case-insensitively) through the CLI: the refusal and its
/// exit codes. The store's logic (a table that is not a collection, failed ingests) is tested in
/// Veil.Documents.Store.Tests.CollectionNameTests.
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

    private string Store => "duckdb:" + _directory.File("veil.duckdb");

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

    private async Task<IReadOnlyList<string>> ManifestNamesAsync()
    {
        using DocumentStore store = DocumentStore.Open(StoreLocation.Parse(Store), mustExist: true);
        return (await store.ListManifestsAsync(CancellationToken.None)).Select(m => m.Name).ToList();
    }

    private Task<CliResult> RunAsync(string stdin, params string[] args) =>
        VeilCli.RunAsync(stdin, [.. args, "--store", Store, "--config", _config.Path, "--tenant", Tenant]);
}
