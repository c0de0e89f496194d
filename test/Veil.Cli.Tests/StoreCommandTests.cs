using System.Text.Json;
using Veil.Cli.Tests.Support;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary><c>veil ingest</c>, <c>search</c> and <c>export</c> against a real DuckDB file in a temporary directory.</summary>
public sealed class StoreCommandTests : IDisposable
{
    private const string Tenant = "t1";

    private readonly TempDirectory _directory = new();
    private readonly TempConfig _config = new(TestKeys.RotatingConfig(beta: 2.5));

    public void Dispose()
    {
        _config.Dispose();
        _directory.Dispose();
    }

    private string Store => "duckdb:" + _directory.File("veil.duckdb");

    [Fact]
    public async Task IngestThenExport_WhenJsonLines_GivesBackEveryFieldAndTheVectors()
    {
        string input = VeilCli.Lines(
            """{"id":"a","vector":[0.6,0.8,0],"category":"faq","title":"First","tags":["x","y"],"n":3}""",
            """{"id":7,"vector":[0,0.6,0.8],"title":"Second"}""",
            """{"id":"c","vector":[0.8,0,0.6],"category":null}""");

        CliResult ingest = await RunAsync(input, "ingest", "--secret-path", "p");
        CliResult export = await RunAsync(string.Empty, "export");

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.Contains("3 documents", ingest.Stderr);
        Assert.True(export.ExitCode == ExitCodes.Success, export.Stderr);
        JsonElement[] lines = export.Json;
        Assert.Equal(["7", "a", "c"], lines.Select(l => l.GetProperty("id").GetString()));
        JsonElement a = lines[1];
        Assert.Equal("faq", a.GetProperty("category").GetString());
        Assert.Equal("First", a.GetProperty("title").GetString());
        Assert.Equal(["x", "y"], a.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(3, a.GetProperty("n").GetInt32());
        float[] vector = VeilCli.Floats(a.GetProperty("vector"));
        Assert.Equal(3, vector.Length);
        Assert.True(Math.Abs(vector[0] - 0.6f) < 1e-5f && Math.Abs(vector[1] - 0.8f) < 1e-5f && Math.Abs(vector[2]) < 1e-5f);
        Assert.False(lines[2].TryGetProperty("category", out _));

        // A document with no fields besides id, vector and category stores no encrypted fields at all.
        using var connection = new DuckDB.NET.Data.DuckDBConnection("Data Source=" + _directory.File("veil.duckdb"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Id\", \"Fields\" IS NULL FROM documents ORDER BY \"Id\"";
        using var reader = command.ExecuteReader();
        var fieldsIsNull = new List<(string, bool)>();
        while (reader.Read())
        {
            fieldsIsNull.Add((reader.GetString(0), reader.GetBoolean(1)));
        }

        Assert.Equal([("7", false), ("a", false), ("c", true)], fieldsIsNull);
    }

    [Fact]
    public async Task IngestThenExport_WhenParquet_GivesBackEveryColumnAndTheVectors()
    {
        string parquet = _directory.WriteParquet(
            "SELECT * FROM (VALUES (1, [0.6, 0.8, 0.0]::DOUBLE[], 'faq', 'First', 3), (2, [0.0, 0.6, 0.8]::DOUBLE[], NULL, 'Second', 4)) " +
            "AS t(id, vector, category, title, n)");

        CliResult ingest = await RunAsync(string.Empty, "ingest", "--secret-path", "p", "--input", parquet);
        CliResult export = await RunAsync(string.Empty, "export");

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.Contains("2 documents", ingest.Stderr);
        JsonElement[] lines = export.Json;
        Assert.Equal(["1", "2"], lines.Select(l => l.GetProperty("id").GetString()));
        Assert.Equal("faq", lines[0].GetProperty("category").GetString());
        Assert.Equal("First", lines[0].GetProperty("title").GetString());
        Assert.Equal(3, lines[0].GetProperty("n").GetInt32());
        Assert.False(lines[1].TryGetProperty("category", out _));
        float[] vector = VeilCli.Floats(lines[1].GetProperty("vector"));
        Assert.Equal([0f, 0.6f, 0.8f], vector, (x, y) => Math.Abs(x - y) < 1e-5f);
    }

    [Fact]
    public async Task Ingest_WhenParquetHasNoVectorColumn_Exits1ListingItsColumns()
    {
        string parquet = _directory.WriteParquet("SELECT 'a' AS id, [1.0, 2.0]::FLOAT[] AS embedding");

        CliResult result = await RunAsync(string.Empty, "ingest", "--secret-path", "p", "--input", parquet);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("has no \"vector\" column", result.Stderr);
        Assert.Contains("\"embedding\" FLOAT[]", result.Stderr);
    }

    [Fact]
    public async Task IngestAndSearch_ForAnotherTenantThanTheCollections_Exit1NamingBothTenants()
    {
        string[] other = ["--store", Store, "--config", _config.Path, "--tenant", "other"];
        CliResult ingest = await RunAsync(VeilCli.Lines("""{"id":"a","vector":[1,0,0]}"""), "ingest", "--secret-path", "p");
        CliResult otherIngest = await VeilCli.RunAsync(VeilCli.Lines("""{"id":"b","vector":[0,1,0]}"""), ["ingest", .. other]);
        CliResult otherSearch = await VeilCli.RunAsync(string.Empty, ["search", "--vector", "[1,0,0]", .. other]);
        CliResult search = await RunAsync(string.Empty, "search", "--vector", "[1,0,0]");

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.Equal(ExitCodes.InvalidOptions, otherIngest.ExitCode);
        Assert.Contains("collection \"documents\" belongs to tenant \"t1\", not \"other\"", otherIngest.Stderr);
        Assert.Equal(ExitCodes.InvalidOptions, otherSearch.ExitCode);
        Assert.Contains("belongs to tenant \"t1\", not \"other\"", otherSearch.Stderr);
        Assert.True(search.ExitCode == ExitCodes.Success, search.Stderr);
        Assert.Equal("a", Assert.Single(search.Json).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Search_NamesItsScoreAsTheEuclideanDistanceToTheQuery()
    {
        CliResult ingest = await RunAsync(VeilCli.Lines("""{"id":"a","vector":[1,0,0]}""", """{"id":"b","vector":[0,3,4]}"""), "ingest", "--secret-path", "p");
        CliResult search = await RunAsync(string.Empty, "search", "--vector", "[1,0,0]");
        CliResult help = await VeilCli.RunAsync(string.Empty, "search", "--help");

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.True(search.ExitCode == ExitCodes.Success, search.Stderr);
        Assert.Equal(["a", "b"], search.Json.Select(j => j.GetProperty("id").GetString()));
        Assert.All(search.Json, j => Assert.Equal("euclidean_distance", j.GetProperty("distance").GetString()));
        Assert.Equal(0.0, search.Json[0].GetProperty("score").GetDouble(), 4);
        Assert.Equal(Math.Sqrt(26), search.Json[1].GetProperty("score").GetDouble(), 4); // |(1,0,0) - (0,3,4)|
        Assert.Contains("euclidean_distance", help.Stdout);
    }

    [Fact]
    public async Task Delete_ByIdAndIdsFrom_RemovesThoseDocumentsForTheCollectionsTenantOnly()
    {
        string idsFrom = _directory.File("ids.jsonl");
        await File.WriteAllTextAsync(idsFrom, "{\"id\":\"c\",\"title\":\"ignored\"}\n\n{\"id\":7}\n");
        CliResult ingest = await RunAsync(
            VeilCli.Lines("""{"id":"a","vector":[1,0,0]}""", """{"id":"b","vector":[0,1,0]}""", """{"id":"c","vector":[0,0,1]}""", """{"id":7,"vector":[1,1,0]}"""),
            "ingest", "--secret-path", "p");
        CliResult otherTenant = await VeilCli.RunAsync(string.Empty, "delete", "--store", Store, "--config", _config.Path, "--tenant", "other", "--id", "a");
        CliResult delete = await RunAsync(string.Empty, "delete", "--id", "a", "--id", "missing", "--ids-from", idsFrom);
        CliResult export = await RunAsync(string.Empty, "export", "--no-vectors");

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.Equal(ExitCodes.InvalidOptions, otherTenant.ExitCode);
        Assert.Contains("belongs to tenant \"t1\", not \"other\"", otherTenant.Stderr);
        Assert.True(delete.ExitCode == ExitCodes.Success, delete.Stderr);
        Assert.Equal(4, delete.Json[0].GetProperty("requested").GetInt32());
        Assert.Equal(3, delete.Json[0].GetProperty("deleted").GetInt32());
        Assert.Equal(["b"], export.Json.Select(j => j.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task IngestAndSearch_WhenStoreMemoryIsGiven_UseIt()
    {
        CliResult ingest = await RunAsync(VeilCli.Lines("""{"id":"a","vector":[1,0,0]}"""), "ingest", "--secret-path", "p", "--store-memory", "64MB");
        CliResult search = await RunAsync(string.Empty, "search", "--vector", "[1,0,0]", "--store-memory", "1GB");
        CliResult bad = await RunAsync(string.Empty, "search", "--vector", "[1,0,0]", "--store-memory", "a lot");

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.True(search.ExitCode == ExitCodes.Success, search.Stderr);
        Assert.Equal("a", Assert.Single(search.Json).GetProperty("id").GetString());
        Assert.Equal(ExitCodes.InvalidOptions, bad.ExitCode);
        Assert.Contains("--store-memory \"a lot\" is not a size", bad.Stderr);
    }

    [Fact]
    public async Task IngestAndSearch_WhenStoreThreadsAreGiven_UseThemAndRefuseZero()
    {
        CliResult ingest = await RunAsync(VeilCli.Lines("""{"id":"a","vector":[1,0,0]}"""), "ingest", "--secret-path", "p", "--store-threads", "2");
        CliResult search = await RunAsync(string.Empty, "search", "--vector", "[1,0,0]", "--store-threads", "1");
        CliResult bad = await RunAsync(string.Empty, "search", "--vector", "[1,0,0]", "--store-threads", "0");

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.Equal("a", Assert.Single(search.Json).GetProperty("id").GetString());
        Assert.Equal(ExitCodes.InvalidOptions, bad.ExitCode);
        Assert.Contains("--store-threads must be at least 1", bad.Stderr);
    }

    [Fact]
    public async Task Search_WhenByIdAndByVector_FindsTheNearestDecryptedAndFiltersOnTheEncryptedCategory()
    {
        await IngestCorpusAsync();

        CliResult byId = await RunAsync(string.Empty, "search", "--id", "local-btp-fiori-tools-0-chunk-0", "--top", "5");
        string vector = JsonSerializer.Serialize(ReadCorpusRow(0));
        CliResult byVector = await RunAsync(string.Empty, "search", "--vector", vector, "--top", "5");
        CliResult filtered = await RunAsync(string.Empty, "search", "--vector", vector, "--top", "5", "--category", "Sapui5");
        CliResult approximate = await RunAsync(string.Empty, "search", "--vector", vector, "--top", "5", "--no-rerank");

        foreach (CliResult result in new[] { byId, byVector, filtered, approximate })
        {
            Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
            Assert.Equal(5, result.Json.Length);
        }

        Assert.Equal("local-btp-fiori-tools-0-chunk-0", byId.Json[0].GetProperty("id").GetString());
        Assert.Equal(0.0, byId.Json[0].GetProperty("score").GetDouble(), 4);
        Assert.Equal("Deploying an SAP Fiori Application (ABAP and Cloud Foundry)", byId.Json[0].GetProperty("title").GetString());
        Assert.Equal(byId.Json.Select(j => j.GetProperty("id").GetString()), byVector.Json.Select(j => j.GetProperty("id").GetString()));
        Assert.Equal([1, 2, 3, 4, 5], byVector.Json.Select(j => j.GetProperty("rank").GetInt32()));
        Assert.All(filtered.Json, j => Assert.Equal("Sapui5", j.GetProperty("category").GetString()));
    }

    [Fact]
    public async Task Search_WhenByTextWithTheTinyModel_EmbedsLocallyAndFindsTheMatchingDocument()
    {
        // An 8-d collection whose vectors are the tiny model's own embeddings of three texts.
        string[] texts = ["deploy the app to the cloud", "filter the table", "encrypt a vector key"];
        var lines = new List<string>();
        using (var generator = new Veil.Embeddings.Onnx.OnnxEmbeddingGenerator(TestFiles.TinyModel, TestFiles.TinyVocabulary))
        {
            for (int i = 0; i < texts.Length; i++)
            {
                float[] embedding = (await Microsoft.Extensions.AI.EmbeddingGeneratorExtensions.GenerateVectorAsync(generator, texts[i])).ToArray();
                lines.Add(JsonSerializer.Serialize(new { id = $"doc{i}", vector = embedding, title = texts[i] }));
            }
        }

        CliResult ingest = await RunAsync(VeilCli.Lines([.. lines]), "ingest", "--secret-path", "p");
        CliResult search = await RunAsync(string.Empty, "search", "--text", "Filter the table", "--model", TestFiles.TinyModel, "--vocab", TestFiles.TinyVocabulary, "--top", "2");

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.True(search.ExitCode == ExitCodes.Success, search.Stderr);
        Assert.Equal("doc1", search.Json[0].GetProperty("id").GetString());
        Assert.Equal(0.0, search.Json[0].GetProperty("score").GetDouble(), 4);
    }

    [Fact]
    public async Task Ingest_WhenAVectorHasTheWrongDimension_Exits2NamingTheLineAndRecord()
    {
        string input = VeilCli.Lines("""{"id":"a","vector":[1,0,0]}""", """{"id":"b","vector":[1,0]}""");

        CliResult result = await RunAsync(input, "ingest", "--secret-path", "p", "--batch-size", "1");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Contains("line 2", result.Stderr);
        Assert.Contains("\"b\" has 2 dimensions; collection \"documents\" has 3", result.Stderr);
    }

    [Fact]
    public async Task Search_WhenQueryHasTheWrongDimension_Exits1()
    {
        await RunAsync(VeilCli.Lines("""{"id":"a","vector":[1,0,0]}"""), "ingest", "--secret-path", "p");

        CliResult result = await RunAsync(string.Empty, "search", "--vector", "[1,0]");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("gives 2 dimensions; collection \"documents\" has 3", result.Stderr);
    }

    [Fact]
    public async Task Search_WhenTheKeyDoesNotMatchTheStoredData_Exits3NamingTheRecord()
    {
        await RunAsync(VeilCli.Lines("""{"id":"a","vector":[1,0,0]}"""), "ingest", "--secret-path", "p");

        // The same key ids with each other's secrets: the tenant is right, the keys are not.
        using var swapped = new TempConfig(TestKeys.RotatingConfig(beta: 2.5)
            .Replace(TestKeys.Kat57Base64, "swap", StringComparison.Ordinal).Replace(TestKeys.Kat56Base64, TestKeys.Kat57Base64, StringComparison.Ordinal).Replace("swap", TestKeys.Kat56Base64, StringComparison.Ordinal));
        CliResult search = await VeilCli.RunAsync(string.Empty, "search", "--store", Store, "--config", swapped.Path, "--tenant", Tenant, "--vector", "[1,0,0]");
        CliResult export = await VeilCli.RunAsync(string.Empty, "export", "--store", Store, "--config", swapped.Path, "--tenant", Tenant);

        Assert.Equal(ExitCodes.IntegrityFailure, search.ExitCode);
        Assert.Contains("The record with key 'a' failed to decrypt", search.Stderr);
        Assert.Equal(ExitCodes.IntegrityFailure, export.ExitCode);
        Assert.Contains("key 'a'", export.Stderr);
    }

    [Theory]
    [InlineData("duckdb:", "needs a file path")]
    [InlineData("sqlite:x.db", "is not a store location")]
    [InlineData("postgres:", "needs an Npgsql connection string")]
    [InlineData("postgres:\"\"", "needs an Npgsql connection string")]
    [InlineData("postgres:Nonsense=1;Password=hunter2", "not a valid connection string")]
    public async Task Search_WhenStoreOptionIsBad_Exits1(string store, string message)
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "search", "--store", store, "--config", _config.Path, "--tenant", Tenant, "--vector", "[1]");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("hunter2", result.Stderr);
    }

    [Fact]
    public async Task SearchAndExport_WhenStoreOrCollectionMissing_Exit1WithoutCreatingIt()
    {
        CliResult noStore = await RunAsync(string.Empty, "export");
        await RunAsync(VeilCli.Lines("""{"id":"a","vector":[1,0,0]}"""), "ingest", "--secret-path", "p");
        CliResult noCollection = await RunAsync(string.Empty, "search", "--collection", "other", "--vector", "[1,0,0]");

        Assert.Equal(ExitCodes.InvalidOptions, noStore.ExitCode);
        Assert.Contains("There is no store", noStore.Stderr);
        Assert.Equal(ExitCodes.InvalidOptions, noCollection.ExitCode);
        Assert.Contains("has no collection \"other\" (it has \"documents\")", noCollection.Stderr);
    }

    [Fact]
    public async Task Ingest_WhenConfigurationLacksASection_Exits1NamingIt()
    {
        using var vectorOnly = new TempConfig(
            "{\"vector\": {\"p\": {\"approximationFactor\": 2.5, \"current\": {\"id\": 1, \"secret\": \"" + TestKeys.Kat56Base64 + "\"}}}}");

        CliResult result = await VeilCli.RunAsync(VeilCli.Lines("""{"id":"a","vector":[1,0,0]}"""), "ingest", "--store", Store, "--config", vectorOnly.Path, "--tenant", Tenant);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("deterministic.\"p\"", result.Stderr);
    }

    [Fact]
    public async Task Ingest_WhenSeveralVectorPathsAndNoSecretPath_Exits1AskingForOne()
    {
        CliResult result = await RunAsync(VeilCli.Lines("""{"id":"a","vector":[1,0,0]}"""), "ingest");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("choose one with --secret-path", result.Stderr);
    }

    [Fact]
    public async Task Ingest_WhenRawVectorsDoNotFitTheRecords_Exits1()
    {
        File.WriteAllBytes(_directory.File("v.bin"), new byte[4 * 5]);
        File.WriteAllText(_directory.File("r.jsonl"), VeilCli.Lines("""{"id":"a"}""", """{"id":"b"}"""));

        CliResult result = await RunAsync(string.Empty, "ingest", "--secret-path", "p", "--vectors", _directory.File("v.bin"), "--records", _directory.File("r.jsonl"));

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("not 2 rows", result.Stderr);
    }

    private Task<CliResult> RunAsync(string stdin, params string[] args) =>
        VeilCli.RunAsync(stdin, [.. args, "--store", Store, "--config", _config.Path, "--tenant", Tenant]);

    private async Task IngestCorpusAsync()
    {
        CliResult ingest = await RunAsync(
            string.Empty, "ingest", "--secret-path", "p", "--vectors", TestFiles.Corpus("embeddings.bin"), "--records", TestFiles.Corpus("records.jsonl"));
        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.Contains("778 documents", ingest.Stderr);
    }

    private static float[] ReadCorpusRow(int row)
    {
        using FileStream stream = File.OpenRead(TestFiles.Corpus("embeddings.bin"));
        var bytes = new byte[384 * 4];
        stream.Position = (long)row * bytes.Length;
        stream.ReadExactly(bytes);
        return Enumerable.Range(0, 384).Select(i => BitConverter.ToSingle(bytes, 4 * i)).ToArray();
    }
}
