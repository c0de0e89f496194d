using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary><c>veil evaluate</c> runs on a small subset of the committed MiniLM corpus.</summary>
public sealed class EvaluateCommandTests
{
    [Fact]
    public async Task Evaluate_OnASubset_PrintsTablesPerBetaAndWritesTheReport()
    {
        using var directory = new TempDirectory();
        string report = directory.File("report.md");

        CliResult result = await VeilCli.RunAsync(string.Empty, "evaluate", "--limit", "120", "--betas", "1,8", "--report", report);

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        Assert.Contains("| metric | random | plaintext | β = 1 | β = 8 |", result.Stdout);
        Assert.Contains("recall@10 (L2) re-ranked, K′ = 50", result.Stdout);
        Assert.Contains("L2 Procrustes", result.Stdout);
        Assert.Contains("Known pairs capped at", result.Stdout);
        Assert.Equal(result.Stdout, File.ReadAllText(report));
    }

    [Fact]
    public async Task Evaluate_Json_WritesEveryNumber()
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "evaluate", "--limit", "60", "--betas", "2.5", "--json");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        using var json = System.Text.Json.JsonDocument.Parse(result.Stdout);
        Assert.Equal(60, json.RootElement.GetProperty("count").GetInt32());
        Assert.Equal(2.5, json.RootElement.GetProperty("encrypted")[0].GetProperty("beta").GetDouble());
    }

    [Theory]
    [InlineData("--betas", "0")]
    [InlineData("--betas", "x")]
    [InlineData("--limit", "5")]
    [InlineData("--target-recall", "1.5")]
    [InlineData("--vectors", "only.bin")]
    public async Task Evaluate_WhenOptionsInvalid_Exits1(string option, string value)
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "evaluate", option, value);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("Invalid options", result.Stderr);
    }
}
