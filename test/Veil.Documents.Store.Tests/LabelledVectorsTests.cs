namespace Veil.Documents.Store.Tests;

/// <summary><see cref="LabelledVectors.Read"/>: rows and labels for evaluation and training, from any document input.</summary>
public sealed class LabelledVectorsTests
{
    private static DocumentInput Corpus =>
        DocumentInput.RawVectors(Path.Combine(AppContext.BaseDirectory, "corpus", "embeddings.bin"), Path.Combine(AppContext.BaseDirectory, "corpus", "records.jsonl"), dimensions: null);

    [Fact]
    public async Task EmbedAsync_NumbersTheTextsInOrderWithoutLabels()
    {
        var generator = new Support.BagOfWordsGenerator();

        LabelledVectors rows = await LabelledVectors.EmbedAsync(["a game", "a font", "a game"], generator);

        Assert.Equal(["1", "2", "3"], rows.Ids);
        Assert.Equal(new string?[3], rows.Labels);
        Assert.Equal(Support.BagOfWordsGenerator.Dimensions, rows.Dimensions);
        Assert.Equal(rows.Vectors[0], rows.Vectors[2]);
        Assert.NotEqual(rows.Vectors[0], rows.Vectors[1]);
        Assert.Equal([3], generator.Batches);
    }

    [Fact]
    public void Read_LabelsFromTheCategoryAFieldOrAFile()
    {
        using var directory = new TempDirectory();
        string file = directory.File("labels.txt");
        File.WriteAllLines(file, Enumerable.Range(0, 60).Select(i => i % 2 == 0 ? "even" : string.Empty));

        LabelledVectors byCategory = LabelledVectors.Read(Corpus, "corpus", VeilDocument.CategoryField, minimumRows: 20, limit: 60);
        LabelledVectors byField = LabelledVectors.Read(Corpus, "corpus", "title", minimumRows: 20, limit: 60);
        LabelledVectors byFile = LabelledVectors.Read(Corpus, "corpus", file, minimumRows: 20, limit: 60);

        Assert.Equal(60, byCategory.Ids.Length);
        Assert.Equal(384, byCategory.Dimensions);
        Assert.Equal(byCategory.Ids, byField.Ids);
        Assert.Contains(byCategory.Labels, l => l is not null);
        Assert.All(byField.Labels, l => Assert.False(string.IsNullOrEmpty(l)));
        Assert.NotEqual(byCategory.Labels, byField.Labels);
        Assert.Equal(Enumerable.Range(0, 60).Select(i => i % 2 == 0 ? "even" : null), byFile.Labels);
    }

    [Fact]
    public void Load_OfACorpusDirectory_ReadsItsRowsAndNamesTheVectorsFile_AndRefusesTextWithRawVectors()
    {
        string corpus = Path.Combine(AppContext.BaseDirectory, "corpus");
        using var generator = new Support.BagOfWordsGenerator();

        (LabelledVectors rows, string source) = LabelledVectors.Load(input: null, vectors: null, records: null, VeilDocument.CategoryField, corpus, minimumRows: 5, limit: 5);
        var mixed = Assert.Throws<DocumentStoreException>(() => LabelledVectors.Load(input: null, vectors: null, records: null, "title", corpus, minimumRows: 1, text: new TextEmbedding("title", generator)));
        var tooFew = Assert.Throws<DocumentStoreException>(() => LabelledVectors.Load(input: null, vectors: null, records: null, "title", corpus, minimumRows: 5, limit: 4));

        Assert.Equal(5, rows.Ids.Length);
        Assert.Equal(384, rows.Dimensions);
        Assert.Equal(Path.Combine(corpus, "embeddings.bin"), source);
        Assert.Contains("text to embed is read from a JSON Lines --input file (with the field \"title\")", mixed.Message, StringComparison.Ordinal);
        Assert.Contains("must be at least 5", tooFew.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WhenTheLabelsAreNeitherAFileNorAField_ThrowsNamingThem()
    {
        var e = Assert.Throws<DocumentStoreException>(() => LabelledVectors.Read(Corpus, "corpus", "no-such-field", minimumRows: 20, limit: 60));

        Assert.Contains("'no-such-field' are neither a file nor a field", e.Message);
    }

    [Fact]
    public void Read_WhenTheLabelFileIsShort_ThrowsCountingBoth()
    {
        using var directory = new TempDirectory();
        string file = directory.File("labels.txt");
        File.WriteAllLines(file, ["a", "b"]);

        var e = Assert.Throws<DocumentStoreException>(() => LabelledVectors.Read(Corpus, "corpus", file, minimumRows: 20, limit: 30));

        Assert.Contains("has 2 labels for 30 rows", e.Message);
    }

    [Fact]
    public void Read_WhenTooFewRowsOrRowsOfDifferentDimensions_Throws()
    {
        using var directory = new TempDirectory();
        string lines = directory.File("rows.jsonl");
        File.WriteAllLines(lines, ["""{"id":"a","vector":[1,0],"category":"x"}""", """{"id":"b","vector":[1,0,0],"category":"y"}"""]);

        var few = Assert.Throws<DocumentStoreException>(() => LabelledVectors.Read(Corpus, "corpus", VeilDocument.CategoryField, minimumRows: 20, limit: 10));
        var ragged = Assert.Throws<DocumentStoreException>(() => LabelledVectors.Read(DocumentInput.File(lines), "rows.jsonl", VeilDocument.CategoryField, minimumRows: 2));

        Assert.Contains("at least 20", few.Message);
        Assert.Contains("row 2 of 'rows.jsonl' has 3 dimensions; the first row has 2", ragged.Message);
    }
}
