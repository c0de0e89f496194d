using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Sealed.Tests.Support;
using Veil.Stores.DuckDb;

namespace Veil.Sealed.Tests;

/// <summary>The sealed collection over a real MEVD store (DuckDB, in memory): the vector column stays NULL.</summary>
public sealed class DuckDbSealedCollectionTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(600, Doc.Dimensions, 20, 0.5f, seed: 21);

    [Fact]
    public async Task SealedCollection_OverDuckDb_RoundTripsSearchesAndStoresNoVector()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        VectorStoreCollection<string, Doc> inner = store.GetCollection<string, Doc>("docs");
        var storage = new InMemorySealedIndexStorage();
        using var collection = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, new SealedCollectionOptions { Index = new SealedIndexOptions { Seed = 3 } });
        await collection.EnsureCollectionExistsAsync();

        await collection.UpsertAsync(s_vectors.Select((v, i) => Doc.Create(i, v)));

        Doc? back = await collection.GetAsync("doc-42", new RecordRetrievalOptions { IncludeVectors = true });
        Assert.Equal(s_vectors[42], back!.Embedding!.Value.ToArray());
        List<VectorSearchResult<Doc>> results = await collection.SearchAsync(s_vectors[42], 10).ToListAsync();
        HashSet<string> exact = [.. Synthetic.ExactTop(s_vectors, s_vectors[42], 10).Select(i => $"doc-{i}")];
        Assert.Equal("doc-42", results[0].Record.Id);
        Assert.True(results.Count(r => exact.Contains(r.Record.Id)) >= 9);

        Doc raw = (await inner.GetAsync("doc-42", new RecordRetrievalOptions { IncludeVectors = true }))!;
        Assert.True(raw.Embedding is null || raw.Embedding.Value.IsEmpty);
        Assert.Equal(SealedBox.Overhead + (4 * Doc.Dimensions), Convert.FromBase64String(raw.SealedEmbedding!).Length);
    }

    [Fact]
    public async Task SealedCollection_OverDuckDb_RejectsAVectorSwappedInTheStore()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        VectorStoreCollection<string, Doc> inner = store.GetCollection<string, Doc>("docs");
        using var collection = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, new InMemorySealedIndexStorage());
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync([Doc.Create(1, s_vectors[1]), Doc.Create(2, s_vectors[2])]);

        Doc first = (await inner.GetAsync("doc-1"))!;
        Doc second = (await inner.GetAsync("doc-2"))!;
        second.SealedEmbedding = first.SealedEmbedding;
        await inner.UpsertAsync(second);

        await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("doc-2"));
    }
}
