using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Veil.Embeddings.MiniLM;
using Veil.Embeddings.Onnx;

namespace Veil.Benchmarks;

/// <summary>
/// all-MiniLM-L6-v2 (the bundled model) embedding 64 texts of about <see cref="Tokens"/> tokens each, in batches of 32
/// (ONNX Runtime uses every core inside a run). Texts per second = 64 / mean.
/// </summary>
[MemoryDiagnoser]
public class MiniLmEmbeddingBenchmarks
{
    private const int Texts = 64;

    private OnnxEmbeddingGenerator _generator = null!;
    private string[] _texts = [];

    [Params(128, 256)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _generator = MiniLmModel.CreateGenerator(new OnnxEmbeddingGeneratorOptions { MaxTokens = Tokens, BatchSize = 32 });

        // Common English words are one WordPiece token each; the generator truncates to Tokens (with [CLS] and [SEP]).
        string[] words = ["the", "key", "holder", "encrypts", "each", "vector", "before", "it", "reaches", "a", "store", "and", "search", "still", "works"];
        var random = new Random(20261204);
        _texts = Enumerable.Range(0, Texts)
            .Select(_ => string.Join(' ', Enumerable.Range(0, Tokens).Select(_ => words[random.Next(words.Length)])))
            .ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _generator.Dispose();

    [Benchmark]
    public async Task<int> Embed64()
    {
        GeneratedEmbeddings<Embedding<float>> embeddings = await _generator.GenerateAsync(_texts);
        return embeddings.Count;
    }
}
