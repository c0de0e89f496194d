using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.AI;
using Veil.Extensions.Tests.Support;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Extensions.Tests;

/// <summary>
/// Embeddings in and out of the encrypting collection: <c>Embedding&lt;float&gt;</c> vector properties, text search
/// through <see cref="EncryptingCollectionOptions.EmbeddingGenerator"/>, and double encryption (an encrypting generator
/// feeding the encrypting collection) refused instead of silently ruining recall.
/// </summary>
public sealed class EmbeddingInputTests(RotatingClients keys) : IClassFixture<RotatingClients>
{
    private static readonly string[] Words = ["alpha", "bravo", "charlie", "delta"];

    [Fact]
    public async Task EmbeddingProperty_RoundTripsEncryptedAndSearches()
    {
        var inner = new InMemoryCollection<string, Passage>();
        var collection = new EncryptingVectorStoreCollection<string, Passage>(inner, keys.Client, TestOptions.Create());
        await collection.UpsertAsync(Words.Select((w, i) => new Passage { Id = w, Embedding = new Embedding<float>(Axis(i)) }));

        Passage stored = inner.Stored.Single(p => p.Id == "charlie");
        Passage read = (await collection.GetAsync("charlie", new RecordRetrievalOptions { IncludeVectors = true }))!;
        VectorSearchResult<Passage> found = await collection.SearchAsync(new Embedding<float>(Axis(2)), 1).SingleAsync();

        Assert.NotEqual(Axis(2), stored.Embedding!.Vector.ToArray());
        Assert.Equal(Axis(2), read.Embedding!.Vector.ToArray(), (a, b) => Math.Abs(a - b) < 1e-5f);
        Assert.Equal("charlie", found.Record.Id);
    }

    [Fact]
    public async Task SearchAsync_WithTextAndAGenerator_EmbedsOnTheKeyHolderAndFindsTheSameAsTheVector()
    {
        var generator = new WordAxisGenerator();
        EncryptingCollectionOptions options = TestOptions.Create();
        options.EmbeddingGenerator = generator;
        var collection = new EncryptingVectorStoreCollection<string, Passage>(new InMemoryCollection<string, Passage>(), keys.Client, options);
        await collection.UpsertAsync(Words.Select((w, i) => new Passage { Id = w, Embedding = new Embedding<float>(Axis(i)) }));

        VectorSearchResult<Passage> byText = await collection.SearchAsync("delta", 1).SingleAsync();

        Assert.Equal("delta", byText.Record.Id);
        Assert.Equal(["delta"], generator.Seen);
    }

    [Fact]
    public async Task SearchAsync_WithTextAndNoGenerator_SaysHowToConfigureOne()
    {
        var collection = new EncryptingVectorStoreCollection<string, Passage>(new InMemoryCollection<string, Passage>(), keys.Client, TestOptions.Create());

        NotSupportedException e = await Assert.ThrowsAsync<NotSupportedException>(() => collection.SearchAsync("delta", 1).ToListAsync().AsTask());
        Assert.Contains(nameof(EncryptingCollectionOptions.EmbeddingGenerator), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncryptingGeneratorFeedingTheEncryptingCollection_IsRefusedInSearchAndUpsert()
    {
        IEmbeddingGenerator<string, Embedding<float>> encrypting = new EmbeddingGeneratorBuilder<string, Embedding<float>>(new WordAxisGenerator())
            .UseVectorEncryption(keys.Client, new EncryptingEmbeddingGeneratorOptions(new SecretPath(RotatingClients.VectorPath), new DerivationPath("minilm"), new TenantId(RotatingClients.Tenant)))
            .Build();
        EncryptingCollectionOptions options = TestOptions.Create();
        options.EmbeddingGenerator = encrypting;
        var inner = new InMemoryCollection<string, Passage>();
        var collection = new EncryptingVectorStoreCollection<string, Passage>(inner, keys.Client, options);
        Embedding<float> alreadyEncrypted = (await encrypting.GenerateAsync(["alpha"]))[0];

        ArgumentException search = await Assert.ThrowsAsync<ArgumentException>(() => collection.SearchAsync("alpha", 1).ToListAsync().AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => collection.SearchAsync(alreadyEncrypted, 1).ToListAsync().AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(new Passage { Id = "alpha", Embedding = alreadyEncrypted }));

        Assert.Contains("already encrypted", search.Message, StringComparison.Ordinal);
        Assert.Empty(inner.Stored);
    }

    [Fact]
    public void TheMarkerTheCollectionLooksFor_IsTheOneTheGeneratorWrites() =>
        Assert.Equal(EncryptingEmbeddingGenerator.KeyIdKey, "veil.keyId");

    private static float[] Axis(int axis)
    {
        float[] vector = new float[Passage.Dimensions];
        vector[axis] = 1f;
        return vector;
    }

    /// <summary>Embeds one of <see cref="Words"/> as its axis; records what it was asked.</summary>
    private sealed class WordAxisGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        public List<string> Seen { get; } = [];

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var embeddings = new GeneratedEmbeddings<Embedding<float>>();
            foreach (string value in values)
            {
                Seen.Add(value);
                embeddings.Add(new Embedding<float>(Axis(Array.IndexOf(Words, value))));
            }

            return Task.FromResult(embeddings);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}

/// <summary>A record whose vector is an <see cref="Embedding{T}"/>.</summary>
public sealed class Passage
{
    public const int Dimensions = 4;

    [VectorStoreKey]
    public string Id { get; set; } = string.Empty;

    [VectorStoreData]
    [PairedIclInfo(nameof(Embedding))]
    public string? EmbeddingInfo { get; set; }

    [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
    public Embedding<float>? Embedding { get; set; }
}

/// <summary>A store's own search options type passes through the encrypting collection with its settings.</summary>
public sealed class StoreSearchOptionsTests(RotatingClients keys) : IClassFixture<RotatingClients>
{
    [Fact]
    public async Task SearchAsync_WithAStoresOwnOptionsType_PassesACopyWithItsSettingsToTheInnerStore()
    {
        var inner = new InMemoryCollection<string, Passage>();
        var collection = new EncryptingVectorStoreCollection<string, Passage>(inner, keys.Client, TestOptions.Create());
        await collection.UpsertAsync(new Passage { Id = "a", Embedding = new Embedding<float>(new float[] { 1, 0, 0, 0 }) });
        var options = new TunedSearchOptions { Tuning = 321, Skip = 0 };

        await collection.SearchAsync(new float[] { 1, 0, 0, 0 }, 1, options).ToListAsync();

        // One search per live key (two here), each with a copy of the caller's options type and its settings.
        Assert.Equal(2, inner.SearchOptions.Count);
        Assert.All(inner.SearchOptions, o =>
        {
            TunedSearchOptions received = Assert.IsType<TunedSearchOptions>(o);
            Assert.Equal(321, received.Tuning);
            Assert.NotSame(options, received);
            Assert.True(received.IncludeVectors);
        });
    }

    /// <summary>Stands for a store's own options (such as PostgresVectorSearchOptions.EfSearch).</summary>
    public sealed class TunedSearchOptions : VectorSearchOptions<Passage>
    {
        public int Tuning { get; set; }
    }
}
