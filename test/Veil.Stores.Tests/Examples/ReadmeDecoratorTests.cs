using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Stores.DuckDb;

namespace Veil.Stores.Tests.Examples;

/// <summary>The README's decorator snippet (configuration, an inner DuckDB collection, upsert and filtered search), kept compiling and working.</summary>
public sealed class ReadmeDecoratorTests
{
    [Fact]
    public async Task DecoratorSnippet_WhenRunAsWritten_StoresCiphertextAndFindsByFilter()
    {
        // The three kinds of secret the record needs: vectors, deterministic (Category) and standard (Text) encryption.
        using var vectorSecret = Secret.Generate();
        using var fieldSecret = Secret.Generate();
        using var documentSecret = Secret.Generate();
        using var client = new VeilClient(new VeilConfiguration(
            vector: new Dictionary<SecretPath, VectorSecret>
            {
                [new SecretPath("embeddings")] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), vectorSecret))),
            },
            deterministic: new Dictionary<SecretPath, RotatableSecret>
            {
                [new SecretPath("fields")] = new RotatableSecret(new IdentifiedSecret(new KeyId(1), fieldSecret)),
            },
            standard: new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), documentSecret)])));

        // The inner collection stores ciphertext: here DuckDB (Veil.Stores.DuckDb), in memory rather than a file.
        using var store = DuckDbVectorStore.CreateInMemory();
        VectorStoreCollection<string, Doc> innerCollection = store.GetCollection<string, Doc>("docs");

        var options = new EncryptingCollectionOptions(new SecretPath("embeddings"), new DerivationPath("minilm"), new TenantId("tenant-42"))
        {
            DeterministicSecretPath = new SecretPath("fields"),
        };
        using var docs = new EncryptingVectorStoreCollection<string, Doc>(innerCollection, client, options);
        await docs.EnsureCollectionExistsAsync();
        Doc[] records = Enumerable.Range(0, 8).Select(i => new Doc
        {
            Id = $"d{i}",
            Category = i % 2 == 0 ? "faq" : "blog",
            Text = $"text {i}",
            Embedding = Enumerable.Range(0, 384).Select(j => MathF.Sin((i + 1) * (j + 1))).ToArray(),
        }).ToArray();
        await docs.UpsertAsync(records);                                     // the store sees only ciphertext
        ReadOnlyMemory<float> queryEmbedding = records[4].Embedding!.Value;
        var hits = new List<VectorSearchResult<Doc>>();
        await foreach (var hit in docs.SearchAsync(queryEmbedding, 10, new() { Filter = d => d.Category == "faq" }))
        {
            hits.Add(hit);
        }

        Assert.Equal("d4", hits[0].Record.Id);
        Assert.Equal("text 4", hits[0].Record.Text);
        Assert.All(hits, h => Assert.Equal("faq", h.Record.Category));
        Doc stored = (await innerCollection.GetAsync("d4"))!;
        Assert.NotEqual("faq", stored.Category);
        Assert.NotEqual("text 4", stored.Text);
    }

    /// <summary>The README's record.</summary>
    public sealed class Doc
    {
        [VectorStoreKey] public string Id { get; set; } = "";
        [VectorStoreData, EncryptDeterministically] public string? Category { get; set; }   // filterable with ==; leaks equality
        [VectorStoreData, EncryptStandard] public string? Text { get; set; }                // returned only
        [VectorStoreData, PairedIclInfo(nameof(Embedding))] public string? EmbeddingInfo { get; set; }
        [VectorStoreVector(384, DistanceFunction = DistanceFunction.CosineSimilarity)] public ReadOnlyMemory<float>? Embedding { get; set; }
    }
}
