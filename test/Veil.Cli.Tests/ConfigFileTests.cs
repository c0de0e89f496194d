using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary>
/// The <c>--config</c> option: a file that cannot be loaded exits 1 with the loader's secret-free message (the
/// loader's own shapes and messages are tested in Veil.Configuration.Tests).
/// </summary>
public sealed class ConfigFileTests
{
    private static readonly string s_secret = TestKeys.Kat56Base64;

    [Fact]
    public async Task VectorEncrypt_WhenConfigFileMissing_Exits1WithClearMessage()
    {
        CliResult result = await VeilCli.RunAsync(
            string.Empty, "vector", "encrypt", "--config", "/nonexistent/veil.json", "--tenant", "t", "--secret-path", "p", "--derivation-path", "d");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("Cannot read the configuration file '/nonexistent/veil.json'", result.Stderr);
    }

    [Fact]
    public async Task VectorEncrypt_WhenConfigIsNotJson_Exits1WithoutEchoingContent()
    {
        using var config = new TempConfig($"secret: {s_secret}");

        CliResult result = await VeilCli.RunAsync(
            string.Empty, "vector", "encrypt", "--config", config.Path, "--tenant", "t", "--secret-path", "p", "--derivation-path", "d");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("is not valid JSON", result.Stderr);
        Assert.DoesNotContain(s_secret[..20], result.Stderr);
    }
}
