using System.Globalization;
using System.Text.RegularExpressions;
using Veil.Cli.Commands;
using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary>
/// <c>veil demo</c> runs end to end on the committed MiniLM corpus through the embedded DuckDB store. The tests that do
/// not check the text query look for the model add-on in an empty folder (<see cref="NoAddOn"/>): loading the model
/// is what the text-query test (<see cref="TextModelCommandTests"/>) checks.
/// </summary>
public sealed class DemoCommandTests : IDisposable
{
    private readonly TempDirectory _noAddOn = new();

    public void Dispose() => _noAddOn.Dispose();

    /// <summary>Makes this test's flow find no model add-on, so the demo runs without its text query.</summary>
    private void NoAddOn() => TextModel.PackagesFolder = _noAddOn.Path;

    [Fact]
    public async Task Demo_WithDefaultKeys_PrintsTheReportWithBothRecallsAndExits0()
    {
        // The measurement itself (recall thresholds over 200 queries) is tested in Veil.Demo.Tests; this checks the wiring.
        NoAddOn();
        CliResult result = await VeilCli.RunAsync(string.Empty, "demo", "--queries", "5");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        Assert.Contains("778 real all-MiniLM-L6-v2 embeddings", result.Stdout);
        Assert.Contains("773 documents are stored encrypted; 5 held-out documents", result.Stdout);
        Assert.InRange(Recall(result.Stdout, "encrypted distances only"), 0.0, 1.0);
        Assert.InRange(Recall(result.Stdout, "re-ranked on the client"), 0.0, 1.0);
        Assert.Matches(@"(\d+) documents match the encrypted filter \(plaintext count: \1\)", result.Stdout);
        Assert.Contains("veil demo: encrypted and stored 773 documents", result.Stderr);
    }

    [Fact]
    public async Task Demo_WhenConfigStoreAndStoreSettingsGiven_KeepsACollectionThatSearchReads()
    {
        using var config = new TempConfig(TestKeys.RotatingConfig(beta: 2.5));
        using var directory = new TempDirectory();
        string store = "duckdb:" + directory.File("demo.duckdb");
        NoAddOn();

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
        NoAddOn();
        CliResult result = await VeilCli.RunAsync(string.Empty, "demo", option, value);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains(option, result.Stderr);
    }

    [Theory]
    [InlineData("--store-memory", "a lot", "--store-memory \"a lot\" is not a size")]
    [InlineData("--store-threads", "0", "--store-threads must be at least 1")]
    public async Task Demo_WhenAStoreSettingIsInvalid_Exits1AsTheStoreCommandsDo(string option, string value, string message)
    {
        NoAddOn();
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
