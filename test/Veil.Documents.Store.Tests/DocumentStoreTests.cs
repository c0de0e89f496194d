using System.Globalization;
using System.Security.Cryptography;
using Veil.Documents.Store.Tests.Support;
using Veil.Testing;
using Veil.Keys;

namespace Veil.Documents.Store.Tests;

/// <summary>
/// The store through its library API, as an application would use it: ingest, export and rotation of a collection in
/// an embedded DuckDB file; a crash between rotation batches loses and duplicates nothing and a re-run finishes.
/// </summary>
public sealed class DocumentStoreTests : IDisposable
{
    private const string Tenant = "t1";
    private const string Collection = "documents";
    private const int Rows = 120;
    private const int Dimensions = 16;
    private const int BatchSize = 25;

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
    public async Task IngestAsync_ThenExportAsync_RoundTripsEveryDocumentAndReportsProgress()
    {
        float[][] vectors = Vectors();
        var progress = new List<StoreProgress>();
        var created = new List<CollectionManifest>();

        IngestResult result;
        using (DocumentStore store = DocumentStore.Open(Location, mustExist: false))
        {
            var options = new IngestOptions(Collection, new TenantId(Tenant)) { BatchSize = BatchSize, CollectionCreated = created.Add };
            result = await store.IngestAsync(Input(vectors), options, _keys.Before, new SynchronousProgress(progress.Add));
        }

        Assert.Equal(Rows, result.Stored);
        Assert.Equal(Dimensions, Assert.Single(created).Dimensions);
        Assert.Equal(RotationKeys.SecretPath, result.Manifest!.VectorSecretPath);
        Assert.Equal(Enumerable.Range(1, Rows).Select(i => (long)i), progress.Select(p => p.Done));
        await AssertReadsBackAsync(_keys.Before, vectors);
    }

    [Fact]
    public async Task IngestAsync_WhenADocumentHasOtherDimensions_RemovesTheNewCollectionAndNamesTheLine()
    {
        string lines = "{\"id\":\"a\",\"vector\":[1,0,0]}\n{\"id\":\"b\",\"vector\":[1,0]}\n";
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);

        var error = await Assert.ThrowsAsync<DocumentInputException>(() =>
            store.IngestAsync(DocumentInput.JsonLines(new StringReader(lines)), new IngestOptions(Collection, new TenantId(Tenant)), _keys.Before));

        Assert.Equal(2, error.Line);
        Assert.Null(await store.FindManifestAsync(Collection, CancellationToken.None));
        Assert.Empty(await store.ListManifestsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ExportAsync_WhenTheCollectionIsMissing_ThrowsDocumentStoreExceptionNamingIt()
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);

        var error = await Assert.ThrowsAsync<DocumentStoreException>(async () =>
        {
            await foreach (VeilDocument _ in store.ExportAsync("nothing", _keys.Before, new TenantId(Tenant)))
            {
            }
        });

        Assert.Contains("no collection \"nothing\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotateAsync_AfterPromotion_MakesEveryRowReadableWithOnlyTheNewSecrets()
    {
        float[][] vectors = await IngestAsync();
        await AssertUnreadableAsync(_keys.NewOnly);

        RotationSummary summary = await RotateAsync();
        RotationSummary again = await RotateAsync();

        Assert.Equal(Rows, summary.Rotated);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(Rows, summary.VectorsRotated);
        Assert.Equal((Rows + BatchSize - 1) / BatchSize, summary.VectorsMeasured); // one sampled vector per page: BatchSize ≤ DriftSampleInterval
        Assert.InRange(summary.MaxDrift, 0, 1e-4);
        Assert.Equal(0, again.Rotated);
        Assert.Equal(Rows, again.AlreadyCurrent);
        await AssertReadsBackAsync(_keys.NewOnly, vectors);
    }

    /// <summary>The crash: the third batch is re-encrypted in memory and lost before it is written.</summary>
    [Fact]
    public async Task RotateAsync_WhenItCrashesBetweenBatches_ReRunFinishesWithNoRowLostOrDuplicated()
    {
        float[][] vectors = await IngestAsync();
        StoreRotation.BeforeWriteForTests.Value = batch =>
        {
            if (batch == 3)
            {
                throw new SimulatedCrashException();
            }
        };
        try
        {
            await Assert.ThrowsAsync<SimulatedCrashException>(RotateAsync);
        }
        finally
        {
            StoreRotation.BeforeWriteForTests.Value = null;
        }

        List<VeilDocument> midway = await ExportAsync(_keys.Promoted);
        RotationSummary resumed = await RotateAsync();

        Assert.Equal(Rows, midway.Select(d => d.Id).Distinct().Count());
        Assert.Equal(Rows - (2 * BatchSize), resumed.Rotated);
        Assert.Equal(2 * BatchSize, resumed.AlreadyCurrent);
        await AssertReadsBackAsync(_keys.NewOnly, vectors);
    }

    private static float[][] Vectors()
    {
        var random = new Random(7);
        return Enumerable.Range(0, Rows).Select(_ => Enumerable.Range(0, Dimensions).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToArray();
    }

    private static DocumentInput Input(float[][] vectors) => DocumentInput.JsonLines(new StringReader(string.Join('\n', vectors.Select((v, i) =>
        $"{{\"id\":\"{i}\",\"vector\":[{string.Join(',', v.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))}],\"category\":\"{s_categories[i % 3]}\",\"title\":\"t{i}\"}}"))));

    private async Task<float[][]> IngestAsync()
    {
        float[][] vectors = Vectors();
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        await store.IngestAsync(Input(vectors), new IngestOptions(Collection, new TenantId(Tenant)), _keys.Before);
        return vectors;
    }

    private async Task<RotationSummary> RotateAsync()
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: true);
        return await store.RotateAsync(Collection, _keys.Promoted, new TenantId(Tenant), BatchSize);
    }

    private async Task<List<VeilDocument>> ExportAsync(VeilClient client)
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: true);
        var documents = new List<VeilDocument>();
        await foreach (VeilDocument document in store.ExportAsync(Collection, client, new TenantId(Tenant), batchSize: 7))
        {
            documents.Add(document);
        }

        return documents;
    }

    private async Task AssertUnreadableAsync(VeilClient client) =>
        await Assert.ThrowsAnyAsync<CryptographicException>(() => ExportAsync(client));

    /// <summary>Every row decrypts, once, to its vector (within the scheme's noise), category and title.</summary>
    private async Task AssertReadsBackAsync(VeilClient client, float[][] vectors)
    {
        List<VeilDocument> documents = await ExportAsync(client);

        Assert.Equal(Enumerable.Range(0, Rows).Select(i => i.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal), documents.Select(d => d.Id));
        foreach (VeilDocument document in documents)
        {
            int i = int.Parse(document.Id, CultureInfo.InvariantCulture);
            Assert.Equal(s_categories[i % 3], document.Category);
            Assert.Equal($$"""{"title":"t{{i}}"}""", document.Fields);
            float[] decrypted = document.Embedding!.Value.ToArray();
            Assert.Equal(Dimensions, decrypted.Length);
            Assert.All(decrypted.Zip(vectors[i]), p => Assert.Equal(p.Second, p.First, 1e-3f));
        }
    }

    private sealed class SimulatedCrashException : Exception;

    /// <summary>Reports on the caller's thread, in order (System.Progress posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<StoreProgress> report) : IProgress<StoreProgress>
    {
        public void Report(StoreProgress value) => report(value);
    }
}
