using System.Globalization;
using System.Text.RegularExpressions;
using Veil.Cli.Tests.Support;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary><c>veil demo</c> runs end to end on the committed MiniLM corpus through the embedded DuckDB store.</summary>
public sealed class DemoCommandTests
{
    [Fact]
    public async Task Demo_When200HeldOutQueries_ReportsRecallWithAndWithoutRerankingAndExits0()
    {
        // Default β = 2.5 and K′ = 100; 200 queries rather than the default 50 so that the measured recall is stable
        // (fresh keys every run: 50 queries gave 0.988–0.998 over 15 runs, 200 queries 0.997–0.999 over 8).
        CliResult result = await VeilCli.RunAsync(string.Empty, "demo", "--queries", "200");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        Assert.Contains("778 real all-MiniLM-L6-v2 embeddings", result.Stdout);
        Assert.Contains("578 documents are stored encrypted; 200 held-out documents", result.Stdout);
        double plain = Recall(result.Stdout, "encrypted distances only");
        double reranked = Recall(result.Stdout, "re-ranked on the client");
        Assert.InRange(plain, 0.0, 1.0);
        Assert.InRange(reranked, 0.99, 1.0);
        Assert.True(reranked >= plain, result.Stdout);
        Assert.Contains("encrypted search, titles decrypted on the client", result.Stdout);
        Assert.Matches(@"(\d+) documents match the encrypted filter \(plaintext count: \1\)", result.Stdout);
        Assert.Contains("veil demo: encrypted and stored 578 documents", result.Stderr);
    }

    [Fact]
    public async Task Demo_WhenConfigStoreAndStoreSettingsGiven_KeepsACollectionThatSearchReads()
    {
        using var config = new TempConfig(TestKeys.RotatingConfig(beta: 2.5));
        using var directory = new TempDirectory();
        string store = "duckdb:" + directory.File("demo.duckdb");

        CliResult demo = await VeilCli.RunAsync(string.Empty, "demo", "--queries", "5", "--config", config.Path, "--secret-path", "p", "--store", store, "--store-memory", "64MB", "--store-threads", "1");
        CliResult search = await VeilCli.RunAsync(
            string.Empty, "search", "--store", store, "--collection", "fiori", "--config", config.Path, "--tenant", "demo-tenant", "--id", "local-btp-fiori-tools-0-chunk-0", "--top", "3");

        Assert.True(demo.ExitCode == ExitCodes.Success, demo.Stderr);
        Assert.Contains("vector secret \"p\"", demo.Stdout);
        Assert.Contains("β = 2.5", demo.Stdout);
        Assert.True(search.ExitCode == ExitCodes.Success, search.Stderr);
        Assert.Equal(3, search.Json.Length);
    }

    [Fact]
    public async Task Demo_WhenModelGivesOtherDimensions_Exits1NamingThem()
    {
        CliResult result = await VeilCli.RunAsync(
            string.Empty, "demo", "--queries", "5", "--model", TestFiles.TinyModel, "--vocab", TestFiles.TinyVocabulary);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("8-d embeddings; the corpus is 384-d", result.Stderr);
    }

    [Theory]
    [InlineData("--queries", "0")]
    [InlineData("--beta", "0")]
    [InlineData("--rerank-candidates", "5")]
    [InlineData("--store", "sqlite:x")]
    public async Task Demo_WhenOptionOutOfRange_Exits1(string option, string value)
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "demo", option, value);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains(option, result.Stderr);
    }

    [Theory]
    [InlineData("--store-memory", "a lot", "--store-memory \"a lot\" is not a size")]
    [InlineData("--store-threads", "0", "--store-threads must be at least 1")]
    public async Task Demo_WhenAStoreSettingIsInvalid_Exits1AsTheStoreCommandsDo(string option, string value, string message)
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "demo", "--queries", "5", option, value);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains(message, result.Stderr);
    }

    private static double Recall(string stdout, string label)
    {
        Match match = Regex.Match(stdout, $@"recall@10, {Regex.Escape(label)}[^:]*:\s+([0-9.]+)");
        Assert.True(match.Success, stdout);
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
