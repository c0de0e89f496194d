using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Veil.Embeddings.Onnx;

namespace Veil.Embeddings.Tests;

/// <summary>
/// The ONNX path on the committed toy BERT-shaped model (TestData/tiny-bert.onnx, made by TestData/make_tiny_bert.py):
/// real ONNX Runtime, real WordPiece tokenisation, 8 hidden units.
/// </summary>
public sealed class OnnxEmbeddingGeneratorTests : IDisposable
{
    private static readonly string s_model = Path.Combine(AppContext.BaseDirectory, "TestData", "tiny-bert.onnx");
    private static readonly string s_vocabulary = Path.Combine(AppContext.BaseDirectory, "TestData", "vocab.txt");

    private readonly OnnxEmbeddingGenerator _generator = new(s_model, s_vocabulary);

    public void Dispose() => _generator.Dispose();

    [Fact]
    public async Task GenerateAsync_WhenTwoTexts_ReturnsOneUnitVectorOfTheModelsDimensionEach()
    {
        GeneratedEmbeddings<Embedding<float>> embeddings = await _generator.GenerateAsync(["How do I deploy a Fiori app?", "filter the table"]);

        Assert.Equal(8, _generator.Dimensions);
        Assert.Equal(2, embeddings.Count);
        foreach (Embedding<float> embedding in embeddings)
        {
            Assert.Equal(8, embedding.Vector.Length);
            Assert.InRange(TensorPrimitives.Norm(embedding.Vector.Span), 0.9999f, 1.0001f);
        }
    }

    [Fact]
    public async Task GenerateAsync_WhenTextsEqual_EmbedsEquallyEvenInDifferentBatches()
    {
        const string text = "How do I deploy a Fiori app?";

        float[] alone = (await _generator.GenerateVectorAsync(text)).ToArray();
        GeneratedEmbeddings<Embedding<float>> batch = await _generator.GenerateAsync([text, "a much longer text about search and encrypted vector keys in the cloud", text]);

        Assert.Equal(alone, batch[0].Vector.ToArray());
        Assert.Equal(alone, batch[2].Vector.ToArray());
    }

    [Fact]
    public async Task GenerateAsync_WhenTextsDiffer_EmbedsDifferently()
    {
        GeneratedEmbeddings<Embedding<float>> embeddings = await _generator.GenerateAsync(["deploy the app", "filter the table", "DEPLOY THE APP"]);

        Assert.True(TensorPrimitives.CosineSimilarity(embeddings[0].Vector.Span, embeddings[1].Vector.Span) < 0.99f);
        // The vocabulary is uncased, so case does not matter.
        Assert.Equal(embeddings[0].Vector.ToArray(), embeddings[2].Vector.ToArray());
    }

    [Fact]
    public async Task GenerateAsync_WhenTextLongerThanMaxTokens_TruncatesIt()
    {
        using var generator = new OnnxEmbeddingGenerator(s_model, s_vocabulary, new OnnxEmbeddingGeneratorOptions { MaxTokens = 4 });

        float[] shortText = (await generator.GenerateVectorAsync("deploy the")).ToArray();
        float[] longText = (await generator.GenerateVectorAsync("deploy the app to the cloud")).ToArray();

        Assert.Equal(shortText, longText);
    }

    [Fact]
    public void GetService_WhenMetadataAsked_NamesTheModelAndDimensions()
    {
        var metadata = (EmbeddingGeneratorMetadata?)_generator.GetService(typeof(EmbeddingGeneratorMetadata));

        Assert.NotNull(metadata);
        Assert.Equal("onnxruntime", metadata.ProviderName);
        Assert.Equal("tiny-bert", metadata.DefaultModelId);
        Assert.Equal(8, metadata.DefaultModelDimensions);
    }

    [Fact]
    public void Constructor_WhenModelMissing_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => new OnnxEmbeddingGenerator(Path.Combine(AppContext.BaseDirectory, "missing.onnx"), s_vocabulary));
    }

    [Fact]
    public void Constructor_WhenFileIsNotAModel_ThrowsInvalidOperationNamingIt()
    {
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => new OnnxEmbeddingGenerator(s_vocabulary, s_vocabulary));

        Assert.Contains("vocab.txt", e.Message);
    }
}
