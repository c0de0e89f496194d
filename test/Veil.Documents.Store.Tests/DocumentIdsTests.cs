namespace Veil.Documents.Store.Tests;

/// <summary>
/// <see cref="DocumentIds"/> and <see cref="LabelledVectors.OpenSource"/> (moved from veil delete and the labelled
/// inputs of evaluate/train/predict).
/// </summary>
public sealed class DocumentIdsTests
{
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
