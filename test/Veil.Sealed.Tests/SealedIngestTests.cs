using Microsoft.Extensions.VectorData;
using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

/// <summary>The upsert pipeline (sealing overlapped with the store write) and the bound on the insertion queue.</summary>
public sealed class SealedIngestTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private const int Bound = 8;
    private static readonly float[][] s_vectors = Synthetic.Clustered(10_000, Doc.Dimensions, 40, 0.5f, seed: 15);

    [Fact]
    public async Task UpsertAsync_OfSeveralSealingChunks_WritesEveryRowOnceSealedUnderItsKeyAndIndexesIt()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, _) = Create(SealedIndexOptions.DefaultMaxQueuedBytes);

        await collection.UpsertAsync(s_vectors.Select((v, i) => Doc.Create(i, v)));

        Assert.Equal(s_vectors.Length, inner.Upserted.Count);
        Assert.Equal(s_vectors.Length, inner.Upserted.Select(d => d.Id).Distinct().Count());
        Assert.All(inner.Upserted, d => Assert.Null(d.Embedding));
        foreach (int i in new[] { 0, 4095, 4096, 8191, 8192, 9999 })
        {
            Doc? got = await collection.GetAsync($"doc-{i}", new RecordRetrievalOptions { IncludeVectors = true });
            Assert.Equal(s_vectors[i], got!.Embedding!.Value.ToArray());
            Assert.Equal($"doc-{i}", (await collection.SearchAsync(s_vectors[i], 1).SingleAsync()).Record.Id);
        }

        Assert.Equal(s_vectors.Length, collection.LoadedIndex!.Count);
    }

    [Fact]
    public async Task UpsertAsync_WhenTheQueueIsFull_WaitsWithoutWritingUntilTheGraphMakesRoom()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, InMemorySealedIndexStorage storage) = Create(Bound * Doc.Dimensions * sizeof(float));
        using var gate = new ManualResetEventSlim(false);
        await collection.LoadIndexAsync();
        collection.LoadedIndex!.IndexingGate = gate;
        await collection.UpsertAsync(Range(0, 4));
        await collection.UpsertAsync(Range(4, 4));
        long sequence = collection.IndexSequence;

        Task third = collection.UpsertAsync(Range(8, 4));
        await Task.Delay(300);

        Assert.False(third.IsCompleted);
        Assert.Equal(8, inner.Upserted.Count);
        Assert.Equal(sequence, collection.IndexSequence);
        Assert.Equal(Bound, collection.LoadedIndex.PendingCount);

        gate.Set();
        await third.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(12, inner.Upserted.Count);
        Assert.Contains(sequence + 1, storage.LogSequences);
    }

    [Fact]
    public async Task UpsertAsync_WithATinyBound_CompletesAndTheQueueNeverHoldsMoreThanTheBound()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, _) = Create(Bound * Doc.Dimensions * sizeof(float));

        for (int start = 0; start < 400; start += 4)
        {
            await collection.UpsertAsync(Range(start, 4));
            Assert.InRange(collection.LoadedIndex!.PendingCount, 0, Bound);
        }

        await collection.WaitForIndexingAsync();
        Assert.Equal(400, inner.Upserted.Count);
        Assert.Equal(400, collection.LoadedIndex!.Count);
        Assert.True(Enumerable.Range(0, 400).Count(i => collection.SearchAsync(s_vectors[i], 1).ToBlockingEnumerable().Single().Record.Id == $"doc-{i}") >= 396);
    }

    [Fact]
    public async Task UpsertAsync_LargerThanTheBound_IsLetInAloneOnceTheQueueIsEmpty()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, _) = Create(Bound * Doc.Dimensions * sizeof(float));
        using var gate = new ManualResetEventSlim(false);
        await collection.LoadIndexAsync();
        collection.LoadedIndex!.IndexingGate = gate;
        await collection.UpsertAsync(Range(0, 2));

        Task large = collection.UpsertAsync(Range(2, 30));
        await Task.Delay(300);
        Assert.False(large.IsCompleted);
        Assert.Equal(2, inner.Upserted.Count);

        gate.Set();
        await large.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(32, inner.Upserted.Count);
        Assert.InRange(collection.LoadedIndex.PendingCount, 0, 30);
    }

    [Fact]
    public async Task UpsertAsync_WhenCancelledWhileWaitingForRoom_ThrowsAndWritesNothing()
    {
        (InMemoryCollection<string, Doc> inner, SealedVectorStoreCollection<string, Doc> collection, InMemorySealedIndexStorage storage) = Create(Bound * Doc.Dimensions * sizeof(float));
        using var gate = new ManualResetEventSlim(false);
        await collection.LoadIndexAsync();
        collection.LoadedIndex!.IndexingGate = gate;
        await collection.UpsertAsync(Range(0, Bound));
        int entries = storage.LogSequences.Count;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collection.UpsertAsync(Range(Bound, 4), cancel.Token));

        Assert.Equal(Bound, inner.Upserted.Count);
        Assert.Equal(entries, storage.LogSequences.Count);
        Assert.False(collection.LoadedIndex.Contains($"doc-{Bound}"));

        gate.Set();
        await collection.UpsertAsync(Range(Bound, 4));
        Assert.Equal($"doc-{Bound}", (await collection.SearchAsync(s_vectors[Bound], 1).SingleAsync()).Record.Id);
    }

    [Fact]
    public async Task IndexUpsertAsync_FromManyWritersAtOnce_NeverQueuesMoreThanTheBoundAndQueuesEveryVector()
    {
        const int Writers = 8;
        const int Calls = 25;
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { Seed = 7, IndexingThreads = 1, MaxQueuedBytes = Bound * Doc.Dimensions * sizeof(float) });
        using var gate = new ManualResetEventSlim(false);
        index.IndexingGate = gate;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int[] written = new int[Writers];
        Task[] writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            await start.Task;
            for (int call = 0; call < Calls; call++)
            {
                // 1 to 4 vectors a call, keys of their own: every call fits the bound alone, so none is let in alone.
                int size = 1 + ((w + call) % 4);
                int first = (w * 1000) + (call * 4);
                await index.UpsertAsync(Enumerable.Range(first, size).Select(k => KeyValuePair.Create(k, s_vectors[k])));
                written[w] += size;
            }
        })).ToArray();

        start.SetResult();

        // The graph is held: the writers fill the queue as far as the bound lets them, then wait. Read, then release
        // the graph and let every writer finish before asserting, so that a failure leaves nothing running.
        // (Polled: on a loaded machine the writers may take a while to start.)
        for (int waited = 0; waited < 3000 && index.PendingCount < Bound - 3; waited++)
        {
            await Task.Delay(10);
        }

        await Task.Delay(200);
        int pendingWhileHeld = index.PendingCount;
        bool anyFinishedWhileHeld = writers.Any(t => t.IsCompleted);
        gate.Set();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        await index.WaitForIndexingAsync();

        Assert.InRange(pendingWhileHeld, Bound - 3, Bound);
        Assert.False(anyFinishedWhileHeld);
        Assert.InRange(index.PeakPendingCount, 1, Bound);
        Assert.Equal(written.Sum(), index.Count);
        Assert.All(Enumerable.Range(0, Writers), w => Assert.True(index.Contains(w * 1000)));
    }

    [Fact]
    public async Task IndexUpsertAsync_WhenCancelledWhileWaiting_QueuesNothing()
    {
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { Seed = 7, IndexingThreads = 1, MaxQueuedBytes = Bound * Doc.Dimensions * sizeof(float) });
        using var gate = new ManualResetEventSlim(false);
        index.IndexingGate = gate;
        try
        {
            await index.UpsertAsync(Enumerable.Range(0, Bound).Select(k => KeyValuePair.Create(k, s_vectors[k])));
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => index.UpsertAsync([KeyValuePair.Create(Bound, s_vectors[Bound])], cancel.Token));

            Assert.False(index.Contains(Bound));
            Assert.Equal(Bound, index.Count);
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public void IndexOptions_WhenTheBoundIsNotPositive_AreRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { MaxQueuedBytes = 0 }));

    private static IEnumerable<Doc> Range(int start, int count) => Enumerable.Range(start, count).Select(i => Doc.Create(i, s_vectors[i]));

    private (InMemoryCollection<string, Doc> Inner, SealedVectorStoreCollection<string, Doc> Collection, InMemorySealedIndexStorage Storage) Create(long maxQueuedBytes)
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        var options = new SealedCollectionOptions
        {
            Candidates = 20,
            Index = new SealedIndexOptions { Seed = 7, IndexingThreads = 1, MaxQueuedBytes = maxQueuedBytes },
        };
        return (inner, new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, options), storage);
    }
}
