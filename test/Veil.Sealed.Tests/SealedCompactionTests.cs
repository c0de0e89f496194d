using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

/// <summary>Compaction (a new snapshot replacing the change log) is crash-safe at every step.</summary>
public sealed class SealedCompactionTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>, IDisposable
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(300, Doc.Dimensions, 15, 0.5f, seed: 61);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("chunk", 1, false)]
    [InlineData("chunk", 5, false)]
    [InlineData("published", 1, true)]
    [InlineData("dropped", 1, true)]
    [InlineData("dropped", 4, true)]
    public async Task SnapshotAsync_WhenKilledAtAStep_RestartLosesNothingAndAppliesNothingTwice(string step, int occurrence, bool published)
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new DirectorySealedIndexStorage(_temp.Path);
        List<List<string>> expected;
        using (var writer = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options()))
        {
            for (int start = 0; start < 250; start += 50)
            {
                await writer.UpsertAsync(s_vectors.Skip(start).Take(50).Select((v, i) => Doc.Create(start + i, v)));
            }

            await writer.DeleteAsync("doc-7");
            expected = await SearchAllAsync(writer);
            int seen = 0;
            storage.OnStep = s =>
            {
                if (s == step && ++seen == occurrence)
                {
                    throw new IOException("process killed");
                }
            };
            await Assert.ThrowsAsync<IOException>(() => writer.SnapshotAsync());
        }

        inner.Fetches.Clear();
        using var restarted = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, new DirectorySealedIndexStorage(_temp.Path), Options());
        await restarted.LoadIndexAsync();

        // Before the publish the whole log is replayed from the rows; after it, no entry the snapshot covers is applied again.
        List<string> replayed = inner.Fetches.SelectMany(f => f).ToList();
        Assert.Equal(published ? 0 : 250, replayed.Count);
        Assert.Equal(expected, await SearchAllAsync(restarted));
        Assert.DoesNotContain(expected, r => r.Contains("doc-7"));

        // The restarted writer carries on: a further change and snapshot, then a cold load, still agree.
        await restarted.UpsertAsync(s_vectors.Skip(250).Select((v, i) => Doc.Create(250 + i, v)));
        await restarted.SnapshotAsync();
        using var cold = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, new DirectorySealedIndexStorage(_temp.Path), Options());
        Assert.Equal(await SearchAllAsync(restarted), await SearchAllAsync(cold));
        Assert.Empty(Directory.GetFiles(_temp.Path, "log-*"));
        Assert.Single(Directory.GetDirectories(_temp.Path));
    }

    [Fact]
    public async Task Upserts_WhenTheThresholdIsReached_CompactTheLogIntoASnapshot()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using var writer = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options(snapshotInterval: 3));

        for (int i = 0; i < 7; i++)
        {
            await writer.UpsertAsync(Doc.Create(i, s_vectors[i]));
        }

        Assert.True(storage.HasSnapshot);
        Assert.Equal([7L], storage.LogSequences);
    }

    private static async Task<List<List<string>>> SearchAllAsync(SealedVectorStoreCollection<string, Doc> collection)
    {
        var results = new List<List<string>>();
        foreach (float[] query in s_vectors.Take(15))
        {
            results.Add((await collection.SearchAsync(query, 10).ToListAsync()).Select(r => r.Record.Id).ToList());
        }

        return results;
    }

    private static SealedCollectionOptions Options(int snapshotInterval = SealedCollectionOptions.DefaultSnapshotInterval) =>
        new() { Candidates = 40, SnapshotInterval = snapshotInterval, SnapshotChunkBytes = 1024, Index = new SealedIndexOptions { Seed = 17, IndexingThreads = 1 }, WriterId = RestartedHost };

    // The killed and the restarted instances are the same app instance: it takes its own lease back at once.
    private const string RestartedHost = "host-1";
}
