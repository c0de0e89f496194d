using System.Globalization;
using System.Text.Json;
using Veil.Cli.Tests.Support;
using Veil.Documents.Store;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary>
/// <c>veil rotate</c>: a store ingested with secret 1 (and standard secret 11) is re-encrypted to secret 2 (and 10)
/// after the promotion, proven by reading it back with a configuration that holds only the new secrets; a crash
/// between batches loses and duplicates nothing and a re-run finishes (against PostgreSQL when configured; the DuckDB
/// case is a library test, DocumentStoreTests in Veil.Documents.Store.Tests).
/// </summary>
public sealed class RotateCommandTests : IDisposable
{
    private const string Tenant = "t1";
    private const int Rows = 120;
    private const int Dimensions = 16;
    private const int BatchSize = 25;

    private static readonly string[] s_categories = ["faq", "guide", "news"];

    private readonly TempDirectory _directory = new();
    private readonly TempConfig _before = new(Config(vector: "\"current\": {\"id\": 1, \"secret\": \"OLD\"}", primary: 11, standard: "{\"id\": 11, \"secret\": \"OLD\"}"));
    private readonly TempConfig _promoted = new(TestKeys.RotatingConfig(beta: 2.5));
    private readonly TempConfig _newOnly = new(Config(vector: "\"current\": {\"id\": 2, \"secret\": \"NEW\"}", primary: 10, standard: "{\"id\": 10, \"secret\": \"NEW\"}"));
    private readonly string _collection = $"rot_{Guid.NewGuid():N}"[..20];

    public void Dispose()
    {
        _before.Dispose();
        _promoted.Dispose();
        _newOnly.Dispose();
        _directory.Dispose();
    }

    private string DuckDb => "duckdb:" + _directory.File("veil.duckdb");

    private static string Postgres => "postgres:" + Environment.GetEnvironmentVariable(PostgresFactAttribute.ConnectionVariable);

    [Fact]
    public Task Rotate_WhenDuckDbAfterPromotion_MakesEveryRowCurrentAndStillSearchable() => RotatesEveryRowAsync(DuckDb);

    [PostgresFact]
    public Task Rotate_WhenPostgresAfterPromotion_MakesEveryRowCurrentAndStillSearchable() => WithPostgresCollectionAsync(() => RotatesEveryRowAsync(Postgres));

    [PostgresFact]
    public Task Rotate_WhenPostgresCrashesBetweenBatches_ReRunFinishesWithNoRowLostOrDuplicated() => WithPostgresCollectionAsync(() => ResumesAfterCrashAsync(Postgres));

    [Fact]
    public async Task Rotate_WhenNothingIsInRotation_ReportsEveryRowCurrent()
    {
        await IngestAsync(DuckDb);

        CliResult result = await RunAsync(DuckDb, _before, "rotate");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        Assert.Equal(0, result.Json[0].GetProperty("rotated").GetInt64());
        Assert.Equal(Rows, result.Json[0].GetProperty("alreadyCurrent").GetInt64());
    }

    private async Task RotatesEveryRowAsync(string store)
    {
        float[][] vectors = await IngestAsync(store);
        CliResult unreadable = await RunAsync(store, _newOnly, "export", "--no-vectors");

        CliResult rotate = await RunAsync(store, _promoted, "rotate", "--batch-size", BatchSize.ToString(CultureInfo.InvariantCulture));
        CliResult again = await RunAsync(store, _promoted, "rotate");

        Assert.Equal(ExitCodes.IntegrityFailure, unreadable.ExitCode);
        Assert.True(rotate.ExitCode == ExitCodes.Success, rotate.Stderr);
        JsonElement summary = rotate.Json[0];
        Assert.Equal(Rows, summary.GetProperty("rotated").GetInt64());
        Assert.Equal(0, summary.GetProperty("alreadyCurrent").GetInt64());
        Assert.Equal(0, summary.GetProperty("failed").GetInt64());
        Assert.Equal(Rows, summary.GetProperty("vectorsRotated").GetInt64());
        Assert.InRange(summary.GetProperty("maxRelativeDrift").GetDouble(), 0, 1e-4);
        Assert.Contains("veil rotate:", rotate.Stderr);
        Assert.Equal(0, again.Json[0].GetProperty("rotated").GetInt64());
        Assert.Equal(Rows, again.Json[0].GetProperty("alreadyCurrent").GetInt64());
        await AssertAllCurrentAsync(store, vectors);
    }

    private async Task ResumesAfterCrashAsync(string store)
    {
        float[][] vectors = await IngestAsync(store);
        StoreRotation.BeforeWriteForTests.Value = batch =>
        {
            if (batch == 3)
            {
                throw new SimulatedCrashException();
            }
        };
        try
        {
            await Assert.ThrowsAsync<SimulatedCrashException>(() => RunAsync(store, _promoted, "rotate", "--batch-size", BatchSize.ToString(CultureInfo.InvariantCulture)));
        }
        finally
        {
            StoreRotation.BeforeWriteForTests.Value = null;
        }

        CliResult midway = await RunAsync(store, _promoted, "export", "--no-vectors");
        CliResult resumed = await RunAsync(store, _promoted, "rotate", "--batch-size", BatchSize.ToString(CultureInfo.InvariantCulture));

        // Two batches were written before the crash; the third was lost in memory, its rows still old and readable.
        Assert.True(midway.ExitCode == ExitCodes.Success, midway.Stderr);
        Assert.Equal(Rows, midway.Json.Select(j => j.GetProperty("id").GetString()).Distinct().Count());
        Assert.True(resumed.ExitCode == ExitCodes.Success, resumed.Stderr);
        Assert.Equal(Rows - (2 * BatchSize), resumed.Json[0].GetProperty("rotated").GetInt64());
        Assert.Equal(2 * BatchSize, resumed.Json[0].GetProperty("alreadyCurrent").GetInt64());
        await AssertAllCurrentAsync(store, vectors);
    }

    /// <summary>Reads everything back with only the new secrets: every row decrypts, once, to its vector; the category filter works.</summary>
    private async Task AssertAllCurrentAsync(string store, float[][] vectors)
    {
        CliResult export = await RunAsync(store, _newOnly, "export");
        CliResult search = await RunAsync(store, _newOnly, "search", "--id", "7", "--top", "5", "--category", "guide");

        Assert.True(export.ExitCode == ExitCodes.Success, export.Stderr);
        JsonElement[] lines = export.Json;
        Assert.Equal(Rows, lines.Length);
        Assert.Equal(Enumerable.Range(0, Rows).Select(i => i.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal), lines.Select(l => l.GetProperty("id").GetString()));
        foreach (JsonElement line in lines)
        {
            int i = int.Parse(line.GetProperty("id").GetString()!, CultureInfo.InvariantCulture);
            Assert.Equal(s_categories[i % 3], line.GetProperty("category").GetString());
            Assert.Equal($"title {i}", line.GetProperty("title").GetString());
            float[] decrypted = VeilCli.Floats(line.GetProperty("vector"));
            Assert.All(decrypted.Zip(vectors[i]), pair => Assert.Equal(pair.Second, pair.First, 1e-4f));
        }

        Assert.True(search.ExitCode == ExitCodes.Success, search.Stderr);
        Assert.Equal("7", search.Json[0].GetProperty("id").GetString());
        Assert.Equal(5, search.Json.Length);
        Assert.All(search.Json, j => Assert.Equal("guide", j.GetProperty("category").GetString()));
    }

    private async Task<float[][]> IngestAsync(string store)
    {
        var random = new Random(6);
        float[][] vectors = Enumerable.Range(0, Rows).Select(_ => Enumerable.Range(0, Dimensions).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()).ToArray();
        string input = VeilCli.Lines(Enumerable.Range(0, Rows).Select(i => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = i.ToString(CultureInfo.InvariantCulture),
            ["vector"] = vectors[i],
            ["category"] = s_categories[i % 3],
            ["title"] = $"title {i}",
        })).ToArray());
        CliResult ingest = await RunWithInputAsync(input, store, _before, "ingest", "--secret-path", "p");
        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        return vectors;
    }

    private async Task WithPostgresCollectionAsync(Func<Task> test)
    {
        try
        {
            await test();
        }
        finally
        {
            using var store = DocumentStore.Open(StoreLocation.Parse(Postgres), mustExist: false);
            await store.DeleteAsync(_collection, CancellationToken.None);
        }
    }

    private Task<CliResult> RunAsync(string store, TempConfig config, params string[] args) => RunWithInputAsync(string.Empty, store, config, args);

    private Task<CliResult> RunWithInputAsync(string stdin, string store, TempConfig config, params string[] args) =>
        VeilCli.RunAsync(stdin, [.. args, "--store", store, "--collection", _collection, "--config", config.Path, "--tenant", Tenant]);

    /// <summary>Vector and deterministic path "p" and a standard section: the secret (OLD = id 1's bytes, NEW = id 2's) and β 2.5.</summary>
    private static string Config(string vector, int primary, string standard) =>
        ("{\"vector\": {\"p\": {\"approximationFactor\": 2.5, " + vector + "}}, \"deterministic\": {\"p\": {" + vector + "}}, "
            + "\"standard\": {\"primaryId\": " + primary.ToString(CultureInfo.InvariantCulture) + ", \"secrets\": [" + standard + "]}}")
        .Replace("OLD", TestKeys.Kat56Base64, StringComparison.Ordinal).Replace("NEW", TestKeys.Kat57Base64, StringComparison.Ordinal);

    private sealed class SimulatedCrashException : Exception;
}
