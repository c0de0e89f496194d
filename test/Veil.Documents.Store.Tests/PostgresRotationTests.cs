using System.Globalization;
using Npgsql;
using Veil.Documents.Store.Tests.Support;
using Veil.Keys;

namespace Veil.Documents.Store.Tests;

/// <summary>
/// Rotation on a real PostgreSQL + pgvector (<see cref="PostgresFactAttribute.ConnectionVariable"/>): interrupted by
/// cancellation at a given batch and resumed, every row is rotated exactly once and none is lost; the HNSW index the
/// bulk path drops is back after the resumed run; several collections (one tenant each) rotate in one run.
/// </summary>
public sealed class PostgresRotationTests : IDisposable
{
    private const int Rows = 600;
    private const int Dimensions = 16;
    private const int BatchSize = 100;

    private readonly RotationKeys _keys = new();
    private readonly string _prefix = "rotation_" + Guid.NewGuid().ToString("N")[..12];

    public void Dispose() => _keys.Dispose();

    private static StoreLocation Location => new(StoreLocation.PostgresKind, PostgresFactAttribute.Connection!);

    [PostgresFact]
    public async Task RotateAsync_CancelledAtTheFirstBatch_ResumesAndRotatesEveryRowExactlyOnce() => await CancelAndResumeAsync(1);

    [PostgresFact]
    public async Task RotateAsync_CancelledAtAMiddleBatch_ResumesAndRotatesEveryRowExactlyOnce() => await CancelAndResumeAsync(4);

    [PostgresFact]
    public async Task RotateAsync_CancelledAtTheLastBatch_ResumesAndRotatesEveryRowExactlyOnce() => await CancelAndResumeAsync(Rows / BatchSize);

    [PostgresFact]
    public async Task RotateAsync_CancelledWhilePagesAreInFlight_ResumesAndEveryRowReadsUnderTheNewKeyOnly()
    {
        var target = new RotationTarget(_prefix, new TenantId("t1"));
        StoreRotation.BulkRowsForTests.Value = BatchSize;
        try
        {
            using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
            float[][] vectors = await IngestAsync(store, target);

            // Cancelled from the progress report of the second page written, a real cancellation with no test hook in
            // the write path: by then the pages after it have been read and re-encrypted ahead, and must not count.
            using var cancellation = new CancellationTokenSource();
            long written = 0;
            var progress = new SynchronousProgress(p =>
            {
                written = p.Done;
                if (p.Done >= 2 * BatchSize)
                {
                    cancellation.Cancel();
                }
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                store.RotateAsync(target.Collection, _keys.Promoted, target.Tenant, BatchSize, progress, cancellation.Token));
            Assert.Equal(2 * BatchSize, written);

            RotationSummary resumed = await store.RotateAsync(target.Collection, _keys.Promoted, target.Tenant, BatchSize);

            Assert.Equal((Rows - written, written, 0L), (resumed.Rotated, resumed.AlreadyCurrent, resumed.Failed));
            Assert.Equal(Rows - written, resumed.VectorsRotated);
            Assert.Equal(1, await HnswIndexesAsync(target.Collection));
            List<VeilDocument> documents = await ExportAsync(store, target, _keys.NewOnly);
            Assert.Equal(Enumerable.Range(0, Rows).Select(Id), documents.Select(d => d.Id));
            Assert.All(documents, d => Assert.All(d.Embedding!.Value.ToArray().Zip(vectors[int.Parse(d.Id, CultureInfo.InvariantCulture)]), p => Assert.Equal(p.Second, p.First, 1e-3f)));
        }
        finally
        {
            StoreRotation.BulkRowsForTests.Value = null;
            await DeleteAsync([target]);
        }
    }

    [PostgresTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RotateAsync_SeveralTenantsInOneRun_RotatesEachCollectionForItsTenant(int parallelCollections)
    {
        var targets = Enumerable.Range(0, 3).Select(t => new RotationTarget($"{_prefix}_{t}", new TenantId($"tenant-{t}"))).ToList();
        StoreRotation.BulkRowsForTests.Value = BatchSize;
        try
        {
            using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
            var vectors = new List<float[][]>();
            foreach (RotationTarget target in targets)
            {
                vectors.Add(await IngestAsync(store, target));
            }

            var reports = new List<StoreProgress>();
            IReadOnlyList<(RotationTarget Target, RotationSummary Summary)> results =
                await store.RotateAsync(targets, _keys.Promoted, BatchSize, parallelCollections, new SynchronousProgress(reports.Add));

            Assert.Equal(targets, results.Select(r => r.Target));
            Assert.All(results, r => Assert.Equal((Rows, Rows, 0L), (r.Summary.Rotated, r.Summary.VectorsRotated, r.Summary.Failed)));

            // Progress sums the collections running at once and never goes back; the last report is every row of every one.
            Assert.Equal(reports.Select(r => r.Done).Order(), reports.Select(r => r.Done));
            Assert.Equal(new StoreProgress(targets.Count * Rows, targets.Count * Rows), reports[^1]);
            for (int t = 0; t < targets.Count; t++)
            {
                Assert.Equal(1, await HnswIndexesAsync(targets[t].Collection)); // built on the new table, swapped in
                List<VeilDocument> documents = await ExportAsync(store, targets[t], _keys.NewOnly);
                Assert.Equal(Enumerable.Range(0, Rows).Select(Id), documents.Select(d => d.Id));
                Assert.All(documents, d => Assert.All(d.Embedding!.Value.ToArray().Zip(vectors[t][int.Parse(d.Id, CultureInfo.InvariantCulture)]), p => Assert.Equal(p.Second, p.First, 1e-3f)));
            }
        }
        finally
        {
            StoreRotation.BulkRowsForTests.Value = null;
            await DeleteAsync(targets);
        }
    }

    [PostgresFact]
    public async Task RotateAsync_SeveralTenantsWithOneFailing_ThrowsItsErrorAndAReRunRotatesExactlyTheRowsLeft()
    {
        var targets = Enumerable.Range(0, 3).Select(t => new RotationTarget($"{_prefix}_{t}", new TenantId($"tenant-{t}"))).ToList();
        try
        {
            using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
            foreach (RotationTarget target in targets)
            {
                await IngestAsync(store, target);
            }

            // The middle collection named with another tenant than its own: that collection's rotation fails, the one running
            // beside it stops between batches, and the run reports the failure itself, not the cancellation it caused.
            var wrong = targets.Select((t, i) => i == 1 ? t with { Tenant = new TenantId("someone-else") } : t).ToList();
            DocumentStoreException error = await Assert.ThrowsAsync<DocumentStoreException>(() => store.RotateAsync(wrong, _keys.Promoted, BatchSize, parallelCollections: 2));
            Assert.Contains(targets[1].Collection, error.Message, StringComparison.Ordinal);

            IReadOnlyList<(RotationTarget Target, RotationSummary Summary)> results = await store.RotateAsync(targets, _keys.Promoted, BatchSize, parallelCollections: 2);

            // Whatever the first run wrote stays written: the re-run finds it current and rotates exactly the rest.
            Assert.All(results, r => Assert.Equal((Rows, 0L), (r.Summary.Rotated + r.Summary.AlreadyCurrent, r.Summary.Failed)));
            Assert.Equal(Rows, results[1].Summary.Rotated);
            foreach (RotationTarget target in targets)
            {
                Assert.Equal(Rows, (await ExportAsync(store, target, _keys.NewOnly)).Count);
            }
        }
        finally
        {
            await DeleteAsync(targets);
        }
    }

    [PostgresFact]
    public async Task RotateAsync_WritesBetweenAnInterruptedRewriteAndItsResumption_AreAllInTheSwappedInTable()
    {
        var target = new RotationTarget(_prefix, new TenantId("t1"));
        StoreRotation.BulkRowsForTests.Value = BatchSize;
        try
        {
            using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
            float[][] vectors = await IngestAsync(store, target);
            using var cancellation = new CancellationTokenSource();
            StoreRotation.BeforeWriteForTests.Value = batch =>
            {
                if (batch == 3)
                {
                    cancellation.Cancel();
                }
            };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                store.RotateAsync(target.Collection, _keys.Promoted, target.Tenant, BatchSize, cancellationToken: cancellation.Token));
            StoreRotation.BeforeWriteForTests.Value = null;
            Assert.Equal(2 * BatchSize, await RewrittenRowsAsync(target.Collection));

            // Written to the collection (the old table) while the rewrite is under way, under the new keys: a row already
            // copied into the new table replaced, one not yet copied replaced, a new row, and one copied row deleted.
            float[] replacedEarly = Enumerable.Repeat(0.25f, Dimensions).ToArray();
            float[] replacedLate = Enumerable.Repeat(-0.25f, Dimensions).ToArray();
            float[] added = Enumerable.Repeat(0.5f, Dimensions).ToArray();
            string lines = string.Join('\n', new[] { (Id(7), replacedEarly), (Id(450), replacedLate), ("new-row", added) }
                .Select(r => $"{{\"id\":\"{r.Item1}\",\"category\":\"c9\",\"vector\":[{string.Join(',', r.Item2.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))}]}}"));
            await store.IngestAsync(DocumentInput.JsonLines(new StringReader(lines)), new IngestOptions(target.Collection, target.Tenant), _keys.Promoted);
            Assert.Equal(1, await store.DeleteDocumentsAsync(target.Collection, [Id(8)], _keys.Promoted, target.Tenant));

            RotationSummary resumed = await store.RotateAsync(target.Collection, _keys.Promoted, target.Tenant, BatchSize);

            Assert.Equal((0L, false), (resumed.Failed, await RewriteLeftAsync(target.Collection)));
            Dictionary<string, VeilDocument> documents = (await ExportAsync(store, target, _keys.NewOnly)).ToDictionary(d => d.Id);
            var expected = Enumerable.Range(0, Rows).Where(i => i != 8).Select(Id).Append("new-row").Order(StringComparer.Ordinal);
            Assert.Equal(expected, documents.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(replacedEarly, documents[Id(7)].Embedding!.Value.ToArray(), (a, b) => Math.Abs(a - b) < 1e-3f);
            Assert.Equal(replacedLate, documents[Id(450)].Embedding!.Value.ToArray(), (a, b) => Math.Abs(a - b) < 1e-3f);
            Assert.Equal(added, documents["new-row"].Embedding!.Value.ToArray(), (a, b) => Math.Abs(a - b) < 1e-3f);
            Assert.All(documents.Values.Where(d => d.Id is not "new-row" && d.Id != Id(7) && d.Id != Id(450)), d =>
                Assert.All(d.Embedding!.Value.ToArray().Zip(vectors[int.Parse(d.Id, CultureInfo.InvariantCulture)]), p => Assert.Equal(p.Second, p.First, 1e-3f)));
            Assert.Equal(1, await HnswIndexesAsync(target.Collection));
        }
        finally
        {
            StoreRotation.BeforeWriteForTests.Value = null;
            StoreRotation.BulkRowsForTests.Value = null;
            await DeleteAsync([target]);
        }
    }

    /// <summary>Cancels the first run as batch <paramref name="cancelAt"/> is about to be written, then resumes.</summary>
    private async Task CancelAndResumeAsync(int cancelAt)
    {
        var target = new RotationTarget(_prefix, new TenantId("t1"));
        StoreRotation.BulkRowsForTests.Value = BatchSize;
        try
        {
            using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
            float[][] vectors = await IngestAsync(store, target);
            Assert.Equal(1, await HnswIndexesAsync(target.Collection));

            using var cancellation = new CancellationTokenSource();
            StoreRotation.BeforeWriteForTests.Value = batch =>
            {
                if (batch == cancelAt)
                {
                    cancellation.Cancel();
                }
            };
            long reported = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                store.RotateAsync(target.Collection, _keys.Promoted, target.Tenant, BatchSize, new SynchronousProgress(p => reported = p.Done), cancellation.Token));
            StoreRotation.BeforeWriteForTests.Value = null;
            int writtenBefore = (cancelAt - 1) * BatchSize;
            Assert.Equal(writtenBefore, reported);
            Assert.Equal(1, await HnswIndexesAsync(target.Collection)); // the old table keeps serving searches with its index
            Assert.Equal(writtenBefore, await RewrittenRowsAsync(target.Collection)); // the new table is the checkpoint

            RotationSummary resumed = await store.RotateAsync(target.Collection, _keys.Promoted, target.Tenant, BatchSize);

            // Exactly once: the resumed run rotates precisely the rows the first one did not write, and finds the others current.
            Assert.Equal(Rows - writtenBefore, resumed.Rotated);
            Assert.Equal(writtenBefore, resumed.AlreadyCurrent);
            Assert.Equal(0, resumed.Failed);
            Assert.Equal(1, await HnswIndexesAsync(target.Collection));

            // None lost: every row reads back, once, with only the new secrets.
            List<VeilDocument> documents = await ExportAsync(store, target, _keys.NewOnly);
            Assert.Equal(Enumerable.Range(0, Rows).Select(Id), documents.Select(d => d.Id));
            Assert.All(documents, d => Assert.All(d.Embedding!.Value.ToArray().Zip(vectors[int.Parse(d.Id, CultureInfo.InvariantCulture)]), p => Assert.Equal(p.Second, p.First, 1e-3f)));
        }
        finally
        {
            StoreRotation.BeforeWriteForTests.Value = null;
            StoreRotation.BulkRowsForTests.Value = null;
            await DeleteAsync([target]);
        }
    }

    private static string Id(int row) => row.ToString("D5", CultureInfo.InvariantCulture);

    private async Task<float[][]> IngestAsync(DocumentStore store, RotationTarget target)
    {
        var random = new Random(11);
        float[][] vectors = Enumerable.Range(0, Rows).Select(_ => Enumerable.Range(0, Dimensions).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToArray();
        string lines = string.Join('\n', vectors.Select((v, i) =>
            $"{{\"id\":\"{Id(i)}\",\"category\":\"c{i % 3}\",\"vector\":[{string.Join(',', v.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))}]}}"));
        await store.IngestAsync(DocumentInput.JsonLines(new StringReader(lines)), new IngestOptions(target.Collection, target.Tenant) { BatchSize = 200 }, _keys.Before);
        return vectors;
    }

    private async Task<List<VeilDocument>> ExportAsync(DocumentStore store, RotationTarget target, VeilClient client)
    {
        var documents = new List<VeilDocument>();
        await foreach (VeilDocument document in store.ExportAsync(target.Collection, client, target.Tenant, batchSize: 250))
        {
            documents.Add(document);
        }

        return documents;
    }

    private static async Task<long> HnswIndexesAsync(string table)
    {
        await using var connection = new NpgsqlConnection(PostgresFactAttribute.Connection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%USING hnsw%'", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The rows in the collection's unfinished rewrite (its new table).</summary>
    private static async Task<long> RewrittenRowsAsync(string collection)
    {
        await using var connection = new NpgsqlConnection(PostgresFactAttribute.Connection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM public.\"{RewriteTable(collection)}\"", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Whether anything of a rewrite is left (its new table, change log or trigger function).</summary>
    private static async Task<bool> RewriteLeftAsync(string collection)
    {
        await using var connection = new NpgsqlConnection(PostgresFactAttribute.Connection);
        await connection.OpenAsync();
        string suffix = RewriteTable(collection)["veil_rewrite_".Length..];
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname LIKE '%' || $1) OR EXISTS (SELECT 1 FROM pg_proc WHERE proname LIKE '%' || $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = suffix });
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The name PostgresCollection gives a rewrite's new table (a hash of the schema and collection).</summary>
    private static string RewriteTable(string collection) =>
        "veil_rewrite_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("public\0" + collection)))[..16];

    private static async Task DeleteAsync(IEnumerable<RotationTarget> targets)
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        foreach (RotationTarget target in targets)
        {
            await store.DeleteAsync(target.Collection, CancellationToken.None);
        }
    }

    private sealed class SynchronousProgress(Action<StoreProgress> report) : IProgress<StoreProgress>
    {
        public void Report(StoreProgress value) => report(value);
    }
}
