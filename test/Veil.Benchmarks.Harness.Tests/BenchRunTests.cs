using System.Text.Json;

namespace Veil.Benchmarks.Harness.Tests;

/// <summary>
/// <see cref="BenchRun"/>, what <c>veil bench</c> calls: the options are checked before anything is measured, and the
/// default run reports every figure (no timing is asserted: these machines are shared).
/// </summary>
public sealed class BenchRunTests
{
    public static TheoryData<BenchOptions, string> OutOfRange => new()
    {
        { new BenchOptions { Dimensions = [] }, "--dimensions" },
        { new BenchOptions { Dimensions = [0] }, "--dimensions" },
        { new BenchOptions { Rounds = 0 }, "--rounds" },
        { new BenchOptions { StoreRows = -1 }, "--store-rows" },
        { new BenchOptions { StoreRounds = 0 }, "--store-rounds" },
        { new BenchOptions { EmbeddingTexts = -1 }, "--embedding-texts" },
        { new BenchOptions { Sealed = true, SealedRows = 9 }, "--sealed-rows" },
        { new BenchOptions { Sealed = true, Corpus = "/no/such/corpus.bin" }, "--corpus /no/such/corpus.bin does not exist" },
        { new BenchOptions { Postgres = "Host=203.0.113.1;Timeout=1", Rows = 100 }, "--postgres needs --centres" },
        { new BenchOptions { Postgres = "Host=203.0.113.1;Timeout=1", Rows = 0, EfSearch = [0] }, "--ef-search" },
        { new BenchOptions { Postgres = "Host=203.0.113.1;Timeout=1", Rows = 0, RerankCandidates = [5] }, "--rerank-candidates" },
        { new BenchOptions { Postgres = "Host=203.0.113.1;Timeout=1", Rows = 0, RotationRows = 1 }, "--rotation-rows" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Run_WhenASettingIsOutOfRange_ThrowsNamingItBeforeMeasuring(BenchOptions options, string named)
    {
        using var output = new StringWriter();
        using var progress = new StringWriter();

        var e = Assert.Throws<ArgumentException>(() => BenchRun.Run(options, output, progress));

        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.Empty(output.ToString());
        Assert.Empty(progress.ToString());
    }

    [Fact]
    public void Validate_TheDefaults_Passes()
    {
        new BenchOptions().Validate();
        new BenchOptions { Sealed = true }.Validate();
        new BenchOptions { Postgres = "Host=localhost", Rows = 0 }.Validate();
    }

    [Fact]
    public void Run_WhenJson_ReportsEveryFigureForEachDimension()
    {
        var options = new BenchOptions { Dimensions = [8, 384], Rounds = 3, BatchRows = 50, StoreRows = 300, StoreRounds = 2, StoreQueries = 3, EmbeddingTexts = 4, Json = true };
        using var output = new StringWriter();
        using var progress = new StringWriter();

        BenchRun.Run(options, output, progress);

        using JsonDocument document = JsonDocument.Parse(output.ToString());
        JsonElement[] rows = document.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal([8, 384], rows.Select(r => r.GetProperty("dimensions").GetInt32()));
        foreach (JsonElement row in rows)
        {
            foreach (string figure in new[] { "encryptMicroseconds", "decryptMicroseconds", "floorMicroseconds", "encryptToFloor", "decryptToFloor", "batchVectorsPerSecond" })
            {
                Assert.True(row.GetProperty(figure).GetDouble() > 0, figure);
            }
        }

        Assert.Equal(17.573, rows[1].GetProperty("alloyEncryptMicroseconds").GetDouble());
        Assert.False(rows[0].TryGetProperty("alloyEncryptMicroseconds", out _));
        JsonElement store = document.RootElement.GetProperty("store");
        Assert.Equal("duckdb", store.GetProperty("engine").GetString());
        Assert.Equal(384, store.GetProperty("dimensions").GetInt32());
        Assert.Equal(300, store.GetProperty("rows").GetInt32());
        Assert.Equal(2, store.GetProperty("ingestRounds").GetInt32());
        foreach (string figure in new[]
        {
            "plaintextIngestVectorsPerSecond", "encryptedIngestVectorsPerSecond", "encryptedToPlaintextIngest", "encryptedIngestWithMetadataVectorsPerSecond",
            "plaintextQueryMilliseconds", "encryptedQueryMilliseconds", "rerankedQueryMilliseconds", "encryptedToPlaintextQuery", "rerankedToPlaintextQuery",
        })
        {
            Assert.True(store.GetProperty(figure).GetDouble() > 0, figure);
        }

        // The embedding row: the solution's restore put the all-MiniLM-L6-v2 add-on in the global packages folder.
        JsonElement embedding = document.RootElement.GetProperty("embedding");
        Assert.Equal("all-MiniLM-L6-v2", embedding.GetProperty("model").GetString());
        Assert.Equal([128, 256], embedding.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("tokens").GetInt32()));
        Assert.All(embedding.GetProperty("rows").EnumerateArray(), r => Assert.True(r.GetProperty("textsPerSecond").GetDouble() > 0));
    }
}
