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
        new(new SecretPath(RotatingClients.VectorPath), new DerivationPath("minilm"), new TenantId(RotatingClients.Tenant)) { Decryptable = decryptable };

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
        QueryVector query = keys.Client.Vector.GenerateQueryVectors(s_vectors[1], new SecretPath(RotatingClients.VectorPath), new DerivationPath("minilm"), new TenantId(RotatingClients.Tenant))[0];
        Assert.Equal(1, Enumerable.Range(0, 3).MaxBy(i => TensorPrimitives.CosineSimilarity(embeddings[i].Vector.Span, query.Ciphertext.Span)));
    }

    [Fact]
    public async Task GenerateAsync_WhenDecryptable_AttachesPairedIclInfoThatDecrypts()
    {
        using var generator = new EncryptingEmbeddingGenerator(new FakeModel(), keys.Client, Options(decryptable: true));

        Embedding<float> embedding = (await generator.GenerateAsync(["2"]))[0];
        var info = (byte[])embedding.AdditionalProperties![EncryptingEmbeddingGenerator.PairedIclInfoKey]!;
        float[] decrypted = keys.Client.Vector.Decrypt(new EncryptedVector(embedding.Vector, info, new SecretPath(RotatingClients.VectorPath), new DerivationPath("minilm")), new TenantId(RotatingClients.Tenant));

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

    [Theory]
    [InlineData(typeof(VeilClient))]
    [InlineData(typeof(IVeilOperations))]
    [InlineData(typeof(IVeilVectorOperations))]
    [InlineData(typeof(LocalVeilOperations))]
    [InlineData(typeof(RemoteLikeOperations))]
    [InlineData(typeof(VeilConfiguration))]
    public void GetService_ForAKeyHolder_ReturnsNullEvenWhenTheInnerGeneratorOffersOne(Type keyHolder)
    {
        // The attack: anyone handed the pipeline asks it for the key holder, to decrypt or to reach the keys.
        var remote = new RemoteLikeOperations(new LocalVeilOperations(keys.Client));
        var leaky = new FakeModel { Offers = [keys.Client, remote, new LocalVeilOperations(keys.Client), keys.Client.Configuration] };
        IEmbeddingGenerator<string, Embedding<float>> viaClient = new EmbeddingGeneratorBuilder<string, Embedding<float>>(leaky)
            .UseVectorEncryption(keys.Client, Options())
            .Build();
        IEmbeddingGenerator<string, Embedding<float>> viaOperations = new EmbeddingGeneratorBuilder<string, Embedding<float>>(leaky)
            .UseVectorEncryption(remote, Options())
            .Build();

        Assert.Null(viaClient.GetService(keyHolder));
        Assert.Null(viaOperations.GetService(keyHolder));
        Assert.Null(viaClient.GetService(keyHolder, serviceKey: "any"));
        Assert.Same(leaky, viaOperations.GetService(typeof(FakeModel)));
        Assert.IsType<EncryptingEmbeddingGenerator>(viaOperations.GetService(typeof(EncryptingEmbeddingGenerator)));
    }

    [Fact]
    public async Task GenerateAsync_ThroughUserWrittenOperations_EncryptsWithTheKeyHoldersKeys()
    {
        // The generator holds no keys: a remote-like IVeilOperations (written with the public API only) does the work.
        var remote = new RemoteLikeOperations(new LocalVeilOperations(keys.Client));
        using var oneWay = new EncryptingEmbeddingGenerator(new FakeModel(), remote, Options());
        using var decryptable = new EncryptingEmbeddingGenerator(new FakeModel(), remote, Options(decryptable: true));

        GeneratedEmbeddings<Embedding<float>> queries = await oneWay.GenerateAsync(["0", "1", "2"]);
        Embedding<float> stored = (await decryptable.GenerateAsync(["1"]))[0];
        var info = (byte[])stored.AdditionalProperties![EncryptingEmbeddingGenerator.PairedIclInfoKey]!;
        float[] decrypted = keys.Client.Vector.Decrypt(new EncryptedVector(stored.Vector, info, new SecretPath(RotatingClients.VectorPath), new DerivationPath("minilm")), new TenantId(RotatingClients.Tenant));

        Assert.Equal(["GenerateQueryVectorsBatchAsync", "EncryptBatchAsync"], remote.Calls);
        Assert.True(TensorPrimitives.Distance(decrypted, s_vectors[1]) < 1e-4f);
        Assert.All(queries, q => Assert.Equal(2u, q.AdditionalProperties![EncryptingEmbeddingGenerator.KeyIdKey]));
        Assert.Equal(1, Enumerable.Range(0, 3).MaxBy(i => TensorPrimitives.CosineSimilarity(queries[i].Vector.Span, stored.Vector.Span)));
    }

    [Fact]
    public async Task GenerateAsync_WhenTheKeyHolderFailsAnItem_ThrowsThatItemsError()
    {
        var remote = new RemoteLikeOperations(new LocalVeilOperations(keys.Client));
        remote.FailIndexes.Add(1);
        using var generator = new EncryptingEmbeddingGenerator(new FakeModel(), remote, Options());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => generator.GenerateAsync(["0", "1"]));

        Assert.Contains("Item 1", error.Message, StringComparison.Ordinal);
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

        /// <summary>Objects it hands out from GetService besides itself (a leaky inner generator).</summary>
        public object[] Offers { get; init; } = [];

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType.IsInstanceOfType(this) ? this : Offers.FirstOrDefault(serviceType.IsInstanceOfType);

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
