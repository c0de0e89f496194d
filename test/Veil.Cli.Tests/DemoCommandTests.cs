using System.Globalization;
using System.Text.RegularExpressions;
using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary><c>veil demo</c> runs end to end without external files.</summary>
public sealed class DemoCommandTests
{
    [Fact]
    public async Task Demo_WhenCount500_ReportsRecallFilterAndRoundTripAndExits0()
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "demo", "--count", "500", "--queries", "20", "--dimensions", "64");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Match recall = Regex.Match(result.Stdout, @"recall@10, encrypted distances only:\s+([0-9.]+)");
        Match reranked = Regex.Match(result.Stdout, @"decrypt and re-rank on the client:\s+([0-9.]+)");
        Assert.True(recall.Success, result.Stdout);
        Assert.True(reranked.Success, result.Stdout);
        double plain = double.Parse(recall.Groups[1].Value, CultureInfo.InvariantCulture);
        double rerank = double.Parse(reranked.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(plain, 0.0, 1.0);
        Assert.InRange(rerank, plain, 1.0);
        Assert.Contains("items match the encrypted filter", result.Stdout);
        Assert.Contains("500 of 500 identical", result.Stdout);
        Assert.Contains("veil demo:", result.Stderr);
    }

    [Fact]
    public async Task Demo_WhenConfigGiven_UsesItsVectorSecret()
    {
        using var config = new TempConfig(TestKeys.RotatingConfig(beta: 0.5));

        CliResult result = await VeilCli.RunAsync(string.Empty, "demo", "--count", "100", "--queries", "5", "--dimensions", "16", "--config", config.Path, "--secret-path", "p");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("vector secret \"p\"", result.Stdout);
        Assert.Contains("β = 0.5", result.Stdout);
    }

    [Theory]
    [InlineData("--count", "5")]
    [InlineData("--dimensions", "1")]
    [InlineData("--beta", "0")]
    [InlineData("--clusters", "21")]
    public async Task Demo_WhenOptionOutOfRange_Exits1(string option, string value)
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "demo", option, value);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains(option, result.Stderr);
    }
}
