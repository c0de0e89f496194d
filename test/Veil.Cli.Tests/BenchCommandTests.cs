using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary>
/// <c>veil bench</c> maps its options onto the harness (its JSON report and every range check are tested at library
/// level in Veil.Benchmarks.Harness.Tests); no timing is asserted: these machines are shared.
/// </summary>
public sealed class BenchCommandTests
{
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
    [InlineData("--store-rows", "-1")]
    public async Task Bench_WhenOptionOutOfRange_ExitsInvalidOptions(string option, string value)
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "bench", option, value);
        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("bench:", result.Stderr);
    }

    [Theory]
    [InlineData("--rows", "100")]
    [InlineData("--rerank-candidates", "5")]
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
