using Veil.Sealed.Tests.Support;
using Xunit.Abstractions;

namespace Veil.Sealed.Tests;

/// <summary>Graph compaction: the HNSW graph rebuilt from its live nodes, without the waypoints deletes leave.</summary>
public sealed class SealedGraphCompactionTests(SealedTestKeys keys, ITestOutputHelper output) : IClassFixture<SealedTestKeys>
{
    private const int Rows = 3000;
    private const int Queries = 150;

    // One seeded set: the first rows are indexed, the last ones are held-out queries from the same clusters.
    private static readonly float[][] s_all = Synthetic.Clustered(Rows + Queries, Doc.Dimensions, 40, 0.6f, seed: 71);
    private static readonly float[][] s_rows = s_all[..Rows];
    private static readonly float[][] s_queries = s_all[Rows..];

    // A narrow beam, so that recall is below 1 and a damaged graph would show.
    private static readonly SealedIndexOptions s_narrow = new() { M = 6, EfConstruction = 24, EfSearch = 10, Seed = 5 };

    [Fact]
    public async Task CompactGraph_AfterHalfTheRowsAreDeleted_LeavesNoDeletedNodeLessMemoryAndTheSameRecall()
    {
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, s_narrow);
        for (int i = 0; i < Rows; i++)
        {
            index.Upsert(i, s_rows[i]);
        }

        // Recall of the graph itself, not of the exact scan over vectors still queued for it.
        await index.WaitForIndexingAsync();

        double before = RecallAt10(index, Enumerable.Range(0, Rows).ToArray());
        var random = new Random(72);
        int[] deleted = Enumerable.Range(0, Rows).OrderBy(_ => random.Next()).Take(Rows / 2).ToArray();
        foreach (int key in deleted)
        {
            Assert.True(index.Delete(key));
        }

        int[] live = Enumerable.Range(0, Rows).Except(deleted).ToArray();
        long bytesWithWaypoints = index.GraphBytes;
        Assert.Equal(0.5, index.DeletedFraction, 3);

        using SealedVectorIndex<int> compacted = index.CompactGraph();
        await compacted.WaitForIndexingAsync();

        Assert.Equal(live.Length, compacted.Count);
        Assert.Equal(live.Length, compacted.NodeCount);
        Assert.Equal(0, compacted.DeletedFraction);
        Assert.All(live, key => Assert.True(compacted.Contains(key)));
        Assert.All(deleted, key => Assert.False(compacted.Contains(key)));
        Assert.True(compacted.GraphBytes < 0.6 * bytesWithWaypoints, $"{compacted.GraphBytes} B after, {bytesWithWaypoints} B before");
        double after = RecallAt10(compacted, live);
        double withWaypoints = RecallAt10(index, live);
        output.WriteLine($"recall@10: {before:F3} before the deletes, {withWaypoints:F3} after them with the waypoints, {after:F3} compacted; graph bytes {bytesWithWaypoints} -> {compacted.GraphBytes}");
        Assert.True(before < 1, $"recall {before}: the beam is too wide for the test to show anything");
        Assert.True(after >= before - 0.02, $"recall@10 {after:F3} after compaction, {before:F3} before the deletes");

        // The source index is unchanged.
        Assert.Equal(Rows, index.NodeCount);
        Assert.Equal(live.Length, index.Count);
    }

    [Fact]
    public async Task CompactGraph_WhileVectorsAreQueued_CarriesThemOver()
    {
        using var gate = new ManualResetEventSlim(false);
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, s_narrow);
        for (int i = 0; i < 300; i++)
        {
            index.Upsert(i, s_rows[i]);
        }

        await index.WaitForIndexingAsync();
        index.IndexingGate = gate;
        for (int i = 300; i < 400; i++)
        {
            index.Upsert(i, s_rows[i]);
        }

        Assert.True(index.Delete(5));
        Assert.Equal(100, index.PendingCount);

        using SealedVectorIndex<int> compacted = index.CompactGraph();
        gate.Set();
        await compacted.WaitForIndexingAsync();

        Assert.Equal(399, compacted.Count);
        Assert.Equal(399, compacted.NodeCount);
        Assert.All(Enumerable.Range(300, 100), key => Assert.True(compacted.Contains(key)));
        Assert.False(compacted.Contains(5));
        Assert.True(Enumerable.Range(300, 100).Count(i => compacted.Search(s_rows[i], 1)[0] == i) >= 95);
    }

    [Fact]
    public async Task Deletes_PastTheThreshold_CompactTheGraphAndPersistIt()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        var options = new SealedCollectionOptions { Candidates = 20, GraphCompactionThreshold = 0.4, Index = new SealedIndexOptions { Seed = 3 } };
        using var writer = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, options);
        await writer.UpsertAsync(s_rows.Take(400).Select((v, i) => Doc.Create(i, v)));
        await writer.WaitForIndexingAsync();

        // 30 % deleted: below the threshold, the waypoints stay.
        await writer.DeleteAsync(Enumerable.Range(0, 120).Select(i => $"doc-{i}"));
        Assert.Equal(400, writer.LoadedIndex!.NodeCount);
        Assert.False(storage.HasSnapshot);

        // 40 %: the write compacts the graph and persists it as a snapshot.
        await writer.DeleteAsync(Enumerable.Range(120, 40).Select(i => $"doc-{i}"));
        Assert.Equal(240, writer.LoadedIndex!.NodeCount);
        Assert.Equal(240, writer.LoadedIndex.Count);
        Assert.True(storage.HasSnapshot);

        using var cold = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, options);
        await cold.LoadIndexAsync();
        Assert.Equal(240, cold.LoadedIndex!.NodeCount);
        foreach (float[] query in s_queries.Take(20))
        {
            List<string> expected = await SearchAsync(writer, query);
            Assert.Equal(expected, await SearchAsync(cold, query));
            Assert.All(expected, id => Assert.True(int.Parse(id["doc-".Length..], System.Globalization.CultureInfo.InvariantCulture) >= 160));
        }
    }

    [Fact]
    public async Task CompactGraphAsync_OnDemand_DropsTheWaypointsOfUpdates()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        var options = new SealedCollectionOptions { GraphCompactionThreshold = 1 };
        using var writer = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, options);
        await writer.UpsertAsync(s_rows.Take(100).Select((v, i) => Doc.Create(i, v)));
        await writer.WaitForIndexingAsync();
        await writer.UpsertAsync(s_rows.Skip(100).Take(100).Select((v, i) => Doc.Create(i, v)));
        await writer.WaitForIndexingAsync();
        Assert.Equal(200, writer.LoadedIndex!.NodeCount);
        List<string> before = await SearchAsync(writer, s_queries[0]);

        await writer.CompactGraphAsync();

        Assert.Equal(100, writer.LoadedIndex!.NodeCount);
        Assert.Equal(before, await SearchAsync(writer, s_queries[0]));
        using var cold = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, options);
        Assert.Equal(before, await SearchAsync(cold, s_queries[0]));
        Assert.Equal(100, cold.LoadedIndex!.NodeCount);
    }

    private static double RecallAt10(SealedVectorIndex<int> index, int[] keys)
    {
        float[][] vectors = keys.Select(k => s_rows[k]).ToArray();
        int hits = 0;
        foreach (float[] query in s_queries)
        {
            HashSet<int> found = [.. index.Search(query, 10)];
            hits += Synthetic.ExactTop(vectors, query, 10).Count(i => found.Contains(keys[i]));
        }

        return hits / (10.0 * s_queries.Length);
    }

    private static async Task<List<string>> SearchAsync(SealedVectorStoreCollection<string, Doc> collection, float[] query)
    {
        var ids = new List<string>();
        await foreach (Microsoft.Extensions.VectorData.VectorSearchResult<Doc> hit in collection.SearchAsync(query, 10))
        {
            ids.Add(hit.Record.Id);
        }

        return ids;
    }
}
