using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store.Tests.Support;
using Veil.Testing;
using Veil.Keys;

namespace Veil.Documents.Store.Tests;

/// <summary>
/// Text in, encrypted search out, at the library level: <see cref="DocumentInput.WithTextEmbedding"/> embeds a text
/// field in batches while the ingest streams, the vectors are encrypted and stored, the text stays an encrypted field.
/// A deterministic bag-of-words generator stands in for the ONNX model (which the embeddings tests cover).
/// </summary>
public sealed class TextIngestTests : IDisposable
{
    private const string Tenant = "t1";
    private const string Collection = "texts";

    private static readonly string[] s_texts =
    [
        "deploy the application to cloud foundry",
        "filter the table by price",
        "translate the user interface texts",
        "configure the launchpad tiles",
        "secure the service with an api key",
        "unit tests for the controller",
        "build the project with the ui5 tooling",
        "debug the odata requests in the browser",
        "annotate the list report columns",
        "rotate the encryption keys every quarter",
    ];

    private readonly TempDirectory _directory = new();
    private readonly RotationKeys _keys = new();
    private readonly BagOfWordsGenerator _generator = new();

    public void Dispose()
    {
        _keys.Dispose();
        _directory.Dispose();
    }

    private StoreLocation Location => new(StoreLocation.DuckDbKind, _directory.File("veil.duckdb"));

    [Fact]
    public async Task IngestAsync_WithTextEmbedding_EmbedsInBatchesEncryptsAndSearchesByText()
    {
        string lines = string.Concat(s_texts.Select((t, i) => $"{{\"id\":\"d{i}\",\"category\":\"c{i % 2}\",\"content\":\"{t}\"}}\n"));
        IngestResult result;
        int[] batches;
        using (DocumentStore store = DocumentStore.Open(Location, mustExist: false))
        {
            DocumentInput input = DocumentInput.JsonLines(new StringReader(lines)).WithTextEmbedding(new TextEmbedding("content", _generator) { BatchSize = 4 });
            result = await store.IngestAsync(input, new IngestOptions(Collection, new TenantId(Tenant)) { BatchSize = 3 }, _keys.Before);
            batches = [.. _generator.Batches];

            // Search with the embedding of a stored text: that document comes first.
            using var collection = store.Encrypted(result.Manifest!, _keys.Before, new TenantId(Tenant));
            float[] query = (await _generator.GenerateAsync([s_texts[6]]))[0].Vector.ToArray();
            var hits = new List<VectorSearchResult<VeilDocument>>();
            await foreach (VectorSearchResult<VeilDocument> hit in collection.SearchAsync(query, 3))
            {
                hits.Add(hit);
            }

            Assert.Equal("d6", hits[0].Record.Id);
            Assert.Equal(s_texts[6], DocumentJson.Field(hits[0].Record, "content"));

            // Every stored vector decrypts to its text's embedding.
            await foreach (VeilDocument document in store.ExportAsync(Collection, _keys.Before, new TenantId(Tenant)))
            {
                int i = int.Parse(document.Id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                float[] expected = (await _generator.GenerateAsync([s_texts[i]]))[0].Vector.ToArray();
                Assert.True(TensorPrimitives.Distance(expected, document.Embedding!.Value.Span) < 1e-4f, document.Id);
            }
        }

        Assert.Equal(s_texts.Length, result.Stored);
        Assert.Equal(BagOfWordsGenerator.Dimensions, result.Manifest!.Dimensions);
        Assert.Equal([4, 4, 2], batches);

        // The text is stored encrypted: no stored text appears in the database file.
        string file = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(Location.Target));
        Assert.All(s_texts, t => Assert.DoesNotContain(t, file, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"id\":\"b\",\"title\":\"no text\"}", "no string field \"content\"")]
    [InlineData("{\"id\":\"b\",\"content\":42}", "no string field \"content\"")]
    [InlineData("{\"id\":\"b\",\"content\":\"x\",\"vector\":[1,0]}", "has a \"vector\" as well as the text field")]
    public async Task IngestAsync_WhenALineCannotBeEmbedded_NamesTheLineNotTheTextAndRemovesTheNewCollection(string second, string message)
    {
        string lines = "{\"id\":\"a\",\"content\":\"secret text one\"}\n" + second + "\n";
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        DocumentInput input = DocumentInput.JsonLines(new StringReader(lines)).WithTextEmbedding(new TextEmbedding("content", _generator));

        var error = await Assert.ThrowsAsync<DocumentInputException>(() => store.IngestAsync(input, new IngestOptions(Collection, new TenantId(Tenant)), _keys.Before));

        Assert.Equal(2, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret text", error.Message, StringComparison.Ordinal);
        Assert.Null(await store.FindManifestAsync(Collection, CancellationToken.None));
    }

    [Fact]
    public void WithTextEmbedding_WhenTheFieldIsIdVectorOrCategory_Refuses()
    {
        DocumentInput input = DocumentInput.JsonLines(new StringReader(string.Empty));

        Assert.All(
            ["id", "vector", "category"],
            field => Assert.Throws<DocumentStoreException>(() => input.WithTextEmbedding(new TextEmbedding(field, _generator))));
    }

    [Fact]
    public async Task IngestAsync_WhenRawVectorsWithTextEmbedding_RefusesBeforeReading()
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        DocumentInput input = DocumentInput.RawVectors(_directory.File("missing.bin"), _directory.File("missing.jsonl"), 4)
            .WithTextEmbedding(new TextEmbedding("content", _generator));

        var error = await Assert.ThrowsAsync<DocumentStoreException>(() => store.IngestAsync(input, new IngestOptions(Collection, new TenantId(Tenant)), _keys.Before));

        Assert.Contains("raw vectors and text", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IngestAsync_FromParquetWithATextColumn_EmbedsEncryptsAndStoresIt()
    {
        string values = string.Join(", ", s_texts.Select((t, i) => $"('d{i}', 'c{i % 2}', '{t}')"));
        string parquet = _directory.WriteParquet($"SELECT * FROM (VALUES {values}) AS t(id, category, content)");
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        DocumentInput input = DocumentInput.File(parquet).WithTextEmbedding(new TextEmbedding("content", _generator) { BatchSize = 4 });

        IngestResult result = await store.IngestAsync(input, new IngestOptions(Collection, new TenantId(Tenant)), _keys.Before);

        Assert.Equal(s_texts.Length, result.Stored);
        Assert.Equal([4, 4, 2], _generator.Batches);
        await foreach (VeilDocument document in store.ExportAsync(Collection, _keys.Before, new TenantId(Tenant)))
        {
            int i = int.Parse(document.Id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            float[] expected = (await _generator.GenerateAsync([s_texts[i]]))[0].Vector.ToArray();
            Assert.True(TensorPrimitives.Distance(expected, document.Embedding!.Value.Span) < 1e-4f, document.Id);
            Assert.Equal(s_texts[i], DocumentJson.Field(document, "content"));
            Assert.Equal($"c{i % 2}", document.Category);
        }
    }

    [Fact]
    public async Task IngestAsync_FromParquetWithAVectorAsWellAsTheText_RefusesTheRowWithoutTheText()
    {
        string parquet = _directory.WriteParquet("SELECT * FROM (VALUES ('a', 'secret text one', [1.0, 0.0]::FLOAT[])) AS t(id, content, vector)");
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        DocumentInput input = DocumentInput.File(parquet).WithTextEmbedding(new TextEmbedding("content", _generator));

        var error = await Assert.ThrowsAsync<DocumentInputException>(() => store.IngestAsync(input, new IngestOptions(Collection, new TenantId(Tenant)), _keys.Before));

        Assert.Equal(1, error.Line);
        Assert.Contains("row 1: \"a\" has a \"vector\" as well as the text field \"content\"", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret text", error.Message, StringComparison.Ordinal);
        Assert.Null(await store.FindManifestAsync(Collection, CancellationToken.None));
    }
}
