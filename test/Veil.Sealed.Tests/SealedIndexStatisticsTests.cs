using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

/// <summary>The public diagnostics of a sealed index: counts of keys, queued keys, graph nodes and waypoints, and graph memory.</summary>
public sealed class SealedIndexStatisticsTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(300, Doc.Dimensions, 10, 0.6f, seed: 81);

    [Fact]
    public async Task GetStatistics_WhileQueuedThenBuilt_CountsPendingKeysThenNodes()
    {
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { Seed = 2 });
        using var gate = new ManualResetEventSlim(false);
        index.IndexingGate = gate;
        for (int i = 0; i < 120; i++)
        {
            index.Upsert(i, s_vectors[i]);
        }

        SealedIndexStatistics queued = index.GetStatistics();
        gate.Set();
        await index.WaitForIndexingAsync();
        index.IndexingGate = null;
        SealedIndexStatistics built = index.GetStatistics();

        Assert.Equal((Doc.Dimensions, 120, 120, 0, 0.0), (queued.Dimensions, queued.Count, queued.PendingCount, queued.NodeCount, queued.DeletedFraction));
        Assert.Equal((120, 0, 120, 0.0), (built.Count, built.PendingCount, built.NodeCount, built.DeletedFraction));
        Assert.True(built.GraphBytes > 120L * Doc.Dimensions, $"{built.GraphBytes} B for 120 int8 codes of {Doc.Dimensions}");
        Assert.Equal(index.GraphBytes, built.GraphBytes);
    }

    [Fact]
    public async Task IndexStatistics_OfACollection_IsNullUntilLoadedThenCountsUpdatesAsWaypoints()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var options = new SealedCollectionOptions { GraphCompactionThreshold = 1, Index = new SealedIndexOptions { Seed = 4 } };
        using var collection = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, new InMemorySealedIndexStorage(), options);
        Assert.Null(collection.IndexStatistics);

        await collection.UpsertAsync(s_vectors.Take(200).Select((v, i) => Doc.Create(i, v)));
        await collection.WaitForIndexingAsync();
        SealedIndexStatistics first = collection.IndexStatistics!;
        await collection.UpsertAsync(s_vectors.Skip(200).Take(50).Select((v, i) => Doc.Create(i, v)));
        await collection.WaitForIndexingAsync();
        SealedIndexStatistics updated = collection.IndexStatistics!;

        Assert.Equal((200, 0, 200, 0.0), (first.Count, first.PendingCount, first.NodeCount, first.DeletedFraction));
        Assert.Equal((200, 0, 250), (updated.Count, updated.PendingCount, updated.NodeCount));
        Assert.Equal(0.2, updated.DeletedFraction, 6);
        Assert.True(updated.GraphBytes >= first.GraphBytes);
    }
}
