namespace Veil.Documents.Store.Tests;

/// <summary>
/// <see cref="DocumentIds"/> and <see cref="LabelledVectors.OpenSource"/> (moved from veil delete and the labelled
/// inputs of evaluate/train/predict).
/// </summary>
public sealed class DocumentIdsTests
{
    [Fact]
    public void ReadJsonLines_OfAFile_ReadsItsIds_AndNamesTheFileWhenItIsMissingOrALineIsBad()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.File("ids.jsonl"), "{\"id\":\"a\"}\n{\"id\":7}\n");
        File.WriteAllText(directory.File("bad.jsonl"), "{\"id\":\"a\"}\n[1]\n");

        List<string> ids = DocumentIds.ReadJsonLines(directory.File("ids.jsonl"));
        var missing = Assert.Throws<DocumentStoreException>(() => DocumentIds.ReadJsonLines(directory.File("none.jsonl")));
        var bad = Assert.Throws<DocumentStoreException>(() => DocumentIds.ReadJsonLines(directory.File("bad.jsonl")));
        var stdin = Assert.Throws<DocumentStoreException>(() => DocumentIds.ReadJsonLines(new StringReader("nope\n"), "stdin"));

        Assert.Equal(["a", "7"], ids);
        Assert.StartsWith($"Cannot read the ids file '{directory.File("none.jsonl")}'", missing.Message, StringComparison.Ordinal);
        Assert.Contains($"the ids of '{directory.File("bad.jsonl")}', line 2 is not an object", bad.Message, StringComparison.Ordinal);
        Assert.Contains("the ids of stdin, line 1 is not JSON", stdin.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseVector_ReadsAJsonArrayOfNumbers_AndRefusesAnythingElse()
    {
        Assert.Equal([0.5f, -1f, 3f], DocumentJson.ParseVector("[0.5, -1, 3e0]"));
        Assert.Throws<FormatException>(() => DocumentJson.ParseVector("[0.5,"));
        Assert.Throws<FormatException>(() => DocumentJson.ParseVector("{\"x\":1}"));
        Assert.Throws<FormatException>(() => DocumentJson.ParseVector("[\"a\"]"));
    }

    [Fact]
    public void Choose_PicksRawVectorsAFileOrStandardInput_AndRefusesTheMixes()
    {
        var vectorsOnly = Assert.Throws<DocumentStoreException>(() => DocumentInput.Choose(null, "v.bin", null, null, TextReader.Null));
        var both = Assert.Throws<DocumentStoreException>(() => DocumentInput.Choose("in.jsonl", "v.bin", "r.jsonl", null, TextReader.Null));

        Assert.Contains("--vectors and --records go together", vectorsOnly.Message, StringComparison.Ordinal);
        Assert.Contains("use either --input", both.Message, StringComparison.Ordinal);
        Assert.NotNull(DocumentInput.Choose(null, null, null, null, new StringReader("{\"id\":\"a\",\"vector\":[1]}\n")));
    }

    [Fact]
    public void RotationSummary_WritesItsJsonObjectAndLine()
    {
        var summary = new RotationSummary { Rotated = 3, AlreadyCurrent = 2, Failed = 1 };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            summary.WriteJson(writer);
        }

        using var json = System.Text.Json.JsonDocument.Parse(buffer.WrittenMemory);
        Assert.Equal(
            ["rotated", "alreadyCurrent", "failed", "vectorsRotated", "vectorsResealed", "vectorsMeasured", "meanRelativeDrift", "maxRelativeDrift"],
            json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal((3, 2, 1, 0), (json.RootElement.GetProperty("rotated").GetInt32(), json.RootElement.GetProperty("alreadyCurrent").GetInt32(), json.RootElement.GetProperty("failed").GetInt32(), json.RootElement.GetProperty("vectorsRotated").GetInt32()));
        Assert.Equal("3 rotated, 2 already current, 1 failed (left as they were; a re-run retries them).", summary.ToString());
    }

    [Fact]
    public void ReadJsonLines_ReadsStringAndNumberIds_SkippingBlankLinesAndOtherFields()
    {
        List<string> ids = DocumentIds.ReadJsonLines(new StringReader("{\"id\":\"a\",\"category\":\"x\"}\n\n{\"id\":12}\n"));

        Assert.Equal(["a", "12"], ids);
    }

    [Theory]
    [InlineData("{\"id\":\"a\"}\n[1]", "line 2")]
    [InlineData("{\"id\":true}", "line 1")]
    [InlineData("{\"name\":\"a\"}", "line 1")]
    [InlineData("{\"id\":\"a\"}\n{oops", "line 2 is not JSON")]
    public void ReadJsonLines_RefusesALineWithoutAnId_NamingTheLine(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => DocumentIds.ReadJsonLines(new StringReader(text))).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("v.bin", null, null)]
    [InlineData("v.bin", "r.jsonl", "in.jsonl")]
    [InlineData(null, null, "/no/such/input")]
    public void OpenSource_RefusesOptionsThatDoNotFitTogether(string? vectors, string? records, string? input) =>
        Assert.StartsWith("Invalid options", Assert.Throws<DocumentStoreException>(() => LabelledVectors.OpenSource(input, vectors, records, "/corpus")).Message, StringComparison.Ordinal);

    [Fact]
    public void OpenSource_WithNothingGiven_ReadsTheDefaultCorpus()
    {
        (string source, DocumentInput _) = LabelledVectors.OpenSource(null, null, null, "/corpus");

        Assert.Equal(Path.Combine("/corpus", "embeddings.bin"), source);
    }
}
