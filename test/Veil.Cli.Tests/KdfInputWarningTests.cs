using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary>
/// Alloy's KDF input is tenant ‖ "-" ‖ derivation path: the CLI keeps it bit for bit, and warns once per command when
/// a tenant id or derivation path it is given contains '-'.
/// </summary>
public sealed class KdfInputWarningTests : IDisposable
{
    private const string Warning = "share one key";

    private readonly TempConfig _config = new(TestKeys.RotatingConfig());

    public void Dispose() => _config.Dispose();

    [Fact]
    public async Task VectorEncrypt_WhenTenantOrPathContainsADash_WarnsOnceAndDerivesAlloysKeyUnchanged()
    {
        // The attack: tenant "acme" with path "eu-body" reaches tenant "acme-eu"'s key for path "body".
        CliResult acmeEu = await EncryptAsync("acme-eu", "body");
        CliResult acme = await EncryptAsync("acme", "eu-body");
        CliResult plain = await EncryptAsync("acme", "body");

        Assert.True(acmeEu.ExitCode == ExitCodes.Success, acmeEu.Stderr);
        Assert.Equal(acmeEu.Stdout, acme.Stdout); // the same key, as in Alloy: nothing about the derivation changed
        Assert.NotEqual(acme.Stdout, plain.Stdout);
        Assert.Equal(1, Occurrences(acmeEu.Stderr, Warning));
        Assert.Contains("--tenant \"acme-eu\"", acmeEu.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, Occurrences(acme.Stderr, Warning));
        Assert.Contains("--derivation-path \"eu-body\"", acme.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, Occurrences(plain.Stderr, Warning));
    }

    [Fact]
    public async Task Commands_WhenBothTenantAndPathOrTheNewTenantContainADash_WarnOnceNamingEach()
    {
        CliResult both = await EncryptAsync("acme-eu", "eu-body");
        CliResult rotate = await VeilCli.RunAsync(
            string.Empty, "field", "rotate", "--config", _config.Path, "--tenant", "acme", "--new-tenant", "acme-eu", "--secret-path", "p", "--derivation-path", "body");

        Assert.Equal(1, Occurrences(both.Stderr, Warning));
        Assert.Contains("--tenant \"acme-eu\"", both.Stderr, StringComparison.Ordinal);
        Assert.Contains("--derivation-path \"eu-body\"", both.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, Occurrences(rotate.Stderr, Warning));
        Assert.Contains("--new-tenant \"acme-eu\"", rotate.Stderr, StringComparison.Ordinal);
    }

    private Task<CliResult> EncryptAsync(string tenant, string derivationPath) => VeilCli.RunAsync(
        VeilCli.Lines("""{"id":"a","vector":[0.5,-0.25,1]}"""),
        "vector", "encrypt", "--config", _config.Path, "--tenant", tenant, "--secret-path", "p", "--derivation-path", derivationPath, "--insecure-seed", "7");

    private static int Occurrences(string text, string value) => (text.Length - text.Replace(value, string.Empty, StringComparison.Ordinal).Length) / value.Length;
}
