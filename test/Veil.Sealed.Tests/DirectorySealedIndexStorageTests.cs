using Microsoft.Extensions.VectorData;
using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

public sealed class DirectorySealedIndexStorageTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>, IDisposable
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(300, Doc.Dimensions, 10, 0.5f, seed: 31);
    private readonly TempDirectory _temp = new();

    private string Root => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Storage_WhenSnapshotWritten_DropsTheLogItCoversAndKeepsTheRest()
    {
        var storage = new DirectorySealedIndexStorage(Root);
        await storage.AppendAsync(new SealedIndexBlob(1, new byte[] { 1 }));
        await storage.AppendAsync(new SealedIndexBlob(2, new byte[] { 2 }));
        await storage.AppendAsync(new SealedIndexBlob(3, new byte[] { 3 }));

        await storage.WriteSnapshotAsync(2, Chunks([9, 9], [8]));

        List<SealedIndexBlob> snapshot = await storage.ReadSnapshotAsync().ToListAsync();
        Assert.All(snapshot, c => Assert.Equal(2, c.Sequence));
        Assert.Equal([[9, 9], [8]], snapshot.Select(c => c.Data.ToArray()));
        List<SealedIndexBlob> log = await storage.ReadLogAsync(2).ToListAsync();
        Assert.Equal([3L], log.Select(e => e.Sequence));
        Assert.Single(Directory.GetFiles(Root));
        Assert.Single(Directory.GetDirectories(Root));
        await Assert.ThrowsAsync<SealedIndexConflictException>(() => storage.AppendAsync(new SealedIndexBlob(3, new byte[] { 4 })));
        await Assert.ThrowsAsync<SealedIndexConflictException>(() => storage.AppendAsync(new SealedIndexBlob(2, new byte[] { 4 })));
        await Assert.ThrowsAsync<SealedIndexConflictException>(() => storage.WriteSnapshotAsync(2, Chunks([1])));
    }

    [Fact]
    public async Task Records_WhenWrittenReplacedAndDeleted_ReadBackAndRefuseBadNames()
    {
        var storage = new DirectorySealedIndexStorage(Root);

        await storage.WriteRecordAsync("head", new byte[] { 1 });
        await storage.WriteRecordAsync("head", new byte[] { 2, 3 });
        Assert.Equal([2, 3], await storage.ReadRecordAsync("head"));
        await storage.WriteRecordAsync("head", null);
        Assert.Null(await storage.ReadRecordAsync("head"));
        await Assert.ThrowsAsync<ArgumentException>(() => storage.WriteRecordAsync("../x", new byte[] { 1 }));
    }

    [Fact]
    public async Task SecondProcess_WhenLoadingFromTheDirectory_ReturnsTheSameResultsAndStoresNoPlaintext()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var options = new SealedCollectionOptions { SnapshotInterval = 3, Candidates = 30, Index = new SealedIndexOptions { Seed = 5, IndexingThreads = 1 } };
        using var first = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, new DirectorySealedIndexStorage(Root), options);
        for (int batch = 0; batch < 5; batch++)
        {
            await first.UpsertAsync(s_vectors.Skip(batch * 60).Take(60).Select((v, i) => Doc.Create((batch * 60) + i, v)));
        }

        using var second = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, new DirectorySealedIndexStorage(Root), options);
        foreach (float[] query in s_vectors.Take(20))
        {
            Assert.Equal(
                (await first.SearchAsync(query, 10).ToListAsync()).Select(r => r.Record.Id),
                (await second.SearchAsync(query, 10).ToListAsync()).Select(r => r.Record.Id));
        }

        // Neither key strings nor float bytes appear in the files.
        byte[] needle = BitConverter.GetBytes(s_vectors[0][0]);
        foreach (string file in Directory.GetFiles(Root, "*", SearchOption.AllDirectories))
        {
            byte[] bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(needle));
            Assert.Equal(-1, bytes.AsSpan().IndexOf("doc-"u8));
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(params byte[][] chunks)
    {
        foreach (byte[] chunk in chunks)
        {
            await Task.Yield();
            yield return chunk;
        }
    }
}
