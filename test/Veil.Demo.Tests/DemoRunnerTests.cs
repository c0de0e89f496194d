using Veil.Configuration;
using Veil.Documents.Store;
using Veil.Keys;

namespace Veil.Demo.Tests;

/// <summary><see cref="DemoRunner"/> on the committed MiniLM corpus through the embedded DuckDB store.</summary>
public sealed class DemoRunnerTests
{
    private static string Corpus => Path.Combine(AppContext.BaseDirectory, "corpus");

    [Fact]
    public async Task Run_When200HeldOutQueries_RecallsWithAndWithoutRerankingAndFiltersOnTheEncryptedCategory()
    {
        // β = 2.5 and K′ = 100; 200 queries rather than the default 50 so that the measured recall is stable
        // (fresh keys every run: 50 queries gave 0.988–0.998 over 15 runs, 200 queries 0.997–0.999 over 8).
        DemoKeys keys = DemoKeys.Fresh(2.5f);
        using var report = new StringWriter();
        using var log = new StringWriter();
        try
        {
            DemoResult result = await new DemoRunner(new DemoOptions(Corpus) { Queries = 200 }, keys, report, log, "demo").RunAsync();

            Assert.Equal(778, result.Documents);
            Assert.Equal(578, result.Stored);
            Assert.Equal(200, result.Queries);
            Assert.InRange(result.RecallApproximate, 0.0, 1.0);
            Assert.InRange(result.RecallReranked, 0.99, 1.0);
            Assert.True(result.RecallReranked >= result.RecallApproximate, report.ToString());
            Assert.True(result.FilterMatches > 0);
            Assert.Equal(result.FilterPlainMatches, result.FilterMatches);
            Assert.Contains("578 documents are stored encrypted; 200 held-out documents", report.ToString());
            Assert.Contains("encrypted search, titles decrypted on the client", report.ToString());
            Assert.Contains("demo: encrypted and stored 578 documents", log.ToString());
        }
        finally
        {
            ConfigFile.DisposeSecrets(keys.Configuration);
        }
    }

    [Fact]
    public async Task Run_WhenSealed_ShowsPlaintextDcpeAndSealedSideBySide_WithTheSealedRecall()
    {
        DemoKeys keys = DemoKeys.Fresh(2.5f);
        using var report = new StringWriter();
        using var log = new StringWriter();
        try
        {
            DemoResult result = await new DemoRunner(new DemoOptions(Corpus) { Queries = 50, Sealed = true }, keys, report, log, "demo").RunAsync();

            // K′ = 100 of 728 rows ranked exactly: the int8 HNSW index has to miss a true neighbour from its top 100.
            Assert.NotNull(result.RecallSealed);
            Assert.InRange(result.RecallSealed!.Value, 0.99, 1.0);
            Assert.Contains("plaintext (exact)", report.ToString());
            Assert.Contains("DCPE (re-ranked)", report.ToString());
            Assert.Contains("Sealed mode (vectors sealed with AES-256-GCM", report.ToString());
            Assert.Contains("demo: sealed and stored 728 documents", log.ToString());
        }
        finally
        {
            ConfigFile.DisposeSecrets(keys.Configuration);
        }
    }

    [Fact]
    public void Load_FromAConfigurationFile_UsesItsVectorSecret_AndRefusesAPathItLacksNamingTheFile()
    {
        string secret = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray());
        using var directory = new TempDirectory();
        string config = directory.File("veil.json");
        File.WriteAllText(config, $$"""{"vector": {"p": {"approximationFactor": 1.5, "current": {"id": 1, "secret": "{{secret}}"} } } }""");

        DemoKeys keys = DemoKeys.Load(2.5f, config);
        try
        {
            Assert.Equal(new SecretPath("p"), keys.SecretPath);
            Assert.Equal(1.5f, keys.Configuration.Vector[keys.SecretPath].ApproximationFactor);
        }
        finally
        {
            ConfigFile.DisposeSecrets(keys.Configuration);
        }

        var e = Assert.Throws<ArgumentException>(() => DemoKeys.Load(2.5f, config, new SecretPath("other")));
        Assert.StartsWith($"veil demo --config {config}: The secret path \"other\" is not in", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[..20], e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WhenTheTextQueryHasOtherDimensions_ThrowsNamingThemBeforeStoringAnything()
    {
        DemoKeys keys = DemoKeys.Fresh(2.5f);
        using var directory = new TempDirectory();
        var options = new DemoOptions(Corpus)
        {
            Queries = 5,
            Store = new StoreLocation("duckdb", directory.File("demo.duckdb")),
            TextQuery = new DemoTextQuery("hello", new float[8], "tiny.onnx"),
        };
        try
        {
            var e = await Assert.ThrowsAsync<ArgumentException>(() => new DemoRunner(options, keys, TextWriter.Null, TextWriter.Null).RunAsync());

            Assert.Contains("8-d embeddings; the corpus is 384-d", e.Message);
            Assert.False(File.Exists(directory.File("demo.duckdb")));
        }
        finally
        {
            ConfigFile.DisposeSecrets(keys.Configuration);
        }
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(501, 100)]
    [InlineData(5, 9)]
    public async Task Run_WhenASettingIsOutOfRange_Throws(int queries, int candidates)
    {
        DemoKeys keys = DemoKeys.Fresh(2.5f);
        try
        {
            var options = new DemoOptions(Corpus) { Queries = queries, RerankCandidates = candidates };

            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => new DemoRunner(options, keys, TextWriter.Null, TextWriter.Null).RunAsync());
        }
        finally
        {
            ConfigFile.DisposeSecrets(keys.Configuration);
        }
    }

    [Theory]
    [InlineData("a lot", null, "--store-memory \"a lot\" is not a size")]
    [InlineData(null, 0, "--store-threads must be at least 1")]
    public void Validate_WhenAStoreSettingIsInvalid_ThrowsBeforeAnythingIsRead(string? memory, int? threads, string message)
    {
        using var directory = new TempDirectory();
        var options = new DemoOptions(directory.File("no-corpus")) { StoreMemory = memory, StoreThreads = threads };

        var e = Assert.Throws<DocumentStoreException>(options.Validate);

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenTheSettingsAreValid_Passes_AndFreshKeysRefuseANonPositiveBeta()
    {
        new DemoOptions(Corpus) { StoreMemory = "64MB", StoreThreads = 1, Queries = DemoOptions.MaxQueries }.Validate();

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DemoKeys.Fresh(0f));

        Assert.Contains("--beta", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfiguration_FillsInFreshDeterministicAndStandardSecretsAndDescribesWithoutSecretValues()
    {
        string json = "{\"vector\": {\"v\": {\"approximationFactor\": 2.5, \"current\": {\"id\": 1, \"secret\": \"" + TestKeys.Kat56Base64 + "\"}}}}";
        VeilConfiguration loaded = ConfigFile.Parse(json);
        DemoKeys keys = DemoKeys.FromConfiguration(loaded, "veil.json");
        try
        {
            Assert.Equal("v", keys.SecretPath.ToString());
            Assert.Contains("vector secret \"v\" from veil.json (β = 2.5", keys.Description);
            Assert.Contains("fresh deterministic and fresh standard secrets", keys.Description);
            Assert.NotNull(keys.Configuration.Deterministic[new SecretPath("v")].Current);
            Assert.NotNull(keys.Configuration.Standard?.Primary);
            Assert.DoesNotContain(TestKeys.Kat56Base64, keys.Description);
        }
        finally
        {
            ConfigFile.DisposeSecrets(keys.Configuration);
        }
    }

    [Fact]
    public void FromConfiguration_WhenThePathIsMissing_ThrowsNamingIt()
    {
        VeilConfiguration loaded = ConfigFile.Parse(TestKeys.RotatingConfig());

        var e = Assert.Throws<ArgumentException>(() => DemoKeys.FromConfiguration(loaded, "veil.json", new SecretPath("nope")));

        Assert.Contains("\"nope\" is not in the configuration's vector section", e.Message);
    }

    [Fact]
    public void TopK_ReturnsTheNearestFirst()
    {
        float[][] points = [[0f, 0f], [3f, 0f], [1f, 0f], [2f, 0f]];

        int[] top = BruteForce.TopK(Enumerable.Range(0, points.Length), i => BruteForce.SquaredDistance([0f, 0f], points[i]), 3);

        Assert.Equal([0, 2, 3], top);
    }
}
