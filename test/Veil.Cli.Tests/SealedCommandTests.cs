using System.Text.Json;
using Veil.Cli.Tests.Support;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary>
/// The wiring of the sealed mode in the CLI (the logic is tested in Veil.Documents.Store.Tests): <c>ingest --sealed</c>
/// records the mode, <c>search</c>, <c>export</c> and <c>delete</c> follow it without a flag, and mixing modes is refused.
/// </summary>
public sealed class SealedCommandTests : IDisposable
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
    public async Task SealedIngest_ThenSearchExportAndDeleteWithoutAFlag_FollowTheCollectionsMode()
    {
        string input = VeilCli.Lines(
            """{"id":"a","vector":[0.6,0.8,0],"category":"faq","title":"First"}""",
            """{"id":"b","vector":[0,0.6,0.8],"category":"faq"}""",
            """{"id":"c","vector":[0.8,0,0.6],"category":"news"}""");

        CliResult ingest = await RunAsync(input, "ingest", "--secret-path", "p", "--sealed");
        CliResult search = await RunAsync(string.Empty, "search", "--vector", "[0.6,0.8,0]", "--top", "2");
        CliResult filtered = await RunAsync(string.Empty, "search", "--vector", "[0.6,0.8,0]", "--category", "news");
        CliResult delete = await RunAsync(string.Empty, "delete", "--id", "a");
        CliResult export = await RunAsync(string.Empty, "export");
        CliResult dcpeIngest = await RunAsync(VeilCli.Lines("""{"id":"d","vector":[1,0,0]}"""), "ingest", "--secret-path", "p");

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.Contains("created sealed collection", ingest.Stderr);
        Assert.True(search.ExitCode == ExitCodes.Success, search.Stderr);
        JsonElement first = search.Json[0];
        Assert.Equal("a", first.GetProperty("id").GetString());
        Assert.Equal("cosine_similarity", first.GetProperty("distance").GetString());
        Assert.Equal(1.0, first.GetProperty("score").GetDouble(), 5);
        Assert.Equal("First", first.GetProperty("title").GetString());
        Assert.Equal(["c"], filtered.Json.Select(j => j.GetProperty("id").GetString()));
        Assert.True(delete.ExitCode == ExitCodes.Success, delete.Stderr);
        Assert.Equal(["b", "c"], export.Json.Select(j => j.GetProperty("id").GetString()));
        Assert.Equal([0f, 0.6f, 0.8f], VeilCli.Floats(export.Json[0].GetProperty("vector")));
        Assert.Equal(ExitCodes.InvalidOptions, dcpeIngest.ExitCode);
        Assert.Contains("is sealed", dcpeIngest.Stderr);
        Assert.Contains("add --sealed", dcpeIngest.Stderr);
    }

    [Fact]
    public async Task RebuildIndex_AfterTheIndexInTheStoreIsLost_MakesSearchFindTheRowsAgain()
    {
        string input = VeilCli.Lines(
            """{"id":"a","vector":[0.6,0.8,0]}""",
            """{"id":"b","vector":[0,0.6,0.8]}""",
            """{"id":"c","vector":[0.8,0,0.6]}""");
        CliResult ingest = await RunAsync(input, "ingest", "--secret-path", "p", "--sealed");
        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        using (var duck = new Veil.Stores.DuckDb.DuckDbVectorStore(_directory.File("veil.duckdb")))
        using (var rows = duck.GetCollection<string, Veil.Documents.Store.SealedIndexRecord>(Veil.Documents.Store.SealedIndexRecord.CollectionName))
        {
            List<string> keys = await rows.GetAsync(r => true, 10_000).Select(r => r.Key).ToListAsync();
            Assert.NotEmpty(keys);
            await rows.DeleteAsync(keys);
        }

        CliResult lost = await RunAsync(string.Empty, "search", "--vector", "[0.6,0.8,0]", "--top", "2");
        CliResult rebuild = await RunAsync(string.Empty, "rebuild-index", "--batch-size", "2");
        CliResult search = await RunAsync(string.Empty, "search", "--vector", "[0.6,0.8,0]", "--top", "2");

        Assert.Empty(lost.Json);
        Assert.True(rebuild.ExitCode == ExitCodes.Success, rebuild.Stderr);
        Assert.Equal(3, rebuild.Json[0].GetProperty("indexed").GetInt64());
        Assert.Equal(0, rebuild.Json[0].GetProperty("failed").GetInt64());
        Assert.Equal(2, search.Json.Length);
        Assert.Equal("a", search.Json[0].GetProperty("id").GetString());
        Assert.Equal(1.0, search.Json[0].GetProperty("score").GetDouble(), 5);
    }

    private Task<CliResult> RunAsync(string stdin, params string[] args) =>
        VeilCli.RunAsync(stdin, [.. args, "--store", Store, "--config", _config.Path, "--tenant", Tenant]);
}
