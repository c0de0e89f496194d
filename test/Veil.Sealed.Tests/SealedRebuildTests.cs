using Microsoft.Extensions.VectorData;
using Veil.Sealed.Tests.Support;
using Veil.Stores.DuckDb;

namespace Veil.Sealed.Tests;

/// <summary>Rebuilding a lost or corrupt index from a scan of the sealed rows: the same results, resumable, with progress.</summary>
public sealed class SealedRebuildTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>, IDisposable
{
    private const int Rows = 600;
    private static readonly float[][] s_vectors = Synthetic.Clustered(Rows + 20, Doc.Dimensions, 20, 0.5f, seed: 91);
    private static readonly float[][] s_queries = s_vectors[Rows..];
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task RebuildIndexAsync_AfterTheIndexStorageIsDeleted_GivesTheSameResults()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        List<List<string>> expected = await WriteAsync(inner, new InMemorySealedIndexStorage());

        var lost = new InMemorySealedIndexStorage();
        using var rebuilt = Collection(inner, lost);
        var progress = new Recorder();
        SealedRebuildSummary summary = await rebuilt.RebuildIndexAsync(batchSize: 64, progress);

        Assert.Equal(new SealedRebuildSummary(Rows - 60, 0), summary);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)Math.Min(i * 64, Rows - 60)), progress.Reports.Select(p => p.Scanned));
        Assert.Equal(expected, await SearchAllAsync(rebuilt));
        using var cold = Collection(inner, lost);
        Assert.Equal(expected, await SearchAllAsync(cold));
        Assert.Null(await lost.ReadRecordAsync("rebuild-checkpoint"));

        // The rebuilt index takes writes as before.
        await rebuilt.DeleteAsync("doc-100");
        Assert.DoesNotContain("doc-100", (await SearchAllAsync(Collection(inner, lost))).SelectMany(r => r));
    }

    [Fact]
    public async Task RebuildIndexAsync_OverACorruptSnapshotAndLog_ReplacesThemAndLeavesOutAlteredRows()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        List<List<string>> expected = await WriteAsync(inner, new DirectorySealedIndexStorage(_temp.Path), snapshotEvery: 5);
        foreach (string file in Directory.GetFiles(_temp.Path, "*.sealed", SearchOption.AllDirectories))
        {
            byte[] bytes = await File.ReadAllBytesAsync(file);
            bytes[^1] ^= 1;
            await File.WriteAllBytesAsync(file, bytes);
        }

        await Assert.ThrowsAnyAsync<Exception>(() => Collection(inner, new DirectorySealedIndexStorage(_temp.Path)).LoadIndexAsync());
        inner.Tamper("doc-501", d => d.SealedEmbedding = inner.Stored.First(r => r.Id == "doc-502").SealedEmbedding);

        using var rebuilt = Collection(inner, new DirectorySealedIndexStorage(_temp.Path));
        SealedRebuildSummary summary = await rebuilt.RebuildIndexAsync(batchSize: 100);

        Assert.Equal(new SealedRebuildSummary(Rows - 61, 1), summary);
        using var cold = Collection(inner, new DirectorySealedIndexStorage(_temp.Path));
        await cold.LoadIndexAsync();
        Assert.Equal(Rows - 61, cold.LoadedIndex!.Count);
        Assert.False(cold.LoadedIndex.Contains("doc-501"));
        Assert.Equal(expected.Select(r => r.Where(id => id != "doc-501")), (await SearchAllAsync(cold)).Select(r => r.Where(id => id != "doc-501")));
    }

    [Fact]
    public async Task RebuildIndexAsync_WhenCancelled_RefusesThePartialIndexAndResumesAfterTheCheckpoint()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        List<List<string>> expected = await WriteAsync(inner, new InMemorySealedIndexStorage());
        var storage = new InMemorySealedIndexStorage();
        using var cancellation = new CancellationTokenSource();
        var first = new Recorder(p =>
        {
            if (p.Scanned == 250)
            {
                cancellation.Cancel();
            }
        });

        using (var interrupted = Collection(inner, storage))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => interrupted.RebuildIndexAsync(50, first, cancellation.Token));
            await interrupted.ReleaseWriterLeaseAsync();
        }

        InvalidDataException partial = await Assert.ThrowsAsync<InvalidDataException>(() => Collection(inner, storage).LoadIndexAsync());
        Assert.Contains("RebuildIndexAsync", partial.Message, StringComparison.Ordinal);

        // Checkpoints after 50, 100 and 200 rows (each once the rows since the last reach the rows before it).
        using var resumed = Collection(inner, storage);
        var second = new Recorder();
        SealedRebuildSummary summary = await resumed.RebuildIndexAsync(50, second);

        Assert.Equal(250, second.Reports[0].Scanned);
        Assert.Equal(Rows - 60, second.Reports[^1].Scanned);
        Assert.Equal(new SealedRebuildSummary(Rows - 60, 0), summary);
        Assert.Equal(expected, await SearchAllAsync(resumed));
        Assert.Equal(expected, await SearchAllAsync(Collection(inner, storage)));
    }

    [Fact]
    public async Task RebuildIndexAsync_OverDuckDb_GivesTheSameResults()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        VectorStoreCollection<string, Doc> inner = store.GetCollection<string, Doc>("docs");
        await inner.EnsureCollectionExistsAsync();
        List<List<string>> expected = await WriteAsync(inner, new InMemorySealedIndexStorage());

        var lost = new InMemorySealedIndexStorage();
        using var rebuilt = Collection(inner, lost);
        SealedRebuildSummary summary = await rebuilt.RebuildIndexAsync(batchSize: 128);

        Assert.Equal(new SealedRebuildSummary(Rows - 60, 0), summary);
        Assert.Equal(expected, await SearchAllAsync(rebuilt));
        Assert.Equal(expected, await SearchAllAsync(Collection(inner, lost)));
    }

    /// <summary>Writes the rows (in calls of 50), deletes every tenth, and returns the top 10 of each query.</summary>
    private async Task<List<List<string>>> WriteAsync(VectorStoreCollection<string, Doc> inner, ISealedIndexStorage storage, int snapshotEvery = 1000)
    {
        using var writer = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options(snapshotEvery));
        for (int start = 0; start < Rows; start += 50)
        {
            await writer.UpsertAsync(s_vectors.Skip(start).Take(50).Select((v, i) => Doc.Create(start + i, v)));
        }

        await writer.DeleteAsync(Enumerable.Range(0, Rows / 10).Select(i => $"doc-{i * 10}"));
        return await SearchAllAsync(writer);
    }

    private SealedVectorStoreCollection<string, Doc> Collection(VectorStoreCollection<string, Doc> inner, ISealedIndexStorage storage) =>
        new(inner, keys.Keyring, storage, Options(1000));

    private static SealedCollectionOptions Options(int snapshotEvery) =>
        new() { SnapshotInterval = snapshotEvery, GraphCompactionThreshold = 1, Index = new SealedIndexOptions { Seed = 9, IndexingThreads = 1 } };

    private static async Task<List<List<string>>> SearchAllAsync(SealedVectorStoreCollection<string, Doc> collection)
    {
        var all = new List<List<string>>();
        foreach (float[] query in s_queries)
        {
            all.Add((await collection.SearchAsync(query, 10).ToListAsync()).Select(r => r.Record.Id).ToList());
        }

        return all;
    }

    private sealed class Recorder(Action<SealedRebuildProgress>? onReport = null) : IProgress<SealedRebuildProgress>
    {
        public List<SealedRebuildProgress> Reports { get; } = [];

        public void Report(SealedRebuildProgress value)
        {
            Reports.Add(value);
            onReport?.Invoke(value);
        }
    }
}
