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

    [Theory]
    [InlineData("--rows", "100")]
    [InlineData("--ef-search", "0")]
    [InlineData("--rerank-candidates", "5")]
    [InlineData("--rotation-rows", "1")]
    [InlineData("--rotation-parallel", "0")]
    public async Task Bench_WithPostgresAndAnOptionOutOfRange_ExitsInvalidOptionsWithoutConnecting(string option, string value)
    {
        // No --centres (so --rows 100 is refused), and a connection string that names no server: refused before any connection.
        string[] rows = option == "--rows" ? [] : ["--rows", "0"];
        CliResult result = await VeilCli.RunAsync(string.Empty, ["bench", "--postgres", "Host=203.0.113.1;Timeout=1", .. rows, option, value]);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("bench: --postgres needs", result.Stderr);
    }

    /// <summary>The scale run on a small table: recall of the plaintext HNSW search against the exact neighbours is near 1
    /// (it would be near 0 if the ground truth and the store's ids did not line up), and the rotation rotates.</summary>
    [PostgresFact]
    public async Task Bench_WithPostgres_ReportsTheScaleRunAndTheRotation()
    {
        using var directory = new TempDirectory();
        var random = new Random(5);
        var centres = new float[40 * 384];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = (float)random.NextDouble() - 0.5f;
        }

        byte[] bytes = new byte[centres.Length * 4];
        Buffer.BlockCopy(centres, 0, bytes, 0, bytes.Length);
        await File.WriteAllBytesAsync(directory.File("centres.bin"), bytes);

        CliResult result = await VeilCli.RunAsync(
            string.Empty, "bench", "--postgres", PostgresFactAttribute.Connection!, "--rows", "1500", "--centres", directory.File("centres.bin"),
            "--queries", "10", "--ef-search", "100", "--rerank-candidates", "100", "--index-order-rows", "0", "--rotation-rows", "200", "--rotation-tenants", "2");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        string[] plaintext = Assert.Single(result.Lines, l => l.Contains(" plaintext ", StringComparison.Ordinal) && l.TrimStart().StartsWith("100", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(double.Parse(plaintext[^1], System.Globalization.CultureInfo.InvariantCulture), 0.9, 1.0);
        Assert.Contains("encrypted + re-ranking", result.Stdout);
        Assert.Contains("rotation (veil rotate's library call) of 200 × 384 documents in 2 collections", result.Stdout);
    }
}
