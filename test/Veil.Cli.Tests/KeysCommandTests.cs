using System.Text.Json;
using System.Text.Json.Nodes;
using Veil.Cli.Commands;
using Veil.Cli.Tests.Support;
using Veil.Kms.LocalFile;

namespace Veil.Cli.Tests;

public sealed class KeysCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("veil-keys-cli-").FullName;
    private readonly string _passphraseVariable = "VEIL_TEST_PASSPHRASE_" + Guid.NewGuid().ToString("N");

    public KeysCommandTests()
    {
        KeysCommand.LocalOptionsForTests = new LocalFileKmsOptions { MemorySizeKiB = 8 * 1024, Iterations = 1 };
        Environment.SetEnvironmentVariable(_passphraseVariable, "a test passphrase");
    }

    private string Keyset => Path.Combine(_directory, "keyset.json");

    private string Kms => "local:" + Path.Combine(_directory, "kek.json");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_passphraseVariable, null);
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Keys_WhenCreateAddPromoteRetire_WalksTheLifecycle()
    {
        CliResult create = await Keys("create", "--kms", Kms, "--create-kek", "--vector", "emb", "--beta", "2.5", "--deterministic", "f", "--standard");
        Assert.Equal(ExitCodes.Success, create.ExitCode);
        Assert.Equal(["current", "current", "current"], create.Json.Select(j => j.GetProperty("state").GetString()));

        CliResult add = await Keys("add", "--vector", "emb");
        Assert.Equal(ExitCodes.Success, add.ExitCode);
        uint newId = add.Json[0].GetProperty("id").GetUInt32();
        Assert.Equal("pending", add.Json[0].GetProperty("state").GetString());
        Assert.Equal(2.5, add.Json[0].GetProperty("approximationFactor").GetDouble());

        Assert.Equal(ExitCodes.Success, (await Keys("promote", "--vector", "emb", "--id", newId.ToString())).ExitCode);
        Assert.Equal(ExitCodes.Success, (await Keys("check")).ExitCode);
        Assert.Equal(ExitCodes.Success, (await Keys("retire", "--vector", "emb", "--id", "1")).ExitCode);

        CliResult list = await Keys("list", "--json");
        Assert.Equal(
            ["vector/1/retired", $"vector/{newId}/current", "deterministic/1/current", "standard/1/current"],
            list.Json.Select(j => $"{j.GetProperty("section").GetString()}/{j.GetProperty("id").GetUInt32()}/{j.GetProperty("state").GetString()}"));

        CliResult check = await Keys("check");
        Assert.Equal(ExitCodes.Success, check.ExitCode);
        Assert.Equal(3, check.Json[0].GetProperty("live").GetInt32());
    }

    [Fact]
    public async Task ExportPublicInfo_WhenRun_HasMetadataButNoKeyMaterial()
    {
        await Keys("create", "--kms", Kms, "--create-kek", "--vector", "emb", "--beta", "2");
        CliResult result = await Keys("export-public-info");
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        Assert.Equal("veil-keyset-public-info/1", document.RootElement.GetProperty("format").GetString());
        JsonElement secret = document.RootElement.GetProperty("secrets")[0];
        Assert.Equal("emb", secret.GetProperty("path").GetString());
        Assert.False(secret.TryGetProperty("wrapped", out _));
        string wrapped = (string)JsonNode.Parse(File.ReadAllText(Keyset))!["vector"]!["emb"]!["secrets"]![0]!["wrapped"]!;
        Assert.DoesNotContain(wrapped, result.Stdout, StringComparison.Ordinal);

        CliResult table = await Keys("list");
        Assert.Contains("\"emb\"", table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(wrapped, table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WhenWrappedSecretTampered_ExitsWithIntegrityFailure()
    {
        await Keys("create", "--kms", Kms, "--create-kek", "--deterministic", "f");
        JsonNode root = JsonNode.Parse(File.ReadAllText(Keyset))!;
        JsonNode secret = root["deterministic"]!["f"]!["secrets"]![0]!;
        byte[] wrapped = Convert.FromBase64String((string)secret["wrapped"]!);
        wrapped[^1] ^= 0x80;
        secret["wrapped"] = Convert.ToBase64String(wrapped);
        File.WriteAllText(Keyset, root.ToJsonString());
        CliResult result = await Keys("check");
        Assert.Equal(ExitCodes.IntegrityFailure, result.ExitCode);
        Assert.Contains("altered", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WhenPassphraseWrong_FailsCleanly()
    {
        await Keys("create", "--kms", Kms, "--create-kek", "--deterministic", "f");
        Environment.SetEnvironmentVariable(_passphraseVariable, "not the passphrase");
        CliResult result = await Keys("check");
        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Contains("passphrase does not open", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("not the passphrase", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WhenPassphraseFromStdin_Opens()
    {
        await Keys("create", "--kms", Kms, "--create-kek", "--deterministic", "f");
        CliResult result = await VeilCli.RunAsync("a test passphrase\n", "keys", "--keyset", Keyset, "--passphrase-stdin", "check");
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public async Task Keys_WhenLifecycleBroken_ExitsWithInvalidOptionsAndAClearMessage()
    {
        await Keys("create", "--kms", Kms, "--create-kek", "--deterministic", "f");
        CliResult retireCurrent = await Keys("retire", "--deterministic", "f", "--id", "1");
        Assert.Equal(ExitCodes.InvalidOptions, retireCurrent.ExitCode);
        Assert.Contains("promote another secret", retireCurrent.Stderr, StringComparison.Ordinal);

        await Keys("add", "--deterministic", "f");
        CliResult addAgain = await Keys("add", "--deterministic", "f");
        Assert.Equal(ExitCodes.InvalidOptions, addAgain.ExitCode);
        Assert.Contains("pending", addAgain.Stderr, StringComparison.Ordinal);

        await Keys("retire", "--deterministic", "f", "--id", "2");
        CliResult promoteRetired = await Keys("promote", "--deterministic", "f", "--id", "2");
        Assert.Equal(ExitCodes.InvalidOptions, promoteRetired.ExitCode);
        Assert.Contains("retired", promoteRetired.Stderr, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.InvalidOptions, (await Keys("create", "--kms", Kms, "--deterministic", "g")).ExitCode);
        Assert.Equal(ExitCodes.InvalidOptions, (await Keys("promote", "--id", "1")).ExitCode);
        Assert.Equal(ExitCodes.InvalidOptions, (await Keys("create", "--kms", "aws-kms://x", "--deterministic", "g")).ExitCode);
    }

    [Fact]
    public async Task ImportInsecureCleartext_WhenConfigHasRotatingSecrets_KeepsStatesAndWrapsThem()
    {
        using var config = new TempConfig(TestKeys.RotatingConfig());
        CliResult result = await Keys("import-insecure-cleartext", "--config", config.Path, "--kms", Kms, "--create-kek");
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("warning", result.Stderr, StringComparison.Ordinal);
        string keyset = File.ReadAllText(Keyset);
        Assert.DoesNotContain(TestKeys.Kat56Base64, keyset, StringComparison.Ordinal);
        Assert.DoesNotContain(TestKeys.Kat57Base64, keyset, StringComparison.Ordinal);
        JsonElement[] vectorP = result.Json.Where(j => j.GetProperty("section").GetString() == "vector" && j.GetProperty("path").GetString() == "p").ToArray();
        Assert.Equal(["2:current", "1:inRotation"], vectorP.Select(j => $"{j.GetProperty("id").GetUInt32()}:{j.GetProperty("state").GetString()}"));
        Assert.Equal(ExitCodes.Success, (await Keys("check")).ExitCode);
    }

    [Fact]
    public async Task Promote_WhenAStateWasEditedInTheFile_Exits3AndLeavesTheFileAlone()
    {
        await Keys("create", "--kms", Kms, "--create-kek", "--vector", "emb", "--beta", "2");
        await Keys("add", "--vector", "emb");
        JsonNode root = JsonNode.Parse(File.ReadAllText(Keyset))!;
        root["vector"]!["emb"]!["secrets"]![0]!["state"] = "retired";
        string edited = root.ToJsonString();
        File.WriteAllText(Keyset, edited);

        CliResult promote = await Keys("promote", "--vector", "emb", "--id", "2");
        CliResult check = await Keys("check");

        Assert.Equal(ExitCodes.IntegrityFailure, promote.ExitCode);
        Assert.Contains("altered", promote.Stderr, StringComparison.Ordinal);
        Assert.Equal(edited, File.ReadAllText(Keyset));
        Assert.Equal(ExitCodes.IntegrityFailure, check.ExitCode);
    }

    [Fact]
    public async Task Upgrade_WhenVersion1Keyset_IsRefusedUntilUpgradedThenAuthenticated()
    {
        await Keys("create", "--kms", Kms, "--create-kek", "--deterministic", "f");
        JsonNode root = JsonNode.Parse(File.ReadAllText(Keyset))!;
        root["format"] = "veil-keyset/1";
        root.AsObject().Remove("integrity");
        File.WriteAllText(Keyset, root.ToJsonString());

        CliResult refused = await Keys("check");
        CliResult upgrade = await Keys("upgrade");
        CliResult check = await Keys("check");
        CliResult again = await Keys("upgrade");

        Assert.Equal(ExitCodes.InvalidOptions, refused.ExitCode);
        Assert.Contains("veil keys upgrade", refused.Stderr, StringComparison.Ordinal);
        Assert.True(upgrade.ExitCode == ExitCodes.Success, upgrade.Stderr);
        Assert.Equal("veil-keyset/2", (string?)JsonNode.Parse(File.ReadAllText(Keyset))!["format"]);
        Assert.Equal(ExitCodes.Success, check.ExitCode);
        Assert.Equal(ExitCodes.InvalidOptions, again.ExitCode);
    }

    private Task<CliResult> Keys(params string[] args) =>
        VeilCli.RunAsync(string.Empty, ["keys", "--keyset", Keyset, "--passphrase-env", _passphraseVariable, .. args]);
}
