using System.Globalization;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store.Tests.Support;
using Veil.Keys;
using Veil.Sealed;

namespace Veil.Documents.Store.Tests;

/// <summary>
/// Sealed collections through the store's library API (what <c>veil ingest --sealed</c>, <c>search</c>, <c>export</c>
/// and <c>delete</c> call) in an embedded DuckDB file: the mode is recorded with the manifest and read back by every
/// later process, modes are never mixed, deletes reach the persisted index, and rows moved between records are refused.
/// </summary>
public sealed class SealedCollectionTests : IDisposable
{
    private const string Tenant = "t1";
    private const string Collection = "sealed_docs";
    private const int Rows = 300;
    private const int Dimensions = 16;

    private static readonly string[] s_categories = ["faq", "guide", "news"];

    private readonly TempDirectory _directory = new();
    private readonly RotationKeys _keys = new();

    public void Dispose()
    {
        _keys.Dispose();
        _directory.Dispose();
    }

    private StoreLocation Location => new(StoreLocation.DuckDbKind, _directory.File("veil.duckdb"));

    [Fact]
    public async Task SealedIngest_RecordsTheMode_StoresNoVector_AndALaterProcessSearchesExactlyAndExportsLosslessly()
    {
        float[][] vectors = Vectors(Rows, seed: 3);
        await IngestAsync(vectors, CollectionMode.Sealed);

        using DocumentStore store = DocumentStore.Open(Location, mustExist: true);
        CollectionManifest manifest = await store.GetManifestAsync(Collection, CancellationToken.None);
        Assert.Equal(CollectionMode.Sealed, manifest.Mode);

        // What the database holds: no float of any vector, ciphertext category and fields, a sealed string.
        using (VectorStoreCollection<string, VeilDocument> raw = store.Plain(manifest))
        {
            VeilDocument row = (await raw.GetAsync("7", new RecordRetrievalOptions { IncludeVectors = true }))!;
            Assert.True(row.Embedding is null || row.Embedding.Value.Length == 0);
            Assert.Null(row.EmbeddingInfo);
            Assert.Equal(SealedVectorFormat.Binary, manifest.SealedFormat);
            Assert.Equal(34 + (4 * Dimensions), row.SealedEmbedding!.Length);
            Assert.Equal(new byte[] { 1, 1, 0, 0, 0, 11 }, row.SealedEmbedding[..6]);
            Assert.Null(row.SealedEmbeddingText);
            Assert.NotEqual(s_categories[7 % 3], row.Category);
            // The title as ingested ("title":"t7"), in the stored text or its bytes: 12 characters, never there by chance
            // (a bare "t7" is, in a few per cent of base64 ciphertexts of this length).
            Assert.NotNull(row.Fields);
            Assert.DoesNotContain("\"title\":\"t7\"", row.Fields, StringComparison.Ordinal);
            Assert.DoesNotContain("\"title\":\"t7\"", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(row.Fields)), StringComparison.Ordinal);
        }

        // A new process (a new store object) loads the sealed index from the store and ranks exactly.
        using DocumentAccess access = store.OpenCollection(manifest, _keys.Before, new TenantId(Tenant));
        Assert.Equal(CollectionMode.Sealed, access.Mode);
        Assert.Equal(VeilDocument.SealedScoreDistance, access.ScoreDistance);
        for (int q = 0; q < 5; q++)
        {
            float[] query = vectors[q * 37];
            List<VectorSearchResult<VeilDocument>> hits = await access.Collection.SearchAsync(query, 10).ToListAsync();
            Assert.Equal(ExactTop(vectors, query, 10), hits.Select(h => h.Record.Id));
            Assert.Equal(1.0, hits[0].Score!.Value, 5);
        }

        List<VeilDocument> exported = await store.ExportAsync(Collection, _keys.Before, new TenantId(Tenant)).ToListAsync();
        Assert.Equal(Rows, exported.Count);
        foreach (VeilDocument document in exported)
        {
            int i = int.Parse(document.Id, CultureInfo.InvariantCulture);
            Assert.Equal(vectors[i], document.Embedding!.Value.ToArray());
            Assert.Equal(s_categories[i % 3], document.Category);
            Assert.Null(document.SealedEmbedding);
        }
    }

    [Fact]
    public async Task SealedCollection_WithAKeysetWithoutAVectorSection_IngestsSearchesExportsDeletesAndRotates_ButDcpeIsRefused()
    {
        float[][] vectors = Vectors(100, seed: 4);
        VeilClient keys = _keys.WithoutVectorSecret;
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);

        // No --secret-path: the configuration's only deterministic path is chosen.
        var options = new IngestOptions(Collection, new TenantId(Tenant)) { Mode = CollectionMode.Sealed, BatchSize = 32 };
        Assert.Equal(100, (await store.IngestAsync(Input(vectors), options, keys)).Stored);
        CollectionManifest manifest = await store.GetManifestAsync(Collection, CancellationToken.None);
        Assert.Equal(RotationKeys.SecretPath, manifest.VectorSecretPath);

        using (DocumentAccess access = store.OpenCollection(manifest, keys, new TenantId(Tenant)))
        {
            List<VectorSearchResult<VeilDocument>> hits = await access.Collection.SearchAsync(vectors[9], 10).ToListAsync();
            Assert.Equal(ExactTop(vectors, vectors[9], 10), hits.Select(h => h.Record.Id));
            await access.PersistAsync(CancellationToken.None);
        }

        List<VeilDocument> exported = await store.ExportAsync(Collection, keys, new TenantId(Tenant)).ToListAsync();
        Assert.Equal(vectors[42], exported.Single(d => d.Id == "42").Embedding!.Value.ToArray());
        Assert.Equal(s_categories[42 % 3], exported.Single(d => d.Id == "42").Category);
        Assert.Equal(1, await store.DeleteDocumentsAsync(Collection, ["42"], keys, new TenantId(Tenant)));
        RotationSummary rotated = await store.RotateAsync(Collection, keys, new TenantId(Tenant), batchSize: 64);
        Assert.Equal((0L, 99L), (rotated.Failed, rotated.AlreadyCurrent + rotated.Rotated));

        DocumentStoreException dcpe = await Assert.ThrowsAsync<DocumentStoreException>(() =>
            store.IngestAsync(Input(vectors), new IngestOptions("dcpe_docs", new TenantId(Tenant)), keys));
        Assert.Contains("\"vector\" section", dcpe.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACollectionOfTheBase64Format_StillIngestsSearchesExportsAndCountsKeyUsage_AndANewCollectionIsBinary()
    {
        // What an earlier veil created: mode row "sealed" and a text column of base64 sealed vectors.
        float[][] vectors = Vectors(Rows, seed: 8);
        using (DocumentStore store = DocumentStore.Open(Location, mustExist: false))
        {
            var legacy = new CollectionManifest
            {
                Name = Collection,
                Dimensions = Dimensions,
                VectorSecretPath = RotationKeys.SecretPath,
                VectorDerivationPath = "embedding",
                Mode = CollectionMode.Sealed,
                SealedFormat = SealedVectorFormat.Base64Text,
            };
            await store.CreateAsync(legacy, new TenantId(Tenant), CancellationToken.None);
        }

        // No fields besides id, vector and category: only the sealed vectors use the standard secret (id 11).
        await IngestAsync(vectors, CollectionMode.Sealed, titles: false);
        await IngestAsync(vectors[..10], CollectionMode.Sealed, "fresh", titles: false);

        using (DocumentStore store = DocumentStore.Open(Location, mustExist: true))
        {
            CollectionManifest manifest = await store.GetManifestAsync(Collection, CancellationToken.None);
            Assert.Equal((CollectionMode.Sealed, SealedVectorFormat.Base64Text), (manifest.Mode, manifest.SealedFormat));
            using (VectorStoreCollection<string, VeilDocument> raw = store.Plain(manifest))
            {
                VeilDocument row = (await raw.GetAsync("7"))!;
                Assert.Null(row.SealedEmbedding);
                Assert.Equal(34 + (4 * Dimensions), Convert.FromBase64String(row.SealedEmbeddingText!).Length);
            }

            using (DocumentAccess access = store.OpenCollection(manifest, _keys.Before, new TenantId(Tenant)))
            {
                Assert.Equal(ExactTop(vectors, vectors[9], 10), (await access.Collection.SearchAsync(vectors[9], 10).ToListAsync()).Select(h => h.Record.Id));
            }

            List<VeilDocument> exported = await store.ExportAsync(Collection, _keys.Before, new TenantId(Tenant)).ToListAsync();
            Assert.All(exported, d => Assert.Equal(vectors[int.Parse(d.Id, CultureInfo.InvariantCulture)], d.Embedding!.Value.ToArray()));

            CollectionManifest fresh = await store.GetManifestAsync("fresh", CancellationToken.None);
            Assert.Equal((CollectionMode.Sealed, SealedVectorFormat.Binary), (fresh.Mode, fresh.SealedFormat));
            using VectorStoreCollection<string, VeilDocument> freshRows = store.Plain(fresh);
            Assert.Equal(34 + (4 * Dimensions), (await freshRows.GetAsync("3"))!.SealedEmbedding!.Length);
        }

        // Both formats' rows are found under the standard secret that sealed them (a base64 prefix, a binary prefix).
        var path = new SecretPath(RotationKeys.SecretPath);
        IReadOnlyList<CollectionRows> used = await KeyUsage.CountAsync(Location, null, KeysetSection.Standard, path, new KeyId(11), CancellationToken.None);
        Assert.Equal([(Collection, (long)Rows), ("fresh", 10L)], used.Select(u => (u.Collection, u.Rows)).OrderByDescending(u => u.Rows));
    }

    [Fact]
    public async Task SealedSearch_WithACategoryFilter_ReturnsOnlyThatCategoryRankedExactly()
    {
        float[][] vectors = Vectors(Rows, seed: 5);
        await IngestAsync(vectors, CollectionMode.Sealed);

        using DocumentStore store = DocumentStore.Open(Location, mustExist: true);
        CollectionManifest manifest = await store.GetManifestAsync(Collection, CancellationToken.None);
        using DocumentAccess access = store.OpenCollection(manifest, _keys.Before, new TenantId(Tenant));
        var options = new VectorSearchOptions<VeilDocument> { Filter = d => d.Category == "guide" };
        List<VectorSearchResult<VeilDocument>> hits = await access.Collection.SearchAsync(vectors[0], 10, options).ToListAsync();

        IEnumerable<string> exact = ExactTop(vectors, vectors[0], int.MaxValue).Where(id => int.Parse(id, CultureInfo.InvariantCulture) % 3 == 1).Take(10);
        Assert.Equal(exact, hits.Select(h => h.Record.Id));
    }

    [Theory]
    [InlineData(CollectionMode.Dcpe, CollectionMode.Sealed, "drop --sealed")]
    [InlineData(CollectionMode.Sealed, CollectionMode.Dcpe, "add --sealed")]
    public async Task IngestIntoACollectionOfTheOtherMode_IsRefusedWithTheFix_AndStoresNothing(CollectionMode existing, CollectionMode requested, string fix)
    {
        await IngestAsync(Vectors(20, seed: 1), existing);

        using DocumentStore store = DocumentStore.Open(Location, mustExist: true);
        var more = Vectors(5, seed: 2);
        var error = await Assert.ThrowsAsync<DocumentStoreException>(() =>
            store.IngestAsync(Input(more, firstId: 1000), new IngestOptions(Collection, new TenantId(Tenant)) { Mode = requested }, _keys.Before));

        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
        Assert.Contains("one mode", error.Message, StringComparison.Ordinal);
        Assert.Equal(20, (await store.ExportAsync(Collection, _keys.Before, new TenantId(Tenant), includeVectors: false).ToListAsync()).Count);
        Assert.Equal(existing, (await store.GetManifestAsync(Collection, CancellationToken.None)).Mode);
    }

    [Fact]
    public async Task DeleteAndAppend_OnASealedCollection_ReachThePersistedIndex()
    {
        float[][] vectors = Vectors(Rows, seed: 9);
        await IngestAsync(vectors, CollectionMode.Sealed);
        string[] deleted = ExactTop(vectors, vectors[0], 5).ToArray();
        float[][] added = Vectors(10, seed: 10);

        using (DocumentStore store = DocumentStore.Open(Location, mustExist: true))
        {
            Assert.Equal(5, await store.DeleteDocumentsAsync(Collection, deleted, _keys.Before, new TenantId(Tenant)));
            var options = new IngestOptions(Collection, new TenantId(Tenant)) { Mode = CollectionMode.Sealed };
            Assert.Equal(10, (await store.IngestAsync(Input(added, firstId: 1000), options, _keys.Before)).Stored);
        }

        using DocumentStore reopened = DocumentStore.Open(Location, mustExist: true);
        CollectionManifest manifest = await reopened.GetManifestAsync(Collection, CancellationToken.None);
        using DocumentAccess access = reopened.OpenCollection(manifest, _keys.Before, new TenantId(Tenant));
        List<VectorSearchResult<VeilDocument>> hits = await access.Collection.SearchAsync(vectors[0], 10).ToListAsync();
        Assert.DoesNotContain(hits, h => deleted.Contains(h.Record.Id));
        var all = vectors.Select((v, i) => (Id: i.ToString(CultureInfo.InvariantCulture), Vector: v))
            .Concat(added.Select((v, i) => (Id: (1000 + i).ToString(CultureInfo.InvariantCulture), Vector: v)))
            .Where(r => !deleted.Contains(r.Id));
        Assert.Equal(all.OrderByDescending(r => TensorPrimitives.CosineSimilarity(r.Vector, vectors[0])).Take(10).Select(r => r.Id), hits.Select(h => h.Record.Id));
        Assert.Equal("1003", (await access.Collection.SearchAsync(added[3], 1).SingleAsync()).Record.Id);
    }

    [Fact]
    public async Task ASealedVectorMovedToAnotherRow_IsRefusedOnSearchAndExport()
    {
        float[][] vectors = Vectors(Rows, seed: 11);
        await IngestAsync(vectors, CollectionMode.Sealed);

        using DocumentStore store = DocumentStore.Open(Location, mustExist: true);
        CollectionManifest manifest = await store.GetManifestAsync(Collection, CancellationToken.None);

        // The attack: whoever controls the database copies row 1's sealed vector over row 0's (so that a search meant
        // for row 1's neighbours returns row 0, or row 0's export carries row 1's vector).
        using (VectorStoreCollection<string, VeilDocument> raw = store.Plain(manifest))
        {
            VeilDocument victim = (await raw.GetAsync("0"))!;
            victim.SealedEmbedding = (await raw.GetAsync("1"))!.SealedEmbedding;
            await raw.UpsertAsync(victim);
        }

        using DocumentAccess access = store.OpenCollection(manifest, _keys.Before, new TenantId(Tenant));
        await Assert.ThrowsAsync<CryptographicException>(async () => await access.Collection.SearchAsync(vectors[0], 10).ToListAsync());
        await Assert.ThrowsAsync<CryptographicException>(async () => await store.ExportAsync(Collection, _keys.Before, new TenantId(Tenant)).ToListAsync());
    }

    [Fact]
    public async Task RebuildSealedIndexAsync_AfterTheIndexRowsAreDeleted_SearchesAsBefore()
    {
        float[][] vectors = Vectors(Rows, seed: 21);
        await IngestAsync(vectors, CollectionMode.Sealed);
        using (var duck = new Stores.DuckDb.DuckDbVectorStore(Location.Target))
        using (VectorStoreCollection<string, SealedIndexRecord> rows = duck.GetCollection<string, SealedIndexRecord>(SealedIndexRecord.CollectionName))
        {
            await new StoreSealedIndexStorage(rows, Collection).DeleteAllAsync(CancellationToken.None);
        }

        using DocumentStore store = DocumentStore.Open(Location, mustExist: true);
        CollectionManifest manifest = await store.GetManifestAsync(Collection, CancellationToken.None);
        using (DocumentAccess lost = store.OpenCollection(manifest, _keys.Before, new TenantId(Tenant)))
        {
            Assert.Empty(await lost.Collection.SearchAsync(vectors[0], 10).ToListAsync());
        }

        var progress = new List<StoreProgress>();
        SealedRebuildSummary summary = await store.RebuildSealedIndexAsync(Collection, _keys.Before, new TenantId(Tenant), 128, new Synchronous(progress.Add));

        Assert.Equal(new SealedRebuildSummary(Rows, 0), summary);
        Assert.Equal([128L, 256L, 300L], progress.Select(p => p.Done));
        using DocumentAccess access = store.OpenCollection(manifest, _keys.Before, new TenantId(Tenant));
        for (int q = 0; q < 5; q++)
        {
            float[] query = vectors[q * 37];
            Assert.Equal(ExactTop(vectors, query, 10), (await access.Collection.SearchAsync(query, 10).ToListAsync()).Select(h => h.Record.Id));
        }

        // A later writer is not kept out by the rebuild's lease, which it released.
        Assert.Equal(1, await store.DeleteDocumentsAsync(Collection, ["0"], _keys.Before, new TenantId(Tenant)));
    }

    [Fact]
    public async Task ReplacingASealedCollection_RemovesItsModeAndIndex()
    {
        await IngestAsync(Vectors(50, seed: 12), CollectionMode.Sealed);
        float[][] vectors = Vectors(50, seed: 13);

        using (DocumentStore store = DocumentStore.Open(Location, mustExist: true))
        {
            await store.IngestAsync(Input(vectors), new IngestOptions(Collection, new TenantId(Tenant)) { Replace = true }, _keys.Before);
            Assert.Equal(CollectionMode.Dcpe, (await store.GetManifestAsync(Collection, CancellationToken.None)).Mode);
        }

        using var duck = new Stores.DuckDb.DuckDbVectorStore(Location.Target);
        using VectorStoreCollection<string, SealedIndexRecord> rows = duck.GetCollection<string, SealedIndexRecord>(SealedIndexRecord.CollectionName);
        Assert.Equal(0, await rows.GetAsync(r => r.Collection == Collection, 100).CountAsync());
    }

    [Fact]
    public async Task RotateAsync_OnASealedCollection_ResealsEveryVectorAndTheIndex_SoTheNewSecretsAloneReadAndSearch()
    {
        float[][] vectors = Vectors(Rows, seed: 14);
        await IngestAsync(vectors, CollectionMode.Sealed);

        using DocumentStore store = DocumentStore.Open(Location, mustExist: true);
        RotationSummary summary = await store.RotateAsync(Collection, _keys.Promoted, new TenantId(Tenant), batchSize: 64);
        RotationSummary again = await store.RotateAsync(Collection, _keys.Promoted, new TenantId(Tenant), batchSize: 64);

        Assert.Equal(Rows, summary.Resealed);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(0, again.Resealed);
        List<VeilDocument> exported = await store.ExportAsync(Collection, _keys.NewOnly, new TenantId(Tenant)).ToListAsync();
        Assert.Equal(Rows, exported.Count);
        Assert.Equal(vectors[42], exported.Single(d => d.Id == "42").Embedding!.Value.ToArray());
        CollectionManifest manifest = await store.GetManifestAsync(Collection, CancellationToken.None);
        using DocumentAccess access = store.OpenCollection(manifest, _keys.NewOnly, new TenantId(Tenant));
        Assert.Equal(ExactTop(vectors, vectors[42], 10), (await access.Collection.SearchAsync(vectors[42], 10).ToListAsync()).Select(h => h.Record.Id));
    }

    [Fact]
    public async Task KeyUsage_OfAStandardSecret_CountsTheRowsWhoseSealedVectorsItsKeysSeal_SoRetiringItIsRefusedUnlessForced()
    {
        // No fields besides id, vector and category: only the sealed vectors use the standard secret (id 11).
        string lines = string.Join('\n', Vectors(40, seed: 15).Select((v, i) =>
            $"{{\"id\":\"{i}\",\"vector\":[{string.Join(',', v.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))}],\"category\":\"faq\"}}"));
        using (DocumentStore store = DocumentStore.Open(Location, mustExist: false))
        {
            await store.IngestAsync(DocumentInput.JsonLines(new StringReader(lines)), new IngestOptions(Collection, new TenantId(Tenant)) { Mode = CollectionMode.Sealed }, _keys.Before);
        }

        IReadOnlyList<CollectionRows> used = await KeyUsage.CountAsync(Location, Collection, KeysetSection.Standard, new SecretPath(RotationKeys.SecretPath), new KeyId(11), CancellationToken.None);
        IReadOnlyList<CollectionRows> other = await KeyUsage.CountAsync(Location, Collection, KeysetSection.Standard, new SecretPath(RotationKeys.SecretPath), new KeyId(10), CancellationToken.None);

        Assert.Equal(40, Assert.Single(used).Rows);
        Assert.Empty(other);
        var path = new SecretPath(RotationKeys.SecretPath);
        DocumentStoreException refused = await Assert.ThrowsAsync<DocumentStoreException>(
            () => KeyUsage.CheckRetireAsync(Location, Collection, KeysetSection.Standard, path, new KeyId(11), force: false, CancellationToken.None));
        Assert.StartsWith("retire refused: 40 row(s)", refused.Message, StringComparison.Ordinal);

        // Over the whole store (no collection named), the sealed collection counts too.
        Assert.Equal(40, Assert.Single(await KeyUsage.CountAsync(Location, null, KeysetSection.Standard, path, new KeyId(11), CancellationToken.None)).Rows);
        await Assert.ThrowsAsync<DocumentStoreException>(
            () => KeyUsage.CheckRetireAsync(Location, null, KeysetSection.Standard, path, new KeyId(11), force: false, CancellationToken.None));
        Assert.StartsWith("warning: --force: 40 row(s)", await KeyUsage.CheckRetireAsync(Location, Collection, KeysetSection.Standard, path, new KeyId(11), force: true, CancellationToken.None), StringComparison.Ordinal);
        Assert.StartsWith("keys: no rows", await KeyUsage.CheckRetireAsync(Location, Collection, KeysetSection.Standard, path, new KeyId(10), force: false, CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoreIndexStorage_PublishesSnapshotsAtomically_RefusesReusedSequences_AndKeepsRecords()
    {
        using var duck = new Stores.DuckDb.DuckDbVectorStore(_directory.File("index.duckdb"));
        using VectorStoreCollection<string, SealedIndexRecord> rows = duck.GetCollection<string, SealedIndexRecord>(SealedIndexRecord.CollectionName);
        var storage = new StoreSealedIndexStorage(rows, "c");
        byte[][] first = Enumerable.Range(0, 5).Select(_ => RandomNumberGenerator.GetBytes(100)).ToArray();
        await storage.AppendAsync(new SealedIndexBlob(1, new byte[] { 1 }));
        await storage.AppendAsync(new SealedIndexBlob(2, new byte[] { 2 }));
        await storage.WriteSnapshotAsync(2, Chunks(first));
        await storage.AppendAsync(new SealedIndexBlob(3, new byte[] { 3 }));

        Assert.Equal(first, await storage.ReadSnapshotAsync().Select(b => b.Data.ToArray()).ToListAsync());
        Assert.Equal([3L], await storage.ReadLogAsync(0).Select(e => e.Sequence).ToListAsync());
        await Assert.ThrowsAsync<SealedIndexConflictException>(() => storage.AppendAsync(new SealedIndexBlob(3, new byte[] { 9 })));
        await Assert.ThrowsAsync<SealedIndexConflictException>(() => storage.AppendAsync(new SealedIndexBlob(2, new byte[] { 9 })));
        await Assert.ThrowsAsync<SealedIndexConflictException>(() => storage.WriteSnapshotAsync(2, Chunks(first)));

        // A crash while staging a newer snapshot (chunks written, never published): the published one is read.
        await rows.UpsertAsync(new SealedIndexRecord { Key = SealedIndexRecord.KeyOf("c", SealedIndexRecord.SnapshotKind, 3, 0), Collection = "c", Kind = SealedIndexRecord.SnapshotKind, Sequence = 3, Part = 0, Parts = 1, Data = "AAAA" });
        Assert.Equal(2, (await storage.ReadSnapshotAsync().FirstAsync()).Sequence);

        // The next snapshot replaces it and drops the old chunks and the log it covers.
        byte[][] second = [RandomNumberGenerator.GetBytes(10)];
        await storage.WriteSnapshotAsync(3, Chunks(second));
        Assert.Equal(second, await storage.ReadSnapshotAsync().Select(b => b.Data.ToArray()).ToListAsync());
        Assert.Empty(await storage.ReadLogAsync(0).ToListAsync());
        Assert.Equal(0, await rows.GetAsync(r => r.Collection == "c" && r.Kind == SealedIndexRecord.SnapshotKind && r.Sequence == 2, 100).CountAsync());

        await storage.WriteRecordAsync("head", new byte[] { 7, 8 });
        Assert.Equal(new byte[] { 7, 8 }, await storage.ReadRecordAsync("head"));
        await storage.WriteRecordAsync("head", null);
        Assert.Null(await storage.ReadRecordAsync("head"));
        await Assert.ThrowsAsync<ArgumentException>(() => storage.ReadRecordAsync("../x"));

        // Another collection's index is apart.
        Assert.Empty(await new StoreSealedIndexStorage(rows, "d").ReadSnapshotAsync().ToListAsync());
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(byte[][] chunks)
    {
        foreach (byte[] chunk in chunks)
        {
            await Task.Yield();
            yield return chunk;
        }
    }

    private static float[][] Vectors(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, Dimensions).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToArray();
    }

    private static IEnumerable<string> ExactTop(float[][] vectors, float[] query, int top) =>
        Enumerable.Range(0, vectors.Length).OrderByDescending(i => TensorPrimitives.CosineSimilarity(vectors[i], query)).Take(top).Select(i => i.ToString(CultureInfo.InvariantCulture));

    /// <summary>JSON Lines of the vectors, with a category and (unless <paramref name="titles"/> is false: no standard-encrypted fields) a title.</summary>
    private static DocumentInput Input(float[][] vectors, int firstId = 0, bool titles = true) => DocumentInput.JsonLines(new StringReader(string.Join('\n', vectors.Select((v, i) =>
        $"{{\"id\":\"{firstId + i}\",\"vector\":[{string.Join(',', v.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))}],\"category\":\"{s_categories[(firstId + i) % 3]}\"{(titles ? $",\"title\":\"t{firstId + i}\"" : string.Empty)}}}"))));

    private async Task IngestAsync(float[][] vectors, CollectionMode mode, string collection = Collection, bool titles = true)
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        await store.IngestAsync(Input(vectors, titles: titles), new IngestOptions(collection, new TenantId(Tenant)) { Mode = mode, BatchSize = 128 }, _keys.Before);
    }

    private sealed class Synchronous(Action<StoreProgress> report) : IProgress<StoreProgress>
    {
        public void Report(StoreProgress value) => report(value);
    }
}
