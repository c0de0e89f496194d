using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Sealed.Tests.Support;
using Veil.Stores.DuckDb;
using Veil.Stores.Postgres;
using Veil.Testing;

namespace Veil.Sealed.Tests;

/// <summary>
/// The sealed vector in a binary column (a <c>byte[]</c> property: BLOB in DuckDB, bytea in PostgreSQL, the latter on
/// a real server): round trip, search, the stored box's exact bytes, a prefix filter on its header, and altered or
/// swapped boxes refused.
/// </summary>
public sealed class SealedBinaryColumnTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(300, BinaryDoc.Dimensions, 10, 0.5f, seed: 31);

    [Fact]
    public Task DuckDb_RoundTripsSearchesAndStoresTheBoxAsBytes()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        return RoundTripAsync(store.GetCollection<string, BinaryDoc>("binary_docs"));
    }

    [Fact]
    public Task DuckDb_RefusesAnAlteredOrSwappedBox()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        return TamperAsync(store.GetCollection<string, BinaryDoc>("binary_docs"));
    }

    [PostgresFact]
    public async Task Postgres_RoundTripsSearchesAndStoresTheBoxAsBytes()
    {
        using var store = new PostgresVectorStore(PostgresFactAttribute.Connection!);
        string name = "sealed_binary_" + Guid.NewGuid().ToString("N")[..8];
        using VectorStoreCollection<string, BinaryDoc> inner = store.GetCollection<string, BinaryDoc>(name);
        try
        {
            await RoundTripAsync(inner);
        }
        finally
        {
            await inner.EnsureCollectionDeletedAsync();
        }
    }

    [PostgresFact]
    public async Task Postgres_RefusesAnAlteredOrSwappedBox()
    {
        using var store = new PostgresVectorStore(PostgresFactAttribute.Connection!);
        string name = "sealed_binary_" + Guid.NewGuid().ToString("N")[..8];
        using VectorStoreCollection<string, BinaryDoc> inner = store.GetCollection<string, BinaryDoc>(name);
        try
        {
            await TamperAsync(inner);
        }
        finally
        {
            await inner.EnsureCollectionDeletedAsync();
        }
    }

    [Fact]
    public void ARecordWithTwoSealedProperties_NeedsADefinitionListingOne()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        ArgumentException e = Assert.Throws<ArgumentException>(
            () => new SealedVectorStoreCollection<string, TwoFormatDoc>(store.GetCollection<string, TwoFormatDoc>("two"), keys.Keyring, new InMemorySealedIndexStorage()));
        Assert.Contains("2 properties marked [SealedVector", e.Message, StringComparison.Ordinal);
    }

    private async Task RoundTripAsync(VectorStoreCollection<string, BinaryDoc> inner)
    {
        using var collection = new SealedVectorStoreCollection<string, BinaryDoc>(inner, keys.Keyring, new InMemorySealedIndexStorage(), new SealedCollectionOptions { Index = new SealedIndexOptions { Seed = 5 } });
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(s_vectors.Select((v, i) => new BinaryDoc { Id = $"doc-{i}", Embedding = v }));

        BinaryDoc back = (await collection.GetAsync("doc-17", new RecordRetrievalOptions { IncludeVectors = true }))!;
        Assert.Equal(s_vectors[17], back.Embedding!.Value.ToArray());
        Assert.Null(back.SealedEmbedding);
        List<VectorSearchResult<BinaryDoc>> hits = await collection.SearchAsync(s_vectors[17], 10).ToListAsync();
        Assert.Equal("doc-17", hits[0].Record.Id);
        Assert.True(hits.Count(h => Synthetic.ExactTop(s_vectors, s_vectors[17], 10).Select(i => $"doc-{i}").Contains(h.Record.Id)) >= 9);

        // The store holds the sealed box itself: header (version 1, kind 1 = vector, key id 2), nonce, ciphertext, tag.
        BinaryDoc raw = (await inner.GetAsync("doc-17", new RecordRetrievalOptions { IncludeVectors = true }))!;
        Assert.True(raw.Embedding is null || raw.Embedding.Value.IsEmpty);
        Assert.Equal(SealedBox.Overhead + (4 * BinaryDoc.Dimensions), raw.SealedEmbedding!.Length);
        Assert.Equal(new byte[] { 1, 1, 0, 0, 0, 2 }, raw.SealedEmbedding[..6]);
        Assert.True(SealedBox.TryOpen(keys.Keyring, SealedKind.Vector, inner.Name, RecordKeyCodec<string>.Encode("doc-17"), raw.SealedEmbedding, out byte[] plaintext));
        Assert.Equal(s_vectors[17], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(plaintext).ToArray());

        // The store matches a binary prefix of the column (how veil keys retire finds rows under a secret).
        byte[] current = [1, 1, 0, 0, 0, 2];
        byte[] retired = [1, 1, 0, 0, 0, 1];
        Assert.Equal(s_vectors.Length, await inner.GetAsync(d => d.SealedEmbedding!.Take(6).SequenceEqual(current), 1000).CountAsync());
        Assert.Equal(0, await inner.GetAsync(d => d.SealedEmbedding!.Take(6).SequenceEqual(retired), 1000).CountAsync());
    }

    private async Task TamperAsync(VectorStoreCollection<string, BinaryDoc> inner)
    {
        using var collection = new SealedVectorStoreCollection<string, BinaryDoc>(inner, keys.Keyring, new InMemorySealedIndexStorage());
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(s_vectors.Take(3).Select((v, i) => new BinaryDoc { Id = $"doc-{i}", Embedding = v }));

        BinaryDoc first = (await inner.GetAsync("doc-0"))!;
        BinaryDoc second = (await inner.GetAsync("doc-1"))!;
        BinaryDoc third = (await inner.GetAsync("doc-2"))!;
        second.SealedEmbedding = first.SealedEmbedding;
        third.SealedEmbedding![40] ^= 0x01;
        await inner.UpsertAsync([second, third]);

        Assert.NotNull(await collection.GetAsync("doc-0"));
        await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("doc-1"));
        await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("doc-2"));
    }

    /// <summary>A record whose sealed vector is a byte[] (a binary column).</summary>
    public sealed class BinaryDoc
    {
        public const int Dimensions = 24;

        [VectorStoreKey]
        public string Id { get; set; } = string.Empty;

        [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
        public ReadOnlyMemory<float>? Embedding { get; set; }

        [VectorStoreData]
        [SealedVector(nameof(Embedding))]
        public byte[]? SealedEmbedding { get; set; }
    }

    /// <summary>A record type with a sealed property per format and no definition to choose one.</summary>
    public sealed class TwoFormatDoc
    {
        [VectorStoreKey]
        public string Id { get; set; } = string.Empty;

        [VectorStoreVector(8)]
        public ReadOnlyMemory<float>? Embedding { get; set; }

        [VectorStoreData]
        [SealedVector(nameof(Embedding))]
        public byte[]? Sealed { get; set; }

        [VectorStoreData]
        [SealedVector(nameof(Embedding))]
        public string? SealedText { get; set; }
    }
}
