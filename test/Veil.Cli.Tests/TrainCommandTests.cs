using System.Globalization;
using System.Text.RegularExpressions;
using Veil.Cli.Tests.Support;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary>
/// <c>veil train</c> and <c>veil predict</c> on the committed MiniLM corpus: a model trained under a key classifies
/// with that key, and is refused with any other (even another secret under the same key id).
/// </summary>
public sealed class TrainCommandTests : IClassFixture<TrainCommandTests.TrainedModel>
{
    private readonly TrainedModel _trained;

    public TrainCommandTests(TrainedModel trained) => _trained = trained;

    [Fact]
    public void Train_WritesTheModelAndMetadataWithoutKeyBytes()
    {
        Assert.True(_trained.ExitCode == ExitCodes.Success, _trained.Stderr);
        Assert.True(File.Exists(_trained.Model));
        string metadata = File.ReadAllText(Path.ChangeExtension(_trained.Model, ".json"));
        using var json = System.Text.Json.JsonDocument.Parse(metadata);
        Assert.Equal(1u, json.RootElement.GetProperty("keyId").GetUInt32());
        Assert.Equal("old", json.RootElement.GetProperty("secretPath").GetString());
        Assert.Equal(384, json.RootElement.GetProperty("dimensions").GetInt32());
        Assert.Contains("Sapui5", json.RootElement.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.True(json.RootElement.GetProperty("heldOut").GetProperty("accuracy").GetDouble() > 0.7, metadata);
        Assert.DoesNotContain(TestKeys.Kat56Base64, metadata, StringComparison.Ordinal);
        Assert.Contains("held-out accuracy", _trained.Stderr, StringComparison.Ordinal);
        using var printed = System.Text.Json.JsonDocument.Parse(_trained.Stdout);
        Assert.Equal(json.RootElement.GetProperty("modelSha256").GetString(), printed.RootElement.GetProperty("modelSha256").GetString());
    }

    [Fact]
    public async Task TrainAndPredict_OnRawVectorsWithAnotherLabelField_RoundTrip()
    {
        // Two classes of 8-d vectors: +1 or −1 on the first coordinate plus small noise; the label is "kind".
        using var directory = new TempDirectory();
        var random = new Random(4);
        var vectors = new List<byte>();
        var records = new List<string>();
        for (int i = 0; i < 80; i++)
        {
            string kind = i % 2 == 0 ? "up" : "down";
            float[] v = Enumerable.Range(0, 8).Select(j => (float)((j == 0 ? (kind == "up" ? 1 : -1) : 0) + (0.1 * (random.NextDouble() - 0.5)))).ToArray();
            vectors.AddRange(v.SelectMany(BitConverter.GetBytes));
            records.Add($$"""{"id":"r{{i}}","kind":"{{kind}}"}""");
        }

        File.WriteAllBytes(directory.File("v.bin"), vectors.ToArray());
        File.WriteAllLines(directory.File("r.jsonl"), records);
        using var config = new TempConfig(TestKeys.RotatingConfig());
        string[] key = ["--config", config.Path, "--tenant", "t", "--secret-path", "p", "--derivation-path", "e", "--vectors", directory.File("v.bin"), "--records", directory.File("r.jsonl"), "--labels", "kind", "--model", directory.File("kind.zip")];

        CliResult trained = await VeilCli.RunAsync(string.Empty, ["train", .. key]);
        CliResult predicted = await VeilCli.RunAsync(string.Empty, ["predict", .. key]);

        Assert.True(trained.ExitCode == ExitCodes.Success, trained.Stderr);
        Assert.True(predicted.ExitCode == ExitCodes.Success, predicted.Stderr);
        Assert.Equal(Enumerable.Range(0, 80).Select(i => i % 2 == 0 ? "up" : "down"), predicted.Json.Select(l => l.GetProperty("label").GetString()));
        Assert.Equal(1.0, Accuracy(predicted));
    }

    [Fact]
    public async Task Predict_WithTheSameKey_ClassifiesTheCorpus()
    {
        CliResult result = await Predict(TestKeys.RotatingConfig(), "old", "t");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        Assert.Equal(778, result.Lines.Length);
        Assert.All(result.Json, line => Assert.False(string.IsNullOrEmpty(line.GetProperty("label").GetString())));
        // Mostly training rows, but a quarter held out: well above the 0.50 majority baseline.
        Assert.True(Accuracy(result) > 0.8, result.Stderr);
    }

    [Fact]
    public async Task Predict_WithAnotherSecretUnderTheSameKeyId_IsRefused()
    {
        // "old" keeps key id 1 but holds the other secret: only the key check can tell.
        string impostor = TestKeys.RotatingConfig().Replace(
            "\"old\": {\"approximationFactor\": 1.1, \"current\": {\"id\": 1, \"secret\": \"" + TestKeys.Kat56Base64,
            "\"old\": {\"approximationFactor\": 1.1, \"current\": {\"id\": 1, \"secret\": \"" + TestKeys.Kat57Base64,
            StringComparison.Ordinal);
        Assert.NotEqual(TestKeys.RotatingConfig(), impostor);

        CliResult result = await Predict(impostor, "old", "t");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("Refused: This model only works with the key it was trained under", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("p", "t", "secret path")]
    [InlineData("old", "other-tenant", "tenant")]
    public async Task Predict_WithAnotherPathOrTenant_IsRefused(string secretPath, string tenant, string reason)
    {
        CliResult result = await Predict(TestKeys.RotatingConfig(), secretPath, tenant);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains(reason, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_Betas_PrintsTheUtilityTable()
    {
        // The utility figures themselves are tested in Veil.Evaluation.Tests (ClassifierUtilityTests).
        using var directory = new TempDirectory();
        string labels = directory.File("labels.txt");
        File.WriteAllLines(labels, Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? "even" : "odd"));

        CliResult result = await VeilCli.RunAsync(string.Empty, "train", "--betas", "1", "--trainer", "logistic", "--limit", "100", "--labels", labels);

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        Assert.Contains("| trainer | β | majority | chance | plaintext | encrypted | other key | unencrypted |", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("| LogisticRegression | 1 | ", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--trainer", "svm")]
    [InlineData("--test-fraction", "1")]
    [InlineData("--labels", "nothing")]
    public async Task Train_WhenOptionsInvalid_Exits1(string option, string value)
    {
        using var config = new TempConfig(TestKeys.RotatingConfig());
        using var directory = new TempDirectory();
        CliResult result = await VeilCli.RunAsync(string.Empty, "train", "--config", config.Path, "--tenant", "t", "--secret-path", "old", "--derivation-path", "e", "--model", directory.File("m.zip"), option, value);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("Invalid", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_WithoutModelScopeOrKeys_Exits1()
    {
        CliResult noModel = await VeilCli.RunAsync(string.Empty, "train");
        CliResult noScope = await VeilCli.RunAsync(string.Empty, "train", "--model", "m.zip");
        CliResult noKey = await VeilCli.RunAsync(string.Empty, "train", "--model", "m.zip", "--tenant", "t", "--secret-path", "p", "--derivation-path", "e", "--limit", "20");

        Assert.Equal((ExitCodes.InvalidOptions, ExitCodes.InvalidOptions, ExitCodes.InvalidOptions), (noModel.ExitCode, noScope.ExitCode, noKey.ExitCode));
        Assert.Contains("--model is required", noModel.Stderr, StringComparison.Ordinal);
        Assert.Contains("--secret-path, --derivation-path, --tenant required", noScope.Stderr, StringComparison.Ordinal);
        Assert.Contains("exactly one of --config", noKey.Stderr, StringComparison.Ordinal);
    }

    private async Task<CliResult> Predict(string configJson, string secretPath, string tenant)
    {
        using var config = new TempConfig(configJson);
        return await VeilCli.RunAsync(string.Empty, "predict", "--config", config.Path, "--tenant", tenant, "--secret-path", secretPath, "--derivation-path", "e", "--model", _trained.Model);
    }

    private static double Accuracy(CliResult result) =>
        double.Parse(Regex.Match(result.Stderr, "accuracy ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);

    /// <summary>One model trained under vector path "old" (key id 1), tenant "t", derivation path "e", shared by the tests.</summary>
    public sealed class TrainedModel : IDisposable
    {
        private readonly TempDirectory _directory = new();

        public TrainedModel()
        {
            Model = _directory.File("category.zip");
            using var config = new TempConfig(TestKeys.RotatingConfig());
            CliResult result = VeilCli.RunAsync(string.Empty, "train", "--config", config.Path, "--tenant", "t", "--secret-path", "old", "--derivation-path", "e", "--model", Model).GetAwaiter().GetResult();
            (ExitCode, Stdout, Stderr) = (result.ExitCode, result.Stdout, result.Stderr);
        }

        public string Model { get; }

        public int ExitCode { get; }

        public string Stdout { get; }

        public string Stderr { get; }

        public void Dispose() => _directory.Dispose();
    }
}
