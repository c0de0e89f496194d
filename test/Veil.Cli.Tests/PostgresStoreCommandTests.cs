using System.Text.Json;
using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary><c>veil ingest</c>, <c>search</c> and <c>export</c> with <c>--store postgres:"…"</c> against a real pgvector server.</summary>
public sealed class PostgresStoreCommandTests : IDisposable
{
    private const string Tenant = "t1";

    private readonly TempConfig _config = new(TestKeys.RotatingConfig(beta: 2.5));

    // A collection of its own per test run, so that runs (and the other PostgreSQL tests) never collide.
    private readonly string _collection = $"cli_{Guid.NewGuid():N}"[..20];

    public void Dispose() => _config.Dispose();

    private static string Location => "postgres:" + Environment.GetEnvironmentVariable(PostgresFactAttribute.ConnectionVariable);

    [PostgresFact]
    public async Task IngestSearchExport_WhenPostgres_RoundTripsDecryptedAndFiltersOnTheEncryptedCategory()
    {
        string input = VeilCli.Lines(
            """{"id":"a","vector":[0.6,0.8,0],"category":"faq","title":"First"}""",
            """{"id":"b","vector":[0,0.6,0.8],"category":"guide","title":"Second"}""",
            """{"id":"c","vector":[0.8,0,0.6],"category":"faq"}""");
        try
        {
            CliResult ingest = await RunAsync(input, "ingest", "--secret-path", "p");
            CliResult search = await RunAsync(string.Empty, "search", "--vector", "[0.6,0.8,0]", "--top", "2");
            CliResult filtered = await RunAsync(string.Empty, "search", "--vector", "[0,0.6,0.8]", "--top", "3", "--category", "faq");
            CliResult export = await RunAsync(string.Empty, "export");

            Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
            Assert.Contains("3 documents", ingest.Stderr);
            Assert.DoesNotContain("Password=postgres", ingest.Stderr);
            Assert.True(search.ExitCode == ExitCodes.Success, search.Stderr);
            Assert.Equal("a", search.Json[0].GetProperty("id").GetString());
            Assert.Equal("First", search.Json[0].GetProperty("title").GetString());
            Assert.True(filtered.ExitCode == ExitCodes.Success, filtered.Stderr);
            Assert.Equal(["a", "c"], filtered.Json.Select(j => j.GetProperty("id").GetString()).Order());
            Assert.True(export.ExitCode == ExitCodes.Success, export.Stderr);
            JsonElement[] lines = export.Json;
            Assert.Equal(["a", "b", "c"], lines.Select(l => l.GetProperty("id").GetString()).Order());
            Assert.Equal("guide", lines.Single(l => l.GetProperty("id").GetString() == "b").GetProperty("category").GetString());
        }
        finally
        {
            using var store = Documents.Store.DocumentStore.Open(Documents.Store.StoreLocation.Parse(Location), mustExist: false);
            await store.DeleteAsync(_collection, CancellationToken.None);
        }
    }

    [PostgresFact]
    public async Task Search_WhenPostgresCollectionMissing_Exits1NamingIt()
    {
        CliResult result = await RunAsync(string.Empty, "search", "--vector", "[1,0,0]");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains($"has no collection \"{_collection}\"", result.Stderr);
    }

    private Task<CliResult> RunAsync(string stdin, params string[] args) =>
        VeilCli.RunAsync(stdin, [.. args, "--store", Location, "--collection", _collection, "--config", _config.Path, "--tenant", Tenant]);
}
