using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

/// <summary>Decoy keys: the store sees K′ + D shuffled keys per query; the results do not change.</summary>
public sealed class SealedDecoyTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private const int Candidates = 50;
    private const int Decoys = 30;
    private static readonly float[][] s_vectors = Synthetic.Clustered(1000, Doc.Dimensions, 25, 0.5f, seed: 81);

    [Fact]
    public async Task SearchAsync_WithDecoys_FetchesKPrimePlusDShuffledKeysAndReturnsTheSameResults()
    {
        var plainInner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var decoyInner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        using var plain = new SealedVectorStoreCollection<string, Doc>(plainInner, keys.Keyring, new InMemorySealedIndexStorage(), Options(0));
        using var withDecoys = new SealedVectorStoreCollection<string, Doc>(decoyInner, keys.Keyring, new InMemorySealedIndexStorage(), Options(Decoys));
        await plain.UpsertAsync(s_vectors.Select((v, i) => Doc.Create(i, v)));
        await withDecoys.UpsertAsync(s_vectors.Select((v, i) => Doc.Create(i, v)));
        await plain.WaitForIndexingAsync();
        await withDecoys.WaitForIndexingAsync();
        float[][] queries = Synthetic.Clustered(20, Doc.Dimensions, 25, 0.5f, seed: 82);

        int decoysInFirstHalf = 0;
        foreach (float[] query in queries)
        {
            List<string> expected = (await plain.SearchAsync(query, 10).ToListAsync()).Select(r => r.Record.Id).ToList();
            List<string> found = (await withDecoys.SearchAsync(query, 10).ToListAsync()).Select(r => r.Record.Id).ToList();
            List<string> fetched = decoyInner.Fetches[^1];
            List<string> again = (await withDecoys.SearchAsync(query, 10).ToListAsync()).Select(r => r.Record.Id).ToList();
            List<string> fetchedAgain = decoyInner.Fetches[^1];

            Assert.Equal(expected, found);
            Assert.Equal(expected, again);
            Assert.Equal(Candidates + Decoys, fetched.Distinct().Count());
            Assert.Subset(fetched.ToHashSet(), plainInner.Fetches[^1].ToHashSet());
            Assert.NotEqual(fetched.Order(), fetchedAgain.Order());
            decoysInFirstHalf += fetched.Take(fetched.Count / 2).Count(k => !plainInner.Fetches[^1].Contains(k));
        }

        // Shuffled: decoys are not all at the end (about D/2 of them land in the first half of each fetch).
        Assert.InRange(decoysInFirstHalf, queries.Length * Decoys / 4, queries.Length * Decoys * 3 / 4);
    }

    [Fact]
    public async Task SearchAsync_WithoutDecoys_FetchesInAnOrderThatIsNotTheRanking()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        using var collection = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, new InMemorySealedIndexStorage(), Options(0));
        await collection.UpsertAsync(s_vectors.Select((v, i) => Doc.Create(i, v)));
        float[][] queries = Synthetic.Clustered(20, Doc.Dimensions, 25, 0.5f, seed: 83);

        int nearestFetchedFirst = 0;
        foreach (float[] query in queries)
        {
            string nearest = (await collection.SearchAsync(query, 1).ToListAsync())[0].Record.Id;
            nearestFetchedFirst += inner.Fetches[^1][0] == nearest ? 1 : 0;
        }

        // Nearest first, a store logging the fetch order would read each query's ranking (20 of 20 here); shuffled,
        // the nearest row leads a fetch of 50 keys about once in 50 queries.
        Assert.InRange(nearestFetchedFirst, 0, 4);
    }

    [Fact]
    public async Task SearchAsync_WithMoreDecoysThanOtherRows_FetchesEveryRowOnce()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        using var collection = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, new InMemorySealedIndexStorage(), Options(Decoys));
        await collection.UpsertAsync(s_vectors.Take(60).Select((v, i) => Doc.Create(i, v)));

        List<string> found = (await collection.SearchAsync(s_vectors[0], 5).ToListAsync()).Select(r => r.Record.Id).ToList();

        Assert.Equal("doc-0", found[0]);
        Assert.Equal(60, inner.Fetches[^1].Distinct().Count());
        Assert.Equal(60, inner.Fetches[^1].Count);
    }

    private static SealedCollectionOptions Options(int decoys) =>
        // One insertion thread: the two collections build the same graph from the same seed (more threads make it depend on timing).
        new() { Candidates = Candidates, DecoyKeys = decoys, Index = new SealedIndexOptions { Seed = 23, IndexingThreads = 1 } };
}
