using Microsoft.Extensions.Time.Testing;
using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

/// <summary>The writer lease: one writing instance per collection at a time; readers never wait for it.</summary>
public sealed class SealedWriterLeaseTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(50, Doc.Dimensions, 5, 0.5f, seed: 81);
    private static readonly DateTimeOffset s_start = new(2026, 12, 5, 6, 0, 0, TimeSpan.Zero);

    private readonly InMemoryCollection<string, Doc> _inner = new("docs") { RefuseSearch = true };
    private readonly InMemorySealedIndexStorage _storage = new();
    private readonly FakeTimeProvider _clock = new(s_start);

    [Fact]
    public async Task SecondWriter_WhileTheFirstHoldsTheLease_FailsFastWritingNothingAndReadersAreUnaffected()
    {
        using var first = Collection();
        using var second = Collection();
        await first.UpsertAsync(Doc.Create(1, s_vectors[1]));
        int rows = _inner.Upserted.Count;
        long[] log = [.. _storage.LogSequences];

        _clock.Advance(TimeSpan.FromSeconds(29));
        SealedWriterLeaseException refused = await Assert.ThrowsAsync<SealedWriterLeaseException>(() => second.UpsertAsync(Doc.Create(2, s_vectors[2])));
        await Assert.ThrowsAsync<SealedWriterLeaseException>(() => second.DeleteAsync("doc-1"));
        await Assert.ThrowsAsync<SealedWriterLeaseException>(() => second.SnapshotAsync());

        Assert.Equal(s_start + TimeSpan.FromSeconds(30), refused.ExpiresAt);
        Assert.Contains("one writer per collection", refused.Message, StringComparison.Ordinal);
        Assert.Equal(rows, _inner.Upserted.Count);
        Assert.Equal(log, _storage.LogSequences);
        Assert.Equal(["doc-1"], (await second.SearchAsync(s_vectors[1], 5).ToListAsync()).Select(r => r.Record.Id));
        using var reader = Collection();
        Assert.Equal(["doc-1"], (await reader.SearchAsync(s_vectors[1], 5).ToListAsync()).Select(r => r.Record.Id));
    }

    [Fact]
    public async Task Lease_OfAWriterThatCrashed_ExpiresAndTheNextWriterTakesOver()
    {
        var crashed = Collection();
        await crashed.UpsertAsync(Doc.Create(1, s_vectors[1]));
        using var next = Collection();

        _clock.Advance(TimeSpan.FromSeconds(30));
        await next.UpsertAsync(Doc.Create(2, s_vectors[2]));

        Assert.Equal(["doc-1", "doc-2"], (await next.SearchAsync(s_vectors[1], 5).ToListAsync()).Select(r => r.Record.Id).Order());

        // The old writer, back, finds the lease taken.
        await Assert.ThrowsAsync<SealedWriterLeaseException>(() => crashed.UpsertAsync(Doc.Create(3, s_vectors[3])));
        crashed.Dispose();
    }

    [Fact]
    public async Task Lease_WhileTheWriterKeepsWriting_IsRenewed()
    {
        using var writer = Collection();
        using var other = Collection();
        for (int i = 0; i < 6; i++)
        {
            await writer.UpsertAsync(Doc.Create(i, s_vectors[i]));
            _clock.Advance(TimeSpan.FromSeconds(20));
        }

        // 120 s after the first write, 20 s after the last: still held.
        SealedWriterLeaseException refused = await Assert.ThrowsAsync<SealedWriterLeaseException>(() => other.UpsertAsync(Doc.Create(9, s_vectors[9])));
        Assert.True(refused.ExpiresAt > _clock.GetUtcNow());
        _clock.Advance(TimeSpan.FromSeconds(30));
        await other.UpsertAsync(Doc.Create(9, s_vectors[9]));
    }

    [Fact]
    public async Task ReleaseWriterLeaseAsync_LetsAnotherWriterWriteAtOnce_AndTheFirstTakesItBackLater()
    {
        using var first = Collection();
        using var second = Collection();
        await first.UpsertAsync(Doc.Create(1, s_vectors[1]));
        await first.ReleaseWriterLeaseAsync();

        await second.UpsertAsync(Doc.Create(2, s_vectors[2]));
        await second.ReleaseWriterLeaseAsync();

        // The first instance is now stale: it takes the lease, is refused by the sequence numbers, reloads and writes.
        await Assert.ThrowsAsync<SealedIndexConflictException>(() => first.UpsertAsync(Doc.Create(3, s_vectors[3])));
        await first.UpsertAsync(Doc.Create(3, s_vectors[3]));
        Assert.Equal(["doc-1", "doc-2", "doc-3"], (await first.SearchAsync(s_vectors[1], 5).ToListAsync()).Select(r => r.Record.Id).Order());
    }

    [Fact]
    public async Task Lease_RecordAlteredInTheStorage_CountsAsFree()
    {
        using var first = Collection();
        await first.UpsertAsync(Doc.Create(1, s_vectors[1]));
        byte[] lease = (await _storage.ReadRecordAsync("writer-lease"))!;
        lease[^1] ^= 1;
        await _storage.WriteRecordAsync("writer-lease", lease);
        using var second = Collection();

        await second.UpsertAsync(Doc.Create(2, s_vectors[2]));

        // The first writer, still within the first half of its lease, does not re-read it; the sequence numbers refuse
        // its stale write before it reaches the store.
        int rows = _inner.Upserted.Count;
        await Assert.ThrowsAsync<SealedIndexConflictException>(() => first.UpsertAsync(Doc.Create(3, s_vectors[3])));
        Assert.Equal(rows, _inner.Upserted.Count);
    }

    [Fact]
    public async Task Lease_WithTheSameWriterId_IsTakenOverAtOnceByTheRestartedInstance()
    {
        var crashed = Collection("pod-1");
        await crashed.UpsertAsync(Doc.Create(1, s_vectors[1]));
        using var restarted = Collection("pod-1");
        using var other = Collection("pod-2");

        await restarted.UpsertAsync(Doc.Create(2, s_vectors[2]));

        await Assert.ThrowsAsync<SealedWriterLeaseException>(() => other.UpsertAsync(Doc.Create(3, s_vectors[3])));
        crashed.Dispose();
    }

    private SealedVectorStoreCollection<string, Doc> Collection(string? writerId = null) =>
        new(_inner, keys.Keyring, _storage, new SealedCollectionOptions { TimeProvider = _clock, WriterId = writerId, Index = new SealedIndexOptions { Seed = 2 } });
}
