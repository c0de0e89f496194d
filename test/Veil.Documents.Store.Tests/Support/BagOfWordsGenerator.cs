using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace Veil.Documents.Store.Tests.Support;

/// <summary>Hashes each word into one of 16 dimensions and L2-normalises; records each call's batch size.</summary>
internal sealed class BagOfWordsGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimensions = 16;

    public List<int> Batches { get; } = [];

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        string[] texts = values.ToArray();
        Batches.Add(texts.Length);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (string text in texts)
        {
            var vector = new float[Dimensions];
            foreach (string word in text.Split(' '))
            {
                vector[(int)((uint)StableHash(word) % Dimensions)] += 1f;
            }

            float norm = TensorPrimitives.Norm(vector);
            TensorPrimitives.Divide(vector, norm, vector);
            result.Add(new Embedding<float>(vector));
        }

        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private static int StableHash(string word)
    {
        int h = 17;
        foreach (char c in word)
        {
            h = unchecked((h * 31) + c);
        }

        return h;
    }
}
