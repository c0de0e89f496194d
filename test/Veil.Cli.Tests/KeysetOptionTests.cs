using System.Text.Json.Nodes;
using Veil.Cli.Commands;
using Veil.Cli.Tests.Support;
using Veil.Kms.LocalFile;

namespace Veil.Cli.Tests;

/// <summary>
/// <c>--keyset</c> instead of <c>--config</c> on the vector, field, document and store commands (and rotate), with the
/// local-file KMS: the secrets are unwrapped in memory only; a keyset that does not open is refused with its exit code.
/// </summary>
public sealed class KeysetOptionTests : LocalKeysetTest
{

    [Fact]
    public async Task VectorFieldDocument_WhenKeyset_RoundTripThroughTheLocalKms()
    {
        await CreateKeysetAsync();

        CliResult vector = await WithKeys(VeilCli.Lines("""{"id":"a","vector":[0.5,-0.25,1]}"""), "vector", "encrypt", "--secret-path", "p", "--derivation-path", "d");
        CliResult vectorBack = await WithKeys(vector.Stdout, "vector", "decrypt", "--secret-path", "p", "--derivation-path", "d");
        string value = VeilCli.Base64("blue");
        CliResult field = await WithKeys(VeilCli.Lines($$"""{"id":"f","value":"{{value}}"}"""), "field", "encrypt", "--secret-path", "p", "--derivation-path", "d");
        CliResult fieldBack = await WithKeys(field.Stdout, "field", "decrypt", "--secret-path", "p", "--derivation-path", "d");
        CliResult document = await WithKeys(VeilCli.Lines("{\"id\":\"x\",\"fields\":{\"title\":\"" + value + "\"}}"), "document", "encrypt");
        CliResult documentBack = await WithKeys(document.Stdout, "document", "decrypt");

        foreach (CliResult result in new[] { vector, vectorBack, field, fieldBack, document, documentBack })
        {
            Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        }

        float[] decrypted = VeilCli.Floats(vectorBack.Json[0].GetProperty("vector"));
        Assert.All(decrypted.Zip([0.5f, -0.25f, 1f]), pair => Assert.Equal(pair.Second, pair.First, 1e-5f));
        Assert.Equal(value, fieldBack.Json[0].GetProperty("value").GetString());
        Assert.Equal(value, documentBack.Json[0].GetProperty("fields").GetProperty("title").GetString());
    }

    [Fact]
    public async Task IngestSearchRotate_WhenKeysetAfterAddAndPromote_RotatesTheStoreAndRetiredKeyIsNotNeeded()
    {
        await CreateKeysetAsync();
        string input = VeilCli.Lines(
            """{"id":"a","vector":[0.6,0.8,0],"category":"faq","title":"First"}""",
            """{"id":"b","vector":[0,0.6,0.8],"category":"guide"}""",
            """{"id":"c","vector":[0.8,0,0.6],"category":"faq"}""");
        CliResult ingest = await WithKeys(input, "ingest", "--store", Store, "--secret-path", "p");

        foreach (string section in new[] { "--vector", "--deterministic" })
        {
            Assert.Equal(ExitCodes.Success, (await Keys("add", section, "p")).ExitCode);
            Assert.Equal(ExitCodes.Success, (await Keys("promote", section, "p", "--id", "2")).ExitCode);
        }

        CliResult rotate = await WithKeys(string.Empty, "rotate", "--store", Store);
        foreach (string section in new[] { "--vector", "--deterministic" })
        {
            Assert.Equal(ExitCodes.Success, (await Keys("retire", section, "p", "--id", "1")).ExitCode);
        }

        CliResult search = await WithKeys(string.Empty, "search", "--store", Store, "--vector", "[0.6,0.8,0]", "--top", "3", "--category", "faq");

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.True(rotate.ExitCode == ExitCodes.Success, rotate.Stderr);
        Assert.Equal(3, rotate.Json[0].GetProperty("rotated").GetInt64());
        Assert.True(search.ExitCode == ExitCodes.Success, search.Stderr);
        Assert.Equal(["a", "c"], search.Json.Select(j => j.GetProperty("id").GetString()));
        Assert.Equal("First", search.Json[0].GetProperty("title").GetString());
    }

    [Fact]
    public async Task Commands_WhenBothOrNeitherOfConfigAndKeyset_ExitWithUsageError()
    {
        await CreateKeysetAsync();
        using var config = new TempConfig(TestKeys.RotatingConfig());

        CliResult both = await VeilCli.RunAsync(string.Empty, "document", "encrypt", "--tenant", Tenant, "--keyset", Keyset, "--config", config.Path);
        CliResult neither = await VeilCli.RunAsync(string.Empty, "export", "--store", Store, "--tenant", Tenant);

        Assert.Equal(ExitCodes.InvalidOptions, both.ExitCode);
        Assert.Contains("exactly one of --config", both.Stderr);
        Assert.Equal(ExitCodes.InvalidOptions, neither.ExitCode);
        Assert.Contains("exactly one of --config", neither.Stderr);
    }

    [Fact]
    public async Task Commands_WhenConfigIsGivenAKeyset_SayToUseKeysetInstead()
    {
        await CreateKeysetAsync();

        CliResult export = await VeilCli.RunAsync(string.Empty, "export", "--store", Store, "--tenant", Tenant, "--config", Keyset);
        CliResult import = await VeilCli.RunAsync(string.Empty, "keys", "import-insecure-cleartext", "--kms", "local:" + TempDir.File("kek.json"), "--config", Keyset, "--keyset", TempDir.File("imported.json"));

        Assert.Equal(ExitCodes.InvalidOptions, export.ExitCode);
        Assert.Contains("is a keyset (its \"format\" is veil-keyset/…), not a configuration file; give it with --keyset instead of --config", export.Stderr);
        Assert.Equal(ExitCodes.InvalidOptions, import.ExitCode);
        Assert.Contains("give it with --keyset instead of --config", import.Stderr);
    }

    [Fact]
    public async Task Commands_WhenKeysetTamperedOrPassphraseWrong_RefuseWithExitCode3Or2()
    {
        await CreateKeysetAsync();
        string original = File.ReadAllText(Keyset);
        JsonNode root = JsonNode.Parse(original)!;
        JsonNode secret = root["vector"]!["p"]!["secrets"]![0]!;
        byte[] wrapped = Convert.FromBase64String((string)secret["wrapped"]!);
        wrapped[^1] ^= 1;
        secret["wrapped"] = Convert.ToBase64String(wrapped);
        File.WriteAllText(Keyset, root.ToJsonString());
        CliResult tampered = await WithKeys(VeilCli.Lines("""{"id":"a","vector":[1,0]}"""), "vector", "encrypt", "--secret-path", "p", "--derivation-path", "d");

        File.WriteAllText(Keyset, original);
        Environment.SetEnvironmentVariable(PassphraseVariable, "not the passphrase");
        CliResult wrongPassphrase = await WithKeys(VeilCli.Lines("""{"id":"a","vector":[1,0]}"""), "vector", "encrypt", "--secret-path", "p", "--derivation-path", "d");

        Assert.Equal(ExitCodes.IntegrityFailure, tampered.ExitCode);
        Assert.Contains("does not open", tampered.Stderr);
        Assert.Empty(tampered.Stdout);
        Assert.Equal(ExitCodes.Failed, wrongPassphrase.ExitCode);
        Assert.Contains("passphrase", wrongPassphrase.Stderr);
    }

    [Fact]
    public async Task TrainPredict_WhenKeyset_ModelWorksWithTheKeysetsKey()
    {
        await CreateKeysetAsync();
        string model = TempDir.File("model.zip");
        // The corpus is sorted by category: its first rows share one, so two alternating labels from a file.
        string labels = TempDir.File("labels.txt");
        File.WriteAllLines(labels, Enumerable.Range(0, 60).Select(i => i % 2 == 0 ? "even" : "odd"));

        CliResult train = await WithKeys(string.Empty, "train", "--secret-path", "p", "--derivation-path", "d", "--model", model, "--limit", "60", "--labels", labels);
        CliResult predict = await WithKeys(string.Empty, "predict", "--secret-path", "p", "--derivation-path", "d", "--model", model, "--limit", "60", "--labels", labels);

        Assert.True(train.ExitCode == ExitCodes.Success, train.Stderr);
        Assert.True(predict.ExitCode == ExitCodes.Success, predict.Stderr);
        Assert.Equal(60, predict.Json.Length);
        Assert.Contains("accuracy", predict.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VectorEncrypt_WhenTheKeysetFixesDimensionAndMaxNorm_RefusesOtherLengthsAndLargeNormsPerLine()
    {
        CliResult create = await Keys("create", "--kms", "local:" + TempDir.File("kek.json"), "--create-kek", "--vector", "p", "--beta", "2.5", "--dimensions", "3", "--max-norm", "1.001");
        Assert.True(create.ExitCode == ExitCodes.Success, create.Stderr);
        CliResult list = await Keys("list", "--json");

        CliResult encrypted = await WithKeys(
            VeilCli.Lines("""{"id":"ok","vector":[0.6,0.8,0]}""", """{"id":"long","vector":[0.6,0.8,0,0]}""", """{"id":"large","vector":[10,20,30]}"""),
            "vector", "encrypt", "--secret-path", "p", "--derivation-path", "d");

        Assert.Contains("\"dimensions\":3", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"maxNorm\":1.001", list.Stdout, StringComparison.Ordinal);
        Assert.True(encrypted.Json[0].TryGetProperty("encryptedVector", out _), encrypted.Stdout);
        Assert.Contains("3-dimensional", encrypted.Json[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("norm", encrypted.Json[2].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private async Task CreateKeysetAsync()
    {
        CliResult create = await Keys("create", "--kms", "local:" + TempDir.File("kek.json"), "--create-kek", "--vector", "p", "--beta", "2.5", "--deterministic", "p", "--standard");
        Assert.True(create.ExitCode == ExitCodes.Success, create.Stderr);
    }
}
