using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary>A mistyped command or option is refused (exit 1) with the closest known name suggested.</summary>
public sealed class TypoSuggestionTests
{
    [Fact]
    public async Task MistypedCommand_SuggestsTheClosestCommand()
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "ingset", "--tenant", "t1");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("'ingset': did you mean 'ingest'?", result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task MistypedOption_SuggestsTheClosestOptionOfThatCommand()
    {
        CliResult search = await VeilCli.RunAsync(string.Empty, "search", "--colection", "docs", "--vector", "[1]");
        CliResult subcommand = await VeilCli.RunAsync(string.Empty, "vector", "encrypt", "--tenat", "t1");

        Assert.Equal(ExitCodes.InvalidOptions, search.ExitCode);
        Assert.Contains("'--colection': did you mean '--collection'?", search.Stderr);
        Assert.Equal(ExitCodes.InvalidOptions, subcommand.ExitCode);
        Assert.Contains("'--tenat': did you mean '--tenant'?", subcommand.Stderr);
    }

    [Fact]
    public async Task UnrelatedToken_GetsNoSuggestion()
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "frobnicate");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.DoesNotContain("did you mean", result.Stderr);
    }
}
