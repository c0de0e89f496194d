using System.Security.Cryptography;
using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

/// <summary>A truncated change-log tail, a deleted head record, rollbacks, and a second writer.</summary>
public sealed class SealedIndexIntegrityTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(200, Doc.Dimensions, 10, 0.5f, seed: 71);

    [Fact]
    public async Task Load_WhenTheLastLogEntriesAreDropped_RefusesWithTheHeadRecord()
    {
        (InMemoryCollection<string, Doc> inner, InMemorySealedIndexStorage storage) = await WrittenAsync(calls: 5);

        storage.RemoveLogEntry(5);
        storage.RemoveLogEntry(4);

        using var loader = Collection(inner, storage);
        InvalidDataException refused = await Assert.ThrowsAsync<InvalidDataException>(() => loader.LoadIndexAsync());
        Assert.Contains("dropped", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_WhenTheHeadRecordIsDeletedOrFromAnotherCollection_Refuses()
    {
        (InMemoryCollection<string, Doc> inner, InMemorySealedIndexStorage storage) = await WrittenAsync(calls: 3);
        (_, InMemorySealedIndexStorage other) = await WrittenAsync(calls: 3, name: "other");

        await storage.WriteRecordAsync("head", await other.ReadRecordAsync("head"));
        using (var swapped = Collection(inner, storage))
        {
            await Assert.ThrowsAsync<CryptographicException>(() => swapped.LoadIndexAsync());
        }

        await storage.WriteRecordAsync("head", null);
        using var deleted = Collection(inner, storage);
        await Assert.ThrowsAsync<InvalidDataException>(() => deleted.LoadIndexAsync());
    }

    [Fact]
    public async Task Load_WhenTheTailAndTheHeadAreRolledBackTogether_IsDetectedOnlyWithATrustedMinimumSequence()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        byte[]? headAtFour = null;
        long reached;
        using (var writer = Collection(inner, storage))
        {
            for (int i = 0; i < 5; i++)
            {
                await writer.UpsertAsync(Doc.Create(i, s_vectors[i]));
                headAtFour = i == 3 ? await storage.ReadRecordAsync("head") : headAtFour;
            }

            reached = writer.IndexSequence;
        }

        // The attacker drops entry 5 and puts back the head record of entry 4: consistent, so the storage alone cannot tell.
        storage.RemoveLogEntry(5);
        await storage.WriteRecordAsync("head", headAtFour);
        using (var fooled = Collection(inner, storage))
        {
            await fooled.LoadIndexAsync();
            Assert.Equal(4, fooled.IndexSequence);
            Assert.DoesNotContain("doc-4", (await fooled.SearchAsync(s_vectors[4], 5).ToListAsync()).Select(r => r.Record.Id));
        }

        // With the sequence number kept outside the index storage, the rollback is refused.
        Assert.Equal(5, reached);
        using var anchored = Collection(inner, storage);
        await Assert.ThrowsAsync<InvalidDataException>(() => anchored.LoadIndexAsync(minimumSequence: reached));
    }

    [Fact]
    public async Task Write_WhenKilledBetweenTheLogEntryAndTheHeadRecord_IsNotMistakenForTruncation()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new FaultyStorage(new InMemorySealedIndexStorage());
        using (var writer = Collection(inner, storage))
        {
            await writer.UpsertAsync(Doc.Create(1, s_vectors[1]));
            storage.FailNextRecordWrite = true;
            await Assert.ThrowsAsync<IOException>(() => writer.UpsertAsync(Doc.Create(2, s_vectors[2])));
        }

        using var restarted = Collection(inner, storage);
        await restarted.LoadIndexAsync();
        Assert.Equal(2, restarted.IndexSequence);
        Assert.Equal(["doc-1"], (await restarted.SearchAsync(s_vectors[2], 5).ToListAsync()).Select(r => r.Record.Id));
    }

    [Fact]
    public async Task SecondWriter_WhenItWritesFromAStaleState_IsRefusedBeforeTouchingTheStoreAndRecoversByReloading()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using var first = Collection(inner, storage);
        using var second = Collection(inner, storage);
        await first.UpsertAsync(Doc.Create(1, s_vectors[1]));
        await second.LoadIndexAsync();

        await first.UpsertAsync(Doc.Create(2, s_vectors[2]));
        await first.ReleaseWriterLeaseAsync();
        int rowsBefore = inner.Upserted.Count;
        await Assert.ThrowsAsync<SealedIndexConflictException>(() => second.UpsertAsync(Doc.Create(3, s_vectors[3])));
        Assert.Equal(rowsBefore, inner.Upserted.Count);

        // Reloaded, the second writer has the first one's change and can write again.
        await second.UpsertAsync(Doc.Create(3, s_vectors[3]));
        using var reader = Collection(inner, storage);
        Assert.Equal(["doc-1", "doc-2", "doc-3"], (await reader.SearchAsync(s_vectors[1], 5).ToListAsync()).Select(r => r.Record.Id).Order());
    }

    [Fact]
    public async Task SecondWriter_WhenTheFirstCompactedPastItsSequence_IsStillRefused()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using var first = Collection(inner, storage);
        using var second = Collection(inner, storage);
        using var third = Collection(inner, storage);
        await first.UpsertAsync(Doc.Create(1, s_vectors[1]));
        await second.LoadIndexAsync();
        await third.LoadIndexAsync();

        await first.UpsertAsync(Doc.Create(2, s_vectors[2]));
        await first.SnapshotAsync();
        await first.ReleaseWriterLeaseAsync();

        await Assert.ThrowsAsync<SealedIndexConflictException>(() => second.UpsertAsync(Doc.Create(3, s_vectors[3])));
        await second.ReleaseWriterLeaseAsync();
        await Assert.ThrowsAsync<SealedIndexConflictException>(() => third.SnapshotAsync());
    }

    private async Task<(InMemoryCollection<string, Doc> Inner, InMemorySealedIndexStorage Storage)> WrittenAsync(int calls, string name = "docs")
    {
        var inner = new InMemoryCollection<string, Doc>(name) { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using var writer = Collection(inner, storage);
        for (int i = 0; i < calls; i++)
        {
            await writer.UpsertAsync(Doc.Create(i, s_vectors[i]));
        }

        return (inner, storage);
    }

    private SealedVectorStoreCollection<string, Doc> Collection(InMemoryCollection<string, Doc> inner, ISealedIndexStorage storage) =>
        new(inner, keys.Keyring, storage, new SealedCollectionOptions { Candidates = 20, SnapshotChunkBytes = 1024, Index = new SealedIndexOptions { Seed = 19, IndexingThreads = 1 } });

    /// <summary>Wraps a storage; can fail the next record write (a crash between a log entry and the head record).</summary>
    private sealed class FaultyStorage(ISealedIndexStorage inner) : ISealedIndexStorage
    {
        public bool FailNextRecordWrite { get; set; }

        public IAsyncEnumerable<SealedIndexBlob> ReadSnapshotAsync(CancellationToken cancellationToken = default) => inner.ReadSnapshotAsync(cancellationToken);

        public Task WriteSnapshotAsync(long sequence, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default) =>
            inner.WriteSnapshotAsync(sequence, chunks, cancellationToken);

        public Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default) => inner.AppendAsync(entry, cancellationToken);

        public IAsyncEnumerable<SealedIndexBlob> ReadLogAsync(long afterSequence, CancellationToken cancellationToken = default) => inner.ReadLogAsync(afterSequence, cancellationToken);

        public Task<byte[]?> ReadRecordAsync(string name, CancellationToken cancellationToken = default) => inner.ReadRecordAsync(name, cancellationToken);

        public Task WriteRecordAsync(string name, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken = default)
        {
            if (FailNextRecordWrite)
            {
                FailNextRecordWrite = false;
                throw new IOException("process killed");
            }

            return inner.WriteRecordAsync(name, data, cancellationToken);
        }
    }
}
