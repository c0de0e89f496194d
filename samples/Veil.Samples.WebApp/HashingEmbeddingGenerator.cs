using System.Text;
using Microsoft.Extensions.AI;

namespace Veil.Samples.WebApp;

/// <summary>
/// A stand-in for a real embedding model, so the sample runs without one: each word is hashed (FNV-1a) into one of
/// <see cref="SampleDocument.Dimensions"/> buckets with a sign, and the vector is scaled to unit length. Texts that
/// share words are near; replace it with any <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>.
/// </summary>
public sealed class HashingEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <inheritdoc/>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Embed(v)))));

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private static float[] Embed(string text)
    {
        var vector = new float[SampleDocument.Dimensions];
        foreach (string word in text.ToUpperInvariant().Split([' ', '\t', '\n', '.', ',', ';', ':', '!', '?'], StringSplitOptions.RemoveEmptyEntries))
        {
            uint hash = 2166136261;
            foreach (byte b in Encoding.UTF8.GetBytes(word))
            {
                hash = (hash ^ b) * 16777619;
            }

            vector[hash % SampleDocument.Dimensions] += (hash & 0x8000_0000) == 0 ? 1 : -1;
        }

        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(vector);
        if (norm == 0)
        {
            vector[0] = norm = 1;
        }

        System.Numerics.Tensors.TensorPrimitives.Divide(vector, norm, vector);
        return vector;
    }
}
