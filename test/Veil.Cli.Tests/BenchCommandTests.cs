using System.Text.Json;
using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary><c>veil bench</c> reports its table and JSON (no timing is asserted: these machines are shared).</summary>
public sealed class BenchCommandTests
{
    [Fact]
    public async Task Bench_WhenJson_ReportsEveryFigureForEachDimension()
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "bench", "--dimensions", "8", "384", "--rounds", "3", "--batch-rows", "50", "--store-rows", "300", "--store-rounds", "2", "--store-queries", "3", "--embedding-texts", "4", "--json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        JsonElement[] rows = document.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal([8, 384], rows.Select(r => r.GetProperty("dimensions").GetInt32()));
        foreach (JsonElement row in rows)
        {
            foreach (string figure in new[] { "encryptMicroseconds", "decryptMicroseconds", "floorMicroseconds", "encryptToFloor", "decryptToFloor", "batchVectorsPerSecond" })
            {
                Assert.True(row.GetProperty(figure).GetDouble() > 0, figure);
            }
        }

        Assert.Equal(17.573, rows[1].GetProperty("alloyEncryptMicroseconds").GetDouble());
        Assert.False(rows[0].TryGetProperty("alloyEncryptMicroseconds", out _));
        JsonElement store = document.RootElement.GetProperty("store");
        Assert.Equal("duckdb", store.GetProperty("engine").GetString());
        Assert.Equal(384, store.GetProperty("dimensions").GetInt32());
        Assert.Equal(300, store.GetProperty("rows").GetInt32());
        Assert.Equal(2, store.GetProperty("ingestRounds").GetInt32());
        foreach (string figure in new[]
        {
            "plaintextIngestVectorsPerSecond", "encryptedIngestVectorsPerSecond", "encryptedToPlaintextIngest", "encryptedIngestWithMetadataVectorsPerSecond",
            "plaintextQueryMilliseconds", "encryptedQueryMilliseconds", "rerankedQueryMilliseconds", "encryptedToPlaintextQuery", "rerankedToPlaintextQuery",
        })
        {
            Assert.True(store.GetProperty(figure).GetDouble() > 0, figure);
        }

        // The embedding row: the solution's restore put the all-MiniLM-L6-v2 add-on in the global packages folder.
        JsonElement embedding = document.RootElement.GetProperty("embedding");
        Assert.Equal("all-MiniLM-L6-v2", embedding.GetProperty("model").GetString());
        Assert.Equal([128, 256], embedding.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("tokens").GetInt32()));
        Assert.All(embedding.GetProperty("rows").EnumerateArray(), r => Assert.True(r.GetProperty("textsPerSecond").GetDouble() > 0));
    }

    [Fact]
    public async Task Bench_WhenTable_PrintsOneRowPerDimension()
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "bench", "--dimensions", "16", "--rounds", "2", "--batch-rows", "20", "--store-rows", "100", "--store-rounds", "1", "--store-queries", "1", "--embedding-texts", "0");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("encrypt/floor", result.Stdout);
        Assert.Single(result.Lines, l => l.TrimStart().StartsWith("16 ", StringComparison.Ordinal));
        Assert.Contains("DuckDB store", result.Stdout);
        Assert.Contains("top-10 query ms", result.Stdout);
    }

    [Theory]
    [InlineData("--dimensions", "0")]
    [InlineData("--rounds", "0")]
    [InlineData("--store-rows", "-1")]
    [InlineData("--store-rounds", "0")]
    [InlineData("--embedding-texts", "-1")]
    public async Task Bench_WhenOptionOutOfRange_ExitsInvalidOptions(string option, string value)
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "bench", option, value);
        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("bench:", result.Stderr);
    }
}
