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
