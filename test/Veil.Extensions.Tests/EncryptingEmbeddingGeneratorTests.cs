using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Veil.Extensions.AI;
using Veil.Extensions.Tests.Support;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Extensions.Tests;

public sealed class EncryptingEmbeddingGeneratorTests(RotatingClients keys) : IClassFixture<RotatingClients>
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(4, 2, 0.5f, seed: 11);

    private static EncryptingEmbeddingGeneratorOptions Options(bool decryptable = false) =>
        new(RotatingClients.VectorPath, "minilm", RotatingClients.Tenant) { Decryptable = decryptable };

    [Fact]
    public async Task GenerateAsync_WhenOneWay_ReturnsCiphertextThatMatchesPlaintextNeighbours()
    {
        using var generator = new EncryptingEmbeddingGenerator(new FakeModel(), keys.Client, Options());

        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(["0", "1", "2"]);

        Assert.Equal(3, embeddings.Count);
        Assert.Equal(100, embeddings.Usage!.InputTokenCount);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Doc.Dimensions, embeddings[i].Vector.Length);
            Assert.True(TensorPrimitives.Distance(embeddings[i].Vector.Span, s_vectors[i]) > 0.1f);
            Assert.Equal(2u, embeddings[i].AdditionalProperties![EncryptingEmbeddingGenerator.KeyIdKey]);
            Assert.False(embeddings[i].AdditionalProperties!.ContainsKey(EncryptingEmbeddingGenerator.PairedIclInfoKey));
            Assert.Equal("fake-model", embeddings[i].ModelId);
        }

        // An encrypted query (current key) is nearest to its own encrypted document.
        QueryVector query = keys.Client.Vector.GenerateQueryVectors(s_vectors[1], RotatingClients.VectorPath, "minilm", RotatingClients.Tenant)[0];
        Assert.Equal(1, Enumerable.Range(0, 3).MaxBy(i => TensorPrimitives.CosineSimilarity(embeddings[i].Vector.Span, query.Ciphertext.Span)));
    }

    [Fact]
    public async Task GenerateAsync_WhenDecryptable_AttachesPairedIclInfoThatDecrypts()
    {
        using var generator = new EncryptingEmbeddingGenerator(new FakeModel(), keys.Client, Options(decryptable: true));

        Embedding<float> embedding = (await generator.GenerateAsync(["2"]))[0];
        var info = (byte[])embedding.AdditionalProperties![EncryptingEmbeddingGenerator.PairedIclInfoKey]!;
        float[] decrypted = keys.Client.Vector.Decrypt(new EncryptedVector(embedding.Vector, info, RotatingClients.VectorPath, "minilm"), RotatingClients.Tenant);

        Assert.Equal(54, info.Length);
        Assert.True(TensorPrimitives.Distance(decrypted, s_vectors[2]) < 1e-4f);
    }

    [Fact]
    public async Task UseVectorEncryption_WhenAddedLast_OuterMiddlewareSeesOnlyCiphertext()
    {
        var model = new FakeModel();
        Capturing? outer = null;
        IEmbeddingGenerator<string, Embedding<float>> pipeline = new EmbeddingGeneratorBuilder<string, Embedding<float>>(model)
            .Use(inner => outer = new Capturing(inner))
            .UseVectorEncryption(keys.Client, Options())
            .Build();

        GeneratedEmbeddings<Embedding<float>> result = await pipeline.GenerateAsync(["0", "3"]);

        Assert.NotNull(outer);
        Assert.Equal(2, outer.Seen.Count);
        for (int i = 0; i < 2; i++)
        {
            float[] plaintext = s_vectors[i == 0 ? 0 : 3];
            Assert.True(TensorPrimitives.Distance(outer.Seen[i], plaintext) > 0.1f, "outer middleware saw a plaintext embedding");
            Assert.Equal(result[i].Vector.ToArray(), outer.Seen[i]);
        }

        Assert.Same(keys.Client, pipeline.GetService(typeof(VeilClient)));
        Assert.IsType<EncryptingEmbeddingGenerator>(pipeline.GetService(typeof(EncryptingEmbeddingGenerator)));
        Assert.Same(model, pipeline.GetService(typeof(FakeModel)));
    }

    [Fact]
    public async Task UseVectorEncryption_WhenAddedFirst_OuterPositionLeavesInnerMiddlewareWithPlaintext()
    {
        // The wrong order, documented in the remarks: middleware added after it sits inside and sees plaintext.
        Capturing? inside = null;
        IEmbeddingGenerator<string, Embedding<float>> pipeline = new EmbeddingGeneratorBuilder<string, Embedding<float>>(new FakeModel())
            .UseVectorEncryption(keys.Client, Options())
            .Use(inner => inside = new Capturing(inner))
            .Build();

        await pipeline.GenerateAsync(["0"]);

        Assert.Equal(s_vectors[0], inside!.Seen[0]);
    }

    [Fact]
    public async Task GenerateAsync_WhenEmbeddingHasNaN_ThrowsArgumentException()
    {
        using var generator = new EncryptingEmbeddingGenerator(new FakeModel { Poison = true }, keys.Client, Options());

        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["0"]));
    }

    [Fact]
    public async Task GenerateAsync_WhenInnerThrows_ExceptionPassesThrough()
    {
        var failure = new InvalidOperationException("model offline");
        using var generator = new EncryptingEmbeddingGenerator(new FakeModel { Failure = failure }, keys.Client, Options());

        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => generator.GenerateAsync(["0"])));
    }

    /// <summary>A model whose embedding of "i" is the i-th test vector.</summary>
    private sealed class FakeModel : IEmbeddingGenerator<string, Embedding<float>>
    {
        public bool Poison { get; init; }

        public Exception? Failure { get; init; }

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            if (Failure is not null)
            {
                throw Failure;
            }

            var result = new GeneratedEmbeddings<Embedding<float>>(values.Select(v =>
            {
                float[] vector = (float[])s_vectors[int.Parse(v)].Clone();
                if (Poison)
                {
                    vector[0] = float.NaN;
                }

                return new Embedding<float>(vector) { ModelId = "fake-model" };
            }))
            {
                Usage = new UsageDetails { InputTokenCount = 100 },
            };
            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }

    /// <summary>Middleware that records every embedding it sees (a stand-in for logging or caching).</summary>
    private sealed class Capturing(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
    {
        public List<float[]> Seen { get; } = [];

        public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            GeneratedEmbeddings<Embedding<float>> result = await base.GenerateAsync(values, options, cancellationToken);
            Seen.AddRange(result.Select(e => e.Vector.ToArray()));
            return result;
        }
    }
}
