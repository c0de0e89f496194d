using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

/// <summary>Re-sealing under a new primary secret: resumable, exactly once, and the old secret retired afterwards.</summary>
public sealed class SealedResealTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private const int Rows = 600;
    private const int BatchSize = 50;
    private static readonly float[][] s_vectors = Synthetic.Clustered(Rows, Doc.Dimensions, 20, 0.5f, seed: 41);
    private static readonly float[][] s_queries = Synthetic.Clustered(15, Doc.Dimensions, 20, 0.5f, seed: 42);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ResealAsync_WhenCancelledAtARandomBatchAndResumed_ResealsEveryRowExactlyOnceAndRetiresTheOldSecret(int seed)
    {
        (InMemoryCollection<string, Doc> inner, InMemorySealedIndexStorage storage, List<List<string>> before) = await OldKeyCollectionAsync();
        string oldRow = inner.Stored.Single(d => d.Id == "doc-5").SealedEmbedding!;
        IReadOnlyList<byte[]> oldSnapshot = storage.SnapshotChunks;
        int stopAfter = new Random(seed).Next(1, Rows / BatchSize);
        inner.Upserted.Clear();

        using (var cancellation = new CancellationTokenSource())
        using (var killed = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options()))
        {
            var progress = new SyncProgress(p =>
            {
                if (p.Done >= stopAfter * BatchSize)
                {
                    cancellation.Cancel();
                }
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => killed.ResealAsync(BatchSize, progress, cancellation.Token));
        }

        Assert.Equal(stopAfter * BatchSize, inner.Upserted.Count);
        SealedResealSummary summary;
        using (var resumed = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options()))
        {
            summary = await resumed.ResealAsync(BatchSize);
        }

        Assert.Equal(new SealedResealSummary(Rows, 0, 0), summary);
        AssertEveryRowResealedOnce(inner);
        await AssertOldSecretRetiredAsync(inner, storage, before, oldRow, oldSnapshot);
    }

    [Fact]
    public async Task ResealAsync_WhenKilledAfterARowWriteBeforeItsCheckpoint_ResumesWithoutResealingTwice()
    {
        (InMemoryCollection<string, Doc> inner, InMemorySealedIndexStorage storage, List<List<string>> before) = await OldKeyCollectionAsync();
        string oldRow = inner.Stored.Single(d => d.Id == "doc-5").SealedEmbedding!;
        IReadOnlyList<byte[]> oldSnapshot = storage.SnapshotChunks;
        inner.Upserted.Clear();
        int writes = 0;
        inner.AfterUpsert = () =>
        {
            if (++writes == 4)
            {
                throw new IOException("process killed");
            }
        };

        using (var killed = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options()))
        {
            await Assert.ThrowsAsync<IOException>(() => killed.ResealAsync(BatchSize));
        }

        inner.AfterUpsert = null;
        using var resumed = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        SealedResealSummary summary = await resumed.ResealAsync(BatchSize);

        // The fourth batch reached the store but not the checkpoint: the resumed run finds it under the primary already.
        Assert.Equal(new SealedResealSummary(Rows - BatchSize, BatchSize, 0), summary);
        AssertEveryRowResealedOnce(inner);
        await AssertOldSecretRetiredAsync(inner, storage, before, oldRow, oldSnapshot);
    }

    [Fact]
    public async Task ResealAsync_WhenARowWasTampered_CountsItAsFailedAndLeavesIt()
    {
        (InMemoryCollection<string, Doc> inner, InMemorySealedIndexStorage storage, _) = await OldKeyCollectionAsync();
        string stolen = inner.Stored.Single(d => d.Id == "doc-1").SealedEmbedding!;
        inner.Tamper("doc-2", d => d.SealedEmbedding = stolen);
        using var collection = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());

        SealedResealSummary summary = await collection.ResealAsync(BatchSize);

        Assert.Equal(new SealedResealSummary(Rows - 1, 0, 1), summary);
        Assert.Equal(stolen, inner.Stored.Single(d => d.Id == "doc-2").SealedEmbedding);
    }

    [Fact]
    public async Task ResealAsync_WhenTheSameInstanceWritesBetweenBatches_KeepsTheWritesAndEndsWithEveryRowUnderThePrimary()
    {
        (InMemoryCollection<string, Doc> inner, InMemorySealedIndexStorage storage, _) = await OldKeyCollectionAsync();
        using var collection = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        float[] added = Synthetic.Clustered(1, Doc.Dimensions, 1, 0.5f, seed: 43)[0];
        var progress = new SyncProgress(p =>
        {
            if (p.Done == BatchSize * 2)
            {
                collection.UpsertAsync(new Doc { Id = "doc-new", Embedding = added }).GetAwaiter().GetResult();
                collection.DeleteAsync("doc-599").GetAwaiter().GetResult();
            }
        });

        SealedResealSummary summary = await collection.ResealAsync(BatchSize, progress);

        Assert.Equal(new SealedResealSummary(Rows - 1, 0, 0), summary);
        Assert.All(inner.Stored, d => Assert.Equal(2u, KeyIdOf(d.SealedEmbedding!)));
        Assert.DoesNotContain(inner.Stored, d => d.Id == "doc-599");
        using var retired = new SealedVectorStoreCollection<string, Doc>(inner, keys.NewOnly, storage, Options());
        Assert.Equal("doc-new", (await retired.SearchAsync(added, 1).ToListAsync())[0].Record.Id);
    }

    private static void AssertEveryRowResealedOnce(InMemoryCollection<string, Doc> inner)
    {
        Assert.Equal(Rows, inner.Upserted.Count);
        Assert.Equal(Rows, inner.Upserted.Select(d => d.Id).Distinct().Count());
        Assert.All(inner.Upserted, d => Assert.Equal(2u, KeyIdOf(d.SealedEmbedding!)));
        Assert.All(inner.Stored, d => Assert.Equal(2u, KeyIdOf(d.SealedEmbedding!)));
    }

    /// <summary>With only the new secret: the index loads, search is unchanged, rows open; blobs of the old secret put back are refused.</summary>
    private async Task AssertOldSecretRetiredAsync(
        InMemoryCollection<string, Doc> inner, InMemorySealedIndexStorage storage, List<List<string>> before, string oldRow, IReadOnlyList<byte[]> oldSnapshot)
    {
        using (var retired = new SealedVectorStoreCollection<string, Doc>(inner, keys.NewOnly, storage, Options()))
        {
            await retired.LoadIndexAsync();
            Assert.Equal(before, await SearchAllAsync(retired));
            Assert.Equal(s_vectors[5], (await retired.GetAsync("doc-5", new RecordRetrievalOptions { IncludeVectors = true }))!.Embedding!.Value.ToArray());
            Assert.Empty(storage.LogSequences);

            inner.Tamper("doc-5", d => d.SealedEmbedding = oldRow);
            await Assert.ThrowsAsync<CryptographicException>(() => retired.GetAsync("doc-5"));
        }

        storage.TamperSnapshot(_ => [.. oldSnapshot]);
        using var rolledBack = new SealedVectorStoreCollection<string, Doc>(inner, keys.NewOnly, storage, Options());
        await Assert.ThrowsAsync<CryptographicException>(() => rolledBack.LoadIndexAsync());
    }

    private async Task<(InMemoryCollection<string, Doc> Inner, InMemorySealedIndexStorage Storage, List<List<string>> Before)> OldKeyCollectionAsync()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using var old = new SealedVectorStoreCollection<string, Doc>(inner, keys.OldOnly, storage, Options());
        for (int start = 0; start < Rows; start += 100)
        {
            await old.UpsertAsync(s_vectors.Skip(start).Take(100).Select((v, i) => Doc.Create(start + i, v)));
        }

        Assert.True(storage.HasSnapshot);
        Assert.NotEmpty(storage.LogSequences);
        Assert.All(inner.Stored, d => Assert.Equal(1u, KeyIdOf(d.SealedEmbedding!)));
        return (inner, storage, await SearchAllAsync(old));
    }

    private static async Task<List<List<string>>> SearchAllAsync(SealedVectorStoreCollection<string, Doc> collection)
    {
        var results = new List<List<string>>();
        foreach (float[] query in s_queries)
        {
            results.Add((await collection.SearchAsync(query, 10).ToListAsync()).Select(r => r.Record.Id).ToList());
        }

        return results;
    }

    private static uint KeyIdOf(string sealedVector) => BinaryPrimitives.ReadUInt32BigEndian(Convert.FromBase64String(sealedVector).AsSpan(2));

    // One indexing thread: the graph then depends only on the seed and the insertion order, so a restarted instance that
    // replays the journal rebuilds exactly the graph the writer had, and the searches before and after compare exactly.
    private static SealedCollectionOptions Options() =>
        new() { Candidates = 40, SnapshotInterval = 4, SnapshotChunkBytes = 1024, Index = new SealedIndexOptions { Seed = 11, IndexingThreads = 1 }, WriterId = RestartedHost };

    // The killed and the resumed instances are the same app instance restarted: it takes its own lease back at once.
    private const string RestartedHost = "host-1";

    private sealed class SyncProgress(Action<SealedResealProgress> report) : IProgress<SealedResealProgress>
    {
        public void Report(SealedResealProgress value) => report(value);
    }
}
