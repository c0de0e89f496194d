using System.Globalization;
using System.Text.Json;
using Veil.Documents.Store.Tests.Support;
using Veil.Testing;

namespace Veil.Documents.Store.Tests;

/// <summary>The three input forms (raw float32 beside records, JSON Lines, Parquet) read the same documents.</summary>
public sealed class DocumentSourcesTests
{
    private static string Corpus(string file) => Path.Combine(AppContext.BaseDirectory, "corpus", file);

    /// <summary>
    /// What <c>veil evaluate</c> (and ingest) rely on to report the same numbers for the same rows in any form: the
    /// first 60 rows of the MiniLM corpus, written as JSON Lines and as Parquet, read back to the same ids, vectors
    /// (bit for bit) and categories as from the raw files.
    /// </summary>
    [Fact]
    public void RawJsonLinesAndParquet_WhenTheSameRows_ReadTheSameDocuments()
    {
        using var directory = new TempDirectory();
        (string Id, float[] Vector, string? Category)[] raw = DocumentSources.RawVectors(Corpus("embeddings.bin"), Corpus("records.jsonl"), dimensions: null)
            .Rows.Take(60).Select(r => (r.Document.Id, r.Document.Embedding!.Value.ToArray(), r.Document.Category)).ToArray();
        string jsonLines = directory.File("rows.jsonl");
        File.WriteAllLines(jsonLines, raw.Select(r => JsonSerializer.Serialize(new { id = r.Id, vector = r.Vector, category = r.Category })));
        string values = string.Join(',', raw.Select(r => $"('{r.Id}', [{string.Join(',', r.Vector.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))}]::FLOAT[], '{r.Category}')"));
        string parquet = directory.WriteParquet($"SELECT * FROM (VALUES {values}) AS t(id, vector, category)");

        using StreamReader reader = File.OpenText(jsonLines);
        var fromJsonLines = DocumentSources.JsonLines(reader).Select(r => r.Document).ToArray();
        var fromParquet = ParquetDocuments.Open(parquet).Rows().Select(r => r.Document).ToArray();

        Assert.Equal(60, raw.Length);
        Assert.All(raw, r => Assert.NotNull(r.Category));
        foreach (VeilDocument[] read in new[] { fromJsonLines, fromParquet })
        {
            Assert.Equal(raw.Select(r => r.Id), read.Select(d => d.Id));
            Assert.Equal(raw.Select(r => r.Category), read.Select(d => d.Category));
            for (int i = 0; i < raw.Length; i++)
            {
                Assert.Equal(raw[i].Vector, read[i].Embedding!.Value.ToArray());
            }
        }
    }

    [Fact]
    public void JsonLines_WhenALineIsMalformed_NamesTheLineAndFieldButNoValue()
    {
        using var reader = new StringReader("{\"id\":\"a\",\"vector\":[1,0]}\n\n{\"id\":\"b\",\"vector\":[1,\"secret-text\"]}\n");

        var error = Assert.Throws<DocumentInputException>(() => DocumentSources.JsonLines(reader).ToList());

        Assert.Equal(3, error.Line);
        Assert.Contains("line 3: \"vector\" element 1 is not a finite 32-bit number", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-text", error.Message, StringComparison.Ordinal);
    }
}
