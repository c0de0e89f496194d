using System.Numerics.Tensors;
using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

public sealed class SealedVectorStoreCollectionTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private const int Candidates = 50;
    private static readonly float[][] s_vectors = Synthetic.Clustered(1000, Doc.Dimensions, 25, 0.5f, seed: 3);

    [Fact]
    public async Task UpsertAsync_WhenRecordsStored_StoreSeesNoFloatAndOneFixedSizeSealedString()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, _) = Create();
        Doc[] records = Enumerable.Range(0, 10).Select(i => Doc.Create(i, s_vectors[i])).ToArray();

        await collection.UpsertAsync(records);

        Assert.Equal(10, inner.Upserted.Count);
        Assert.All(inner.Upserted, stored =>
        {
            Assert.Null(stored.Embedding);
            Assert.Equal(SealedBox.Overhead + (4 * Doc.Dimensions), Convert.FromBase64String(stored.SealedEmbedding!).Length);
        });
        Assert.Equal(s_vectors[0], records[0].Embedding!.Value.ToArray());
        Assert.Null(records[0].SealedEmbedding);
    }

    [Fact]
    public async Task GetAsync_WhenIncludeVectors_ReturnsTheVectorExactlyAndNoSealedColumn()
    {
        (_, SealedVectorStoreCollection<string, Doc> collection, _) = Create();
        await collection.UpsertAsync(Doc.Create(3, s_vectors[3]));

        Doc? withVector = await collection.GetAsync("doc-3", new RecordRetrievalOptions { IncludeVectors = true });
        Doc? withoutVector = await collection.GetAsync("doc-3");

        Assert.Equal(s_vectors[3], withVector!.Embedding!.Value.ToArray());
        Assert.Equal("cat-3", withVector.Category);
        Assert.Null(withVector.SealedEmbedding);
        Assert.Null(withoutVector!.Embedding);
        Assert.Null(await collection.GetAsync("missing"));
    }

    [Fact]
    public async Task SearchAsync_OnSeededSet_RecallAtTenIsAtLeast99PercentAndEachQueryFetchesExactlyKPrimeKeys()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, _) = Create();
        await collection.UpsertAsync(s_vectors.Select((v, i) => Doc.Create(i, v)));
        float[][] queries = Synthetic.Clustered(40, Doc.Dimensions, 25, 0.5f, seed: 4);
        inner.Fetches.Clear();

        int hits = 0;
        foreach (float[] query in queries)
        {
            List<VectorSearchResult<Doc>> results = await collection.SearchAsync(query, 10).ToListAsync();
            HashSet<string> exact = [.. Synthetic.ExactTop(s_vectors, query, 10).Select(i => $"doc-{i}")];
            hits += results.Count(r => exact.Contains(r.Record.Id));
            double[] scores = results.Select(r => r.Score!.Value).ToArray();
            Assert.Equal(scores.OrderDescending(), scores);
            Assert.Equal(TensorPrimitives.CosineSimilarity(query, s_vectors[int.Parse(results[0].Record.Id[4..])]), scores[0], 5);
        }

        Assert.True(hits / 400.0 >= 0.99, $"recall@10 {hits / 400.0}");
        Assert.Equal(queries.Length, inner.Fetches.Count);
        Assert.All(inner.Fetches, keys => Assert.Equal(Candidates, keys.Distinct().Count()));
    }

    [Fact]
    public async Task SearchAsync_WhenSkipAndIncludeVectors_PagesTheExactRankingAndRestoresVectors()
    {
        (_, SealedVectorStoreCollection<string, Doc> collection, _) = Create();
        await collection.UpsertAsync(s_vectors.Take(200).Select((v, i) => Doc.Create(i, v)));

        List<VectorSearchResult<Doc>> all = await collection.SearchAsync(s_vectors[0], 6).ToListAsync();
        List<VectorSearchResult<Doc>> page = await collection.SearchAsync(s_vectors[0], 3, new VectorSearchOptions<Doc> { Skip = 3, IncludeVectors = true }).ToListAsync();

        Assert.Equal("doc-0", all[0].Record.Id);
        Assert.Equal(all.Skip(3).Select(r => r.Record.Id), page.Select(r => r.Record.Id));
        Assert.All(page, r => Assert.Equal(s_vectors[int.Parse(r.Record.Id[4..])], r.Record.Embedding!.Value.ToArray()));
    }

    [Fact]
    public async Task GetAndSearch_WhenSealedVectorIsAltered_ThrowCryptographicException()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, _) = Create();
        await collection.UpsertAsync(s_vectors.Take(100).Select((v, i) => Doc.Create(i, v)));
        inner.Tamper("doc-7", d =>
        {
            byte[] box = Convert.FromBase64String(d.SealedEmbedding!);
            box[40] ^= 0x80;
            d.SealedEmbedding = Convert.ToBase64String(box);
        });

        await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("doc-7"));
        await Assert.ThrowsAsync<CryptographicException>(async () => await collection.SearchAsync(s_vectors[7], 5).ToListAsync());
        Assert.NotNull(await collection.GetAsync("doc-8"));
    }

    [Fact]
    public async Task GetAsync_WhenSealedVectorIsSwappedBetweenRecords_ThrowsCryptographicException()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, _) = Create();
        await collection.UpsertAsync([Doc.Create(1, s_vectors[1]), Doc.Create(2, s_vectors[2])]);
        string stolen = inner.Stored.Single(d => d.Id == "doc-1").SealedEmbedding!;

        inner.Tamper("doc-2", d => d.SealedEmbedding = stolen);

        await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("doc-2", new RecordRetrievalOptions { IncludeVectors = true }));
        Assert.Equal(s_vectors[1], (await collection.GetAsync("doc-1", new RecordRetrievalOptions { IncludeVectors = true }))!.Embedding!.Value.ToArray());
    }

    [Fact]
    public async Task GetAsync_WhenSealedRowIsCopiedIntoAnotherCollectionUnderTheSameKey_ThrowsCryptographicException()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, _) = Create();
        await collection.UpsertAsync(Doc.Create(1, s_vectors[1]));
        var otherInner = new InMemoryCollection<string, Doc>("other") { RefuseSearch = true };
        using var other = new SealedVectorStoreCollection<string, Doc>(otherInner, keys.Keyring, new InMemorySealedIndexStorage());

        await otherInner.UpsertAsync(inner.Stored.Single());

        await Assert.ThrowsAsync<CryptographicException>(() => other.GetAsync("doc-1"));
    }

    [Fact]
    public async Task DeleteAsync_WhenKeyDeleted_LeavesStoreAndSearchResults()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, _) = Create();
        await collection.UpsertAsync(s_vectors.Take(100).Select((v, i) => Doc.Create(i, v)));

        await collection.DeleteAsync("doc-9");

        Assert.DoesNotContain(inner.Stored, d => d.Id == "doc-9");
        List<VectorSearchResult<Doc>> results = await collection.SearchAsync(s_vectors[9], 10).ToListAsync();
        Assert.DoesNotContain(results, r => r.Record.Id == "doc-9");
        Assert.DoesNotContain("doc-9", inner.Fetches[^1]);
    }

    [Fact]
    public async Task EnsureCollectionDeletedAsync_WhenRecreated_SearchFindsOnlyTheNewRowsAlsoAfterReload()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using var collection = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        await collection.UpsertAsync(s_vectors.Take(100).Select((v, i) => Doc.Create(i, v)));
        await collection.SnapshotAsync();

        await collection.EnsureCollectionDeletedAsync();
        await collection.UpsertAsync(Doc.Create(500, s_vectors[500]));

        Assert.Equal(["doc-500"], await Ids(collection.SearchAsync(s_vectors[0], 10)));
        Assert.Equal(["doc-500"], inner.Fetches[^1]);
        using var reloaded = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        Assert.Equal(["doc-500"], await Ids(reloaded.SearchAsync(s_vectors[0], 10)));
    }

    [Fact]
    public async Task SecondInstance_WhenLoadingSnapshotAndLog_ReturnsTheSameResults()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        var options = Options(snapshotInterval: 4);
        using var first = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, options);
        for (int batch = 0; batch < 10; batch++)
        {
            await first.UpsertAsync(s_vectors.Skip(batch * 50).Take(50).Select((v, i) => Doc.Create((batch * 50) + i, v)));
        }

        await first.DeleteAsync(["doc-1", "doc-2"]);
        Assert.True(storage.HasSnapshot);
        Assert.Equal([9L, 10L, 11L], storage.LogSequences);

        using var second = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, options);
        await second.LoadIndexAsync();
        Assert.Equal(new[] { "doc-1", "doc-2" }.Concat(Enumerable.Range(400, 100).Select(i => $"doc-{i}")).Order(), inner.Fetches[^1].Order());
        float[][] queries = Synthetic.Clustered(20, Doc.Dimensions, 25, 0.5f, seed: 5);
        foreach (float[] query in queries)
        {
            List<string> expected = await Ids(first.SearchAsync(query, 10));
            Assert.Equal(expected, await Ids(second.SearchAsync(query, 10)));
            Assert.Equal(inner.Fetches[^2].Order(), inner.Fetches[^1].Order());
        }
    }

    [Fact]
    public async Task Load_WhenCrashedAfterTheRowWriteBeforeTheIndexUpdate_ReindexesTheRow()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using (var crashed = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options()))
        {
            await crashed.UpsertAsync(s_vectors.Take(100).Select((v, i) => Doc.Create(i, v)));
            inner.AfterUpsert = () => throw new IOException("process killed");
            await Assert.ThrowsAsync<IOException>(() => crashed.UpsertAsync(Doc.Create(500, s_vectors[500])));
            inner.AfterUpsert = null;
        }

        using var restarted = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        List<string> found = await Ids(restarted.SearchAsync(s_vectors[500], 1));

        Assert.Equal(["doc-500"], found);
    }

    [Fact]
    public async Task Load_WhenTheRowWriteFailedAfterTheLogEntry_IndexFollowsTheStore()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using var collection = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        await collection.UpsertAsync(s_vectors.Take(100).Select((v, i) => Doc.Create(i, v)));
        inner.OnOperation = op => throw new IOException($"store down during {op}");

        await Assert.ThrowsAsync<IOException>(() => collection.UpsertAsync([Doc.Create(500, s_vectors[500]), Doc.Create(4, s_vectors[501])]));
        inner.OnOperation = null;

        // The same instance reloads; doc-500 never reached the store and doc-4 keeps its stored vector.
        List<string> near500 = await Ids(collection.SearchAsync(s_vectors[500], 100));
        Assert.DoesNotContain("doc-500", near500);
        Assert.Equal(["doc-4"], await Ids(collection.SearchAsync(s_vectors[4], 1)));
        using var restarted = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        Assert.Equal(["doc-4"], await Ids(restarted.SearchAsync(s_vectors[4], 1)));
    }

    [Fact]
    public async Task Load_WhenALogEntryIsAlteredOrMissing_Refuses()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using (var writer = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options()))
        {
            await writer.UpsertAsync(Doc.Create(1, s_vectors[1]));
            await writer.UpsertAsync(Doc.Create(2, s_vectors[2]));
            await writer.UpsertAsync(Doc.Create(3, s_vectors[3]));
        }

        byte[] second = [];
        storage.Tamper(2, b =>
        {
            second = (byte[])b.Clone();
            b[^1] ^= 1;
            return b;
        });
        using var tampered = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        await Assert.ThrowsAsync<CryptographicException>(() => tampered.LoadIndexAsync());

        // Entry 2 replayed in place of entry 3 (its sequence number is bound into it).
        storage.Tamper(2, _ => second);
        storage.Tamper(3, _ => second);
        using var replayed = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        await Assert.ThrowsAsync<CryptographicException>(() => replayed.LoadIndexAsync());
    }

    [Fact]
    public async Task Load_WhenTheSnapshotWasSealedForAnotherCollection_Refuses()
    {
        var storage = new InMemorySealedIndexStorage();
        using (var writer = new SealedVectorStoreCollection<string, Doc>(new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true }, keys.Keyring, storage, Options()))
        {
            await writer.UpsertAsync(Doc.Create(1, s_vectors[1]));
            await writer.SnapshotAsync();
        }

        using var other = new SealedVectorStoreCollection<string, Doc>(new InMemoryCollection<string, Doc>("other") { RefuseSearch = true }, keys.Keyring, storage, Options());

        await Assert.ThrowsAsync<CryptographicException>(() => other.LoadIndexAsync());
    }

    [Theory]
    [InlineData(SealedCollectionOptions.DefaultFilteredScanLimit)]
    [InlineData(20)]
    public async Task SearchAsync_WhenFiltered_ReturnsTheExactFilteredTopTen(int scanLimit)
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        using var collection = new SealedVectorStoreCollection<string, Doc>(
            inner, keys.Keyring, new InMemorySealedIndexStorage(), new SealedCollectionOptions { Candidates = Candidates, FilteredScanLimit = scanLimit, Index = new SealedIndexOptions { Seed = 7 } });
        await collection.UpsertAsync(s_vectors.Select((v, i) => Doc.Create(i, v)));
        float[][] queries = Synthetic.Clustered(20, Doc.Dimensions, 25, 0.5f, seed: 8);
        int[] inCategory = Enumerable.Range(0, s_vectors.Length).Where(i => i % 5 == 1).ToArray();

        int hits = 0;
        foreach (float[] query in queries)
        {
            List<VectorSearchResult<Doc>> results = await collection.SearchAsync(query, 10, new VectorSearchOptions<Doc> { Filter = d => d.Category == "cat-1" }).ToListAsync();
            Assert.Equal(10, results.Count);
            Assert.All(results, r => Assert.Equal("cat-1", r.Record.Category));
            HashSet<string> exact = [.. inCategory.OrderByDescending(i => TensorPrimitives.CosineSimilarity(s_vectors[i], query)).Take(10).Select(i => $"doc-{i}")];
            hits += results.Count(r => exact.Contains(r.Record.Id));
        }

        Assert.True(hits / 200.0 >= 0.99, $"recall@10 {hits / 200.0}");
    }

    [Fact]
    public async Task SearchAsync_RightAfterUpsertReturns_FindsEveryNewRowBeforeAndAfterTheIndexAbsorbsThem()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, _) = Create();
        await collection.UpsertAsync(s_vectors.Take(500).Select((v, i) => Doc.Create(i, v)));

        for (int i = 500; i < 520; i++)
        {
            await collection.UpsertAsync(Doc.Create(i, s_vectors[i]));
            List<VectorSearchResult<Doc>> hits = await collection.SearchAsync(s_vectors[i], 1).ToListAsync();
            Assert.Equal($"doc-{i}", hits[0].Record.Id);
        }

        await collection.WaitForIndexingAsync();
        Assert.All(Enumerable.Range(500, 20), i => Assert.Equal($"doc-{i}", collection.SearchAsync(s_vectors[i], 1).ToBlockingEnumerable().Single().Record.Id));
        Assert.Equal(520, inner.Upserted.Select(d => d.Id).Distinct().Count());
    }

    [Fact]
    public async Task SearchAsync_WhenUnsupportedInput_Throws()
    {
        (_, SealedVectorStoreCollection<string, Doc> collection, _) = Create();

        await Assert.ThrowsAsync<NotSupportedException>(async () => await collection.SearchAsync("text", 5).ToListAsync());
        await Assert.ThrowsAsync<ArgumentException>(async () => await collection.SearchAsync(new float[3], 5).ToListAsync());
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(new Doc { Id = "x" }));
    }

    [Fact]
    public void GetService_WhenAskedForTheKeyring_ReturnsNull()
    {
        (_, SealedVectorStoreCollection<string, Doc> collection, _) = Create();

        Assert.Null(collection.GetService(typeof(SealedKeyring)));
        Assert.Same(collection, collection.GetService(typeof(SealedVectorStoreCollection<string, Doc>)));
    }

    private static SealedCollectionOptions Options(int snapshotInterval = SealedCollectionOptions.DefaultSnapshotInterval) =>
        new() { Candidates = Candidates, SnapshotInterval = snapshotInterval, Index = new SealedIndexOptions { Seed = 7 } };

    private static async Task<List<string>> Ids(IAsyncEnumerable<VectorSearchResult<Doc>> results) =>
        (await results.ToListAsync()).Select(r => r.Record.Id).ToList();

    private (InMemoryCollection<string, Doc> Inner, SealedVectorStoreCollection<string, Doc> Collection, InMemorySealedIndexStorage Storage) Create()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        return (inner, new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options()), storage);
    }
}
