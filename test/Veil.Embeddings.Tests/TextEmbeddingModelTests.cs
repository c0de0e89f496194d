using Veil.Embeddings.Onnx;

namespace Veil.Embeddings.Tests;

/// <summary><see cref="TextEmbeddingModel"/>: opens the given files or the add-on, and embeds texts as the generator does.</summary>
public sealed class TextEmbeddingModelTests
{
    private static string TinyModel => Path.Combine(AppContext.BaseDirectory, "TestData", "tiny-bert.onnx");

    private static string TinyVocabulary => Path.Combine(AppContext.BaseDirectory, "TestData", "vocab.txt");

    [Fact]
    public async Task EmbedAsync_OfTheGivenFiles_GivesWhatTheGeneratorGives_OneTextOrMany()
    {
        using OnnxEmbeddingGenerator generator = TextEmbeddingModel.Open(TinyModel, TinyVocabulary);
        string[] texts = ["filter the table", "deploy to the cloud"];

        float[] one = await generator.EmbedAsync(texts[1]);
        float[][] many = await generator.EmbedAsync(texts);
        float[][] direct = (await generator.GenerateAsync(texts)).Select(e => e.Vector.ToArray()).ToArray();

        Assert.Equal(2, many.Length);
        Assert.Equal(direct[0], many[0]);
        Assert.Equal(direct[1], one);
        Assert.Equal(generator.Dimensions, one.Length);
        Assert.Equal("tiny-bert", generator.ModelName());
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Open_WhenOnlyOneFileIsGiven_Throws(bool model, bool vocabulary)
    {
        var e = Assert.Throws<ArgumentException>(() => TextEmbeddingModel.Open(model ? TinyModel : null, vocabulary ? TinyVocabulary : null));

        Assert.Contains("go together", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WithoutFiles_WhenTheAddOnIsNotInTheFolder_ThrowsNotFound()
    {
        using var empty = new TempDirectory();

        Assert.Throws<PackagedModelNotFoundException>(() => TextEmbeddingModel.Open(null, null, empty.Path));
    }
}
