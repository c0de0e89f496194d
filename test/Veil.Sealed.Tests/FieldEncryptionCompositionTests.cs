using System.Numerics.Tensors;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

/// <summary>
/// Deterministic and standard field encryption with sealed vectors: the sealed collection over the encrypting
/// decorator (whose record's vector reaches it unset) over the store. Filters on deterministic fields reach the store
/// as ciphertext equality.
/// </summary>
public sealed class FieldEncryptionCompositionTests : IDisposable
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(400, Doc.Dimensions, 20, 0.5f, seed: 41);
    private readonly Secret _vector = Secret.Generate();
    private readonly Secret _fields = Secret.Generate();
    private readonly Secret _documents = Secret.Generate();
    private readonly VeilClient _client;
    private readonly SealedKeyring _keyring;

    public FieldEncryptionCompositionTests()
    {
        var standard = new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), _documents)]);
        _client = new VeilClient(new VeilConfiguration(
            vector: new Dictionary<SecretPath, VectorSecret> { [TestIds.Vec] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), _vector))) },
            deterministic: new Dictionary<SecretPath, RotatableSecret> { [new SecretPath("det")] = new RotatableSecret(new IdentifiedSecret(new KeyId(1), _fields)) },
            standard: standard));
        _keyring = new SealedKeyring(standard, new TenantId("tenant-1"));
    }

    public void Dispose()
    {
        _client.Dispose();
        _keyring.Dispose();
        _vector.Dispose();
        _fields.Dispose();
        _documents.Dispose();
    }

    [Fact]
    public async Task SealedOverFieldEncryption_StoresCiphertextFieldsAndNoVector_AndFiltersOnTheDeterministicField()
    {
        var inner = new InMemoryCollection<string, FieldDoc>("docs") { RefuseSearch = true };
        var fields = new EncryptingVectorStoreCollection<string, FieldDoc>(
            inner, _client, new EncryptingCollectionOptions(TestIds.Vec, new DerivationPath("d"), new TenantId("tenant-1")) { DeterministicSecretPath = new SecretPath("det") });
        using var collection = new SealedVectorStoreCollection<string, FieldDoc>(fields, _keyring, new InMemorySealedIndexStorage(), new SealedCollectionOptions { Index = new SealedIndexOptions { Seed = 1 } });

        await collection.UpsertAsync(s_vectors.Select((v, i) => new FieldDoc { Id = $"doc-{i}", Category = $"cat-{i % 4}", Title = $"Title {i}", Embedding = v }));

        FieldDoc stored = inner.Stored.Single(d => d.Id == "doc-5");
        Assert.Null(stored.Embedding);
        Assert.NotEqual("cat-1", stored.Category);
        Assert.NotEqual("Title 5", stored.Title);
        Assert.NotNull(stored.SealedEmbedding);

        List<VectorSearchResult<FieldDoc>> results = await collection.SearchAsync(s_vectors[5], 10, new VectorSearchOptions<FieldDoc> { Filter = d => d.Category == "cat-1" }).ToListAsync();
        int[] exact = Enumerable.Range(0, s_vectors.Length).Where(i => i % 4 == 1).OrderByDescending(i => TensorPrimitives.CosineSimilarity(s_vectors[i], s_vectors[5])).Take(10).ToArray();
        Assert.Equal(exact.Select(i => $"doc-{i}"), results.Select(r => r.Record.Id));
        Assert.All(results, r => Assert.Equal($"Title {r.Record.Id[4..]}", r.Record.Title));
    }

    [Fact]
    public async Task OneDecorator_UpsertGetSearchDelete_EncryptsFieldsSealsVectorsAndFiltersOnTheDeterministicField()
    {
        var inner = new InMemoryCollection<string, FieldDoc>("docs") { RefuseSearch = true };
        using SealedVectorStoreCollection<string, FieldDoc> collection = OneDecorator(inner);

        await collection.UpsertAsync(s_vectors.Select((v, i) => new FieldDoc { Id = $"doc-{i}", Category = $"cat-{i % 4}", Title = $"Title {i}", Embedding = v }));

        FieldDoc stored = inner.Stored.Single(d => d.Id == "doc-5");
        Assert.Null(stored.Embedding);
        Assert.NotEqual("cat-1", stored.Category);
        Assert.NotEqual("Title 5", stored.Title);
        Assert.Equal(SealedBox.Overhead + (4 * Doc.Dimensions), Convert.FromBase64String(stored.SealedEmbedding!).Length);

        FieldDoc? got = await collection.GetAsync("doc-5", new RecordRetrievalOptions { IncludeVectors = true });
        Assert.Equal(("cat-1", "Title 5"), (got!.Category, got.Title));
        Assert.Equal(s_vectors[5], got.Embedding!.Value.ToArray());
        Assert.Null(got.SealedEmbedding);

        List<VectorSearchResult<FieldDoc>> all = await collection.SearchAsync(s_vectors[7], 10).ToListAsync();
        int[] exactAll = Enumerable.Range(0, s_vectors.Length).OrderByDescending(i => TensorPrimitives.CosineSimilarity(s_vectors[i], s_vectors[7])).Take(10).ToArray();
        Assert.Equal(exactAll.Select(i => $"doc-{i}"), all.Select(r => r.Record.Id));
        Assert.Equal(TensorPrimitives.CosineSimilarity(s_vectors[exactAll[1]], s_vectors[7]), all[1].Score!.Value, 5);

        List<VectorSearchResult<FieldDoc>> filtered = await collection.SearchAsync(s_vectors[5], 10, new VectorSearchOptions<FieldDoc> { Filter = d => d.Category == "cat-1" }).ToListAsync();
        int[] exact = Enumerable.Range(0, s_vectors.Length).Where(i => i % 4 == 1).OrderByDescending(i => TensorPrimitives.CosineSimilarity(s_vectors[i], s_vectors[5])).Take(10).ToArray();
        Assert.Equal(exact.Select(i => $"doc-{i}"), filtered.Select(r => r.Record.Id));
        Assert.All(filtered, r => Assert.Equal(($"Title {r.Record.Id[4..]}", "cat-1"), (r.Record.Title, r.Record.Category)));
        Assert.Equal(100, await collection.GetAsync(d => d.Category == "cat-2", 1000).CountAsync());

        await collection.DeleteAsync("doc-5");
        Assert.Null(await collection.GetAsync("doc-5"));
        Assert.DoesNotContain("doc-5", (await collection.SearchAsync(s_vectors[5], 10).ToListAsync()).Select(r => r.Record.Id));
        Assert.DoesNotContain(inner.Stored, d => d.Id == "doc-5");
    }

    [Fact]
    public async Task OneDecorator_WhenASealedVectorIsSwappedOrAltered_OrAnEncryptedFieldAltered_RefusesTheRow()
    {
        var inner = new InMemoryCollection<string, FieldDoc>("docs") { RefuseSearch = true };
        using SealedVectorStoreCollection<string, FieldDoc> collection = OneDecorator(inner);
        await collection.UpsertAsync(s_vectors.Take(20).Select((v, i) => new FieldDoc { Id = $"doc-{i}", Category = $"cat-{i % 4}", Title = $"Title {i}", Embedding = v }));
        FieldDoc one = inner.Stored.Single(d => d.Id == "doc-1");
        FieldDoc two = inner.Stored.Single(d => d.Id == "doc-2");

        FieldDoc swappedVector = Copy(one);
        swappedVector.SealedEmbedding = two.SealedEmbedding;
        await inner.UpsertAsync(swappedVector);
        await Assert.ThrowsAsync<System.Security.Cryptography.CryptographicException>(() => collection.GetAsync("doc-1"));

        FieldDoc altered = Copy(two);
        byte[] box = Convert.FromBase64String(two.SealedEmbedding!);
        box[^1] ^= 1;
        altered.SealedEmbedding = Convert.ToBase64String(box);
        await inner.UpsertAsync(altered);
        await Assert.ThrowsAsync<System.Security.Cryptography.CryptographicException>(() => collection.GetAsync("doc-2"));

        FieldDoc alteredTitle = Copy(inner.Stored.Single(d => d.Id == "doc-3"));
        int middle = alteredTitle.Title!.Length / 2;
        alteredTitle.Title = string.Concat(alteredTitle.Title.AsSpan(0, middle), alteredTitle.Title[middle] == 'A' ? "B" : "A", alteredTitle.Title.AsSpan(middle + 1));
        await inner.UpsertAsync(alteredTitle);
        await Assert.ThrowsAsync<System.Security.Cryptography.CryptographicException>(() => collection.GetAsync("doc-3"));
        Assert.Equal("Title 4", (await collection.GetAsync("doc-4"))!.Title);
    }

    [Fact]
    public void OneDecorator_WithoutAPrimaryStandardSecret_IsRefused()
    {
        using var client = new VeilClient(new VeilConfiguration(
            vector: new Dictionary<SecretPath, VectorSecret> { [TestIds.Vec] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), _vector))) },
            deterministic: new Dictionary<SecretPath, RotatableSecret> { [new SecretPath("det")] = new RotatableSecret(new IdentifiedSecret(new KeyId(1), _fields)) }));

        Assert.Throws<ArgumentException>(() => new SealedVectorStoreCollection<string, FieldDoc>(
            new InMemoryCollection<string, FieldDoc>("docs"), client, FieldOptions(), new InMemorySealedIndexStorage()));
    }

    [Fact]
    public async Task OneDecorator_WithAKeysetWithoutAnyVectorSecret_RoundTripsFiltersAndNeedsNoIclInfoProperty()
    {
        using var client = new VeilClient(new VeilConfiguration(
            vector: new Dictionary<SecretPath, VectorSecret>(),
            deterministic: new Dictionary<SecretPath, RotatableSecret> { [new SecretPath("det")] = new RotatableSecret(new IdentifiedSecret(new KeyId(1), _fields)) },
            standard: new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), _documents)])));
        var inner = new InMemoryCollection<string, PlainFieldDoc>("docs") { RefuseSearch = true };
        using var collection = new SealedVectorStoreCollection<string, PlainFieldDoc>(
            inner, client, FieldOptions(), new InMemorySealedIndexStorage(), new SealedCollectionOptions { Index = new SealedIndexOptions { Seed = 1 } });

        await collection.UpsertAsync(s_vectors.Take(100).Select((v, i) => new PlainFieldDoc { Id = $"doc-{i}", Category = $"cat-{i % 4}", Title = $"Title {i}", Embedding = v }));

        PlainFieldDoc stored = inner.Stored.Single(d => d.Id == "doc-5");
        Assert.Null(stored.Embedding);
        Assert.NotEqual("cat-1", stored.Category);
        Assert.NotEqual("Title 5", stored.Title);
        PlainFieldDoc? got = await collection.GetAsync("doc-5", new RecordRetrievalOptions { IncludeVectors = true });
        Assert.Equal(("cat-1", "Title 5"), (got!.Category, got.Title));
        Assert.Equal(s_vectors[5], got.Embedding!);
        List<VectorSearchResult<PlainFieldDoc>> filtered = await collection.SearchAsync(s_vectors[5], 5, new VectorSearchOptions<PlainFieldDoc> { Filter = d => d.Category == "cat-1" }).ToListAsync();
        int[] exact = Enumerable.Range(0, 100).Where(i => i % 4 == 1).OrderByDescending(i => TensorPrimitives.CosineSimilarity(s_vectors[i], s_vectors[5])).Take(5).ToArray();
        Assert.Equal(exact.Select(i => $"doc-{i}"), filtered.Select(r => r.Record.Id));
    }

    [Fact]
    public void OneDecorator_WithOptionsThatEncryptVectors_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new SealedVectorStoreCollection<string, FieldDoc>(
            new InMemoryCollection<string, FieldDoc>("docs"), _client,
            new EncryptingCollectionOptions(TestIds.Vec, new DerivationPath("d"), new TenantId("tenant-1")) { DeterministicSecretPath = new SecretPath("det") },
            new InMemorySealedIndexStorage()));

    [Fact]
    public async Task FieldsOnlyEncryption_RefusesARecordWithAVectorAndAnySearch_SoNoVectorReachesTheStoreInTheClear()
    {
        var inner = new InMemoryCollection<string, PlainFieldDoc>("docs");
        using var fields = new EncryptingVectorStoreCollection<string, PlainFieldDoc>(inner, _client, FieldOptions());

        await Assert.ThrowsAsync<ArgumentException>(() => fields.UpsertAsync(new PlainFieldDoc { Id = "a", Category = "c", Embedding = s_vectors[0] }));
        Assert.Empty(inner.Stored);
        await Assert.ThrowsAsync<NotSupportedException>(async () => await fields.SearchAsync(s_vectors[0], 1).ToListAsync());

        await fields.UpsertAsync(new PlainFieldDoc { Id = "b", Category = "c", Title = "t" });
        Assert.NotEqual("t", inner.Stored.Single().Title);
        Assert.Equal("t", (await fields.GetAsync("b"))!.Title);
    }

    private static FieldDoc Copy(FieldDoc d) => new() { Id = d.Id, Category = d.Category, Title = d.Title, EmbeddingInfo = d.EmbeddingInfo, SealedEmbedding = d.SealedEmbedding };

    private static EncryptingCollectionOptions FieldOptions()
    {
        EncryptingCollectionOptions options = EncryptingCollectionOptions.FieldsOnly(new TenantId("tenant-1"));
        options.DeterministicSecretPath = new SecretPath("det");
        return options;
    }

    private SealedVectorStoreCollection<string, FieldDoc> OneDecorator(InMemoryCollection<string, FieldDoc> inner) =>
        new(inner, _client, FieldOptions(), new InMemorySealedIndexStorage(), new SealedCollectionOptions { Index = new SealedIndexOptions { Seed = 1 } });

    /// <summary>A record with a deterministic field, a standard field and a sealed vector, and no paired ICL info property.</summary>
    public sealed class PlainFieldDoc
    {
        [VectorStoreKey]
        public string Id { get; set; } = string.Empty;

        [VectorStoreData(IsIndexed = true)]
        [EncryptDeterministically]
        public string? Category { get; set; }

        [VectorStoreData]
        [EncryptStandard]
        public string? Title { get; set; }

        [VectorStoreVector(Doc.Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
        public float[]? Embedding { get; set; }

        [VectorStoreData]
        [SealedVector(nameof(Embedding))]
        public string? SealedEmbedding { get; set; }
    }

    /// <summary>A record with a deterministic field, a standard field and a sealed vector.</summary>
    public sealed class FieldDoc
    {
        [VectorStoreKey]
        public string Id { get; set; } = string.Empty;

        [VectorStoreData(IsIndexed = true)]
        [EncryptDeterministically]
        public string? Category { get; set; }

        [VectorStoreData]
        [EncryptStandard]
        public string? Title { get; set; }

        [VectorStoreData]
        [PairedIclInfo(nameof(Embedding))]
        public string? EmbeddingInfo { get; set; }

        [VectorStoreVector(Doc.Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
        public ReadOnlyMemory<float>? Embedding { get; set; }

        [VectorStoreData]
        [SealedVector(nameof(Embedding))]
        public string? SealedEmbedding { get; set; }
    }
}
