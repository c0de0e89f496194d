using System.Security.Cryptography;
using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

/// <summary>Snapshots written and read in sealed chunks: each attack on the chunk sequence is refused.</summary>
public sealed class SealedSnapshotChunkTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(400, Doc.Dimensions, 20, 0.5f, seed: 51);

    [Fact]
    public async Task Snapshot_WhenWrittenInSmallChunks_LoadsToTheSameResults()
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using var writer = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        await writer.UpsertAsync(s_vectors.Select((v, i) => Doc.Create(i, v)));
        await writer.SnapshotAsync();

        Assert.True(storage.SnapshotChunks.Count > 10, $"{storage.SnapshotChunks.Count} chunks");
        Assert.Empty(storage.LogSequences);
        using var reader = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        foreach (float[] query in s_vectors.Take(20))
        {
            Assert.Equal(await Ids(writer, query), await Ids(reader, query));
        }
    }

    [Theory]
    [InlineData("reorder", typeof(CryptographicException))]
    [InlineData("drop-first", typeof(CryptographicException))]
    [InlineData("drop-middle", typeof(CryptographicException))]
    [InlineData("drop-last", typeof(InvalidDataException))]
    [InlineData("truncate-chunk", typeof(CryptographicException))]
    [InlineData("alter-chunk", typeof(CryptographicException))]
    [InlineData("append-chunk", typeof(InvalidDataException))]
    [InlineData("splice-other-snapshot", typeof(CryptographicException))]
    [InlineData("claim-fewer-chunks", typeof(CryptographicException))]
    public async Task Load_WhenTheSnapshotsChunksAreAttacked_Refuses(string attack, Type refusal)
    {
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var storage = new InMemorySealedIndexStorage();
        using (var writer = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options()))
        {
            await writer.UpsertAsync(s_vectors.Take(200).Select((v, i) => Doc.Create(i, v)));
            await writer.SnapshotAsync();
            IReadOnlyList<byte[]> older = storage.SnapshotChunks;
            await writer.UpsertAsync(s_vectors.Skip(200).Select((v, i) => Doc.Create(200 + i, v)));
            await writer.SnapshotAsync();
            storage.TamperSnapshot(chunks => Attack(attack, chunks, older));
        }

        using var loader = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, storage, Options());
        Exception refused = await Assert.ThrowsAnyAsync<Exception>(() => loader.LoadIndexAsync());

        Assert.IsType(refusal, refused);
        Assert.DoesNotContain("doc-", refused.Message, StringComparison.Ordinal);
    }

    private static List<byte[]> Attack(string attack, List<byte[]> chunks, IReadOnlyList<byte[]> older)
    {
        switch (attack)
        {
            case "reorder":
                (chunks[1], chunks[2]) = (chunks[2], chunks[1]);
                break;
            case "drop-first":
                chunks.RemoveAt(0);
                break;
            case "drop-middle":
                chunks.RemoveAt(chunks.Count / 2);
                break;
            case "drop-last":
                chunks.RemoveAt(chunks.Count - 1);
                break;
            case "truncate-chunk":
                chunks[3] = chunks[3][..^10];
                break;
            case "alter-chunk":
                chunks[3][^20] ^= 1;
                break;
            case "append-chunk":
                chunks.Add(chunks[^1]);
                break;
            case "splice-other-snapshot":
                chunks[3] = older[3];
                break;
            case "claim-fewer-chunks":
                // Rewrites the plaintext chunk count of every chunk to drop the last one unnoticed: the count is bound too.
                chunks.RemoveAt(chunks.Count - 1);
                foreach (byte[] chunk in chunks)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(20), chunks.Count);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(attack));
        }

        return chunks;
    }

    private static async Task<List<string>> Ids(SealedVectorStoreCollection<string, Doc> collection, float[] query) =>
        (await collection.SearchAsync(query, 10).ToListAsync()).Select(r => r.Record.Id).ToList();

    private static SealedCollectionOptions Options() =>
        new() { Candidates = 40, SnapshotChunkBytes = 1024, Index = new SealedIndexOptions { Seed = 13, IndexingThreads = 1 } };
}
