using System.Text.Json.Nodes;
using Veil.Cli.Commands;
using Veil.Cli.Tests.Support;
using Veil.Kms.LocalFile;

namespace Veil.Cli.Tests;

/// <summary>A PKCS#11 URI with the PIN in it, on the command line or planted in a keyset: no output of the CLI shows the PIN.</summary>
public sealed class KmsUriRedactionTests : LocalKeysetTest
{
    private const string Pin = "918273";


    [Theory]
    [InlineData($"pkcs11:token=veil;object=kek;pin-value={Pin}")]
    [InlineData($"pkcs11:token=veil;object=kek?pin-value={Pin}")]
    [InlineData($"PKCS11:token=veil;object=kek;pin-value={Pin}")]
    [InlineData($"pkcs11:token=veil;object=kek;pin-source=file:/run/{Pin}")]
    public async Task KeysCreate_WhenTheKmsUriCarriesThePin_RefusesWithoutShowingIt(string uri)
    {
        CliResult create = await Keys("create", "--kms", uri, "--create-kek", "--deterministic", "f");
        CliResult open = await Keys("create", "--kms", uri, "--deterministic", "f");

        foreach (CliResult result in new[] { create, open })
        {
            Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
            Assert.DoesNotContain(Pin, result.Stderr + result.Stdout, StringComparison.Ordinal);
            Assert.Contains("***", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Keyset_WhenAKekUriWithThePinIsPlantedInIt_NoCommandShowsThePin()
    {
        CliResult create = await Keys("create", "--kms", "local:" + TempDir.File("kek.json"), "--create-kek", "--deterministic", "f");
        Assert.True(create.ExitCode == ExitCodes.Success, create.Stderr);
        string planted = $"pkcs11:token=veil;object=kek;pin-value={Pin}";
        JsonNode root = JsonNode.Parse(File.ReadAllText(Keyset))!;
        root["kekUri"] = planted;
        root["integrity"]!["kekUri"] = planted;
        root["deterministic"]!["f"]!["secrets"]![0]!["kekUri"] = planted;
        File.WriteAllText(Keyset, root.ToJsonString());

        CliResult[] results =
        [
            await Keys("list"),
            await Keys("list", "--json"),
            await Keys("export-public-info"),
            await Keys("check"),
            await Keys("add", "--deterministic", "g"),
            await VeilCli.RunAsync(
                VeilCli.Lines("""{"id":"f","value":"YQ=="}"""),
                "field", "encrypt", "--keyset", Keyset, "--passphrase-env", PassphraseVariable, "--tenant", "t", "--secret-path", "f", "--derivation-path", "d"),
        ];

        Assert.All(results, result => Assert.DoesNotContain(Pin, result.Stdout + result.Stderr, StringComparison.Ordinal));
        Assert.Contains("pin-value=***", results[0].Stdout, StringComparison.Ordinal);
        Assert.All(results[3..], result => Assert.NotEqual(ExitCodes.Success, result.ExitCode));
    }
}
