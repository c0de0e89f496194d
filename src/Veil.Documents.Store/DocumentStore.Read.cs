using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Stores.Postgres;

namespace Veil.Documents.Store;

/// <content>Reading a collection back (export) and re-encrypting it (rotation).</content>
public sealed partial class DocumentStore
{
    /// <summary>The rows per transaction of <see cref="RotateAsync(string, VeilClient, TenantId, int, IProgress{StoreProgress}, CancellationToken)"/> that <c>veil rotate</c> uses: enough for PostgreSQL's binary COPY path (from 1 000 rows).</summary>
    public const int DefaultRotationBatchSize = 5_000;

    /// <summary>Every document of a collection, decrypted, in id order, read <paramref name="batchSize"/> at a time.</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="client">The keys the collection was ingested with.</param>
    /// <param name="tenant">The tenant it was ingested for.</param>
    /// <param name="includeVectors">Whether to read (and decrypt) the vectors too.</param>
    /// <param name="batchSize">Documents read from the store at a time (at least 1).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The documents.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is less than 1.</exception>
    /// <exception cref="DocumentStoreException">There is no such collection, the configuration lacks its secrets, or the collection belongs to another tenant.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A document does not decrypt with these keys.</exception>
    public async IAsyncEnumerable<VeilDocument> ExportAsync(
        string collection, VeilClient client, TenantId tenant, bool includeVectors = true, int batchSize = 1000, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CollectionManifest manifest = await GetManifestAsync(collection, cancellationToken).ConfigureAwait(false);
        StoreConfiguration.Check(client.Configuration, new SecretPath(manifest.VectorSecretPath), encrypting: false, manifest.Mode);
        await EnsureTenantAsync(manifest, client, tenant, cancellationToken).ConfigureAwait(false);
        using DocumentAccess opened = OpenCollection(manifest, client, tenant);
        VectorStoreCollection<string, VeilDocument> rows = opened.Collection;
        long done = 0;
        while (true)
        {
            var options = new FilteredRecordRetrievalOptions<VeilDocument>
            {
                Skip = checked((int)done),
                OrderBy = order => order.Ascending(d => d.Id),
                IncludeVectors = includeVectors,
            };
            int read = 0;
            await foreach (VeilDocument document in rows.GetAsync(d => true, batchSize, options, cancellationToken).ConfigureAwait(false))
            {
                yield return document;
                read++;
            }

            done += read;
            if (read < batchSize)
            {
                yield break;
            }
        }
    }

    /// <summary>
    /// Re-encrypts the documents of a collection still made with in-rotation secrets (or non-primary standard secrets)
    /// to the current secrets, <paramref name="batchSize"/> per transaction (see <see cref="StoreRotation"/>); in a
    /// sealed collection then re-seals the vectors and the index under the primary standard secret
    /// (<see cref="Veil.Sealed.SealedVectorStoreCollection{TKey, TRecord}.ResealAsync"/>, resumable).
    /// </summary>
    /// <param name="collection">The collection.</param>
    /// <param name="client">The keys: current secrets to encrypt with, in-rotation ones to decrypt.</param>
    /// <param name="tenant">The tenant the collection was ingested for.</param>
    /// <param name="batchSize">Rows per transaction (at least 1; <see cref="DefaultRotationBatchSize"/> unless there is a reason).</param>
    /// <param name="progress">Rows re-encrypted or tried so far; null for none.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>What was rotated, already current or failed, and the drift of the rotated vectors.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is less than 1.</exception>
    /// <exception cref="DocumentStoreException">There is no such collection, the configuration lacks a current secret, or the collection belongs to another tenant.</exception>
    public Task<RotationSummary> RotateAsync(
        string collection, VeilClient client, TenantId tenant, int batchSize, IProgress<StoreProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RotateAsync(collection, client, tenant, batchSize, buildIndexes: true, progress, cancellationToken);

    private async Task<RotationSummary> RotateAsync(
        string collection, VeilClient client, TenantId tenant, int batchSize, bool buildIndexes, IProgress<StoreProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CollectionManifest manifest = await GetManifestAsync(collection, cancellationToken).ConfigureAwait(false);
        StoreConfiguration.Check(client.Configuration, new SecretPath(manifest.VectorSecretPath), encrypting: true, manifest.Mode);
        await EnsureTenantAsync(manifest, client, tenant, cancellationToken).ConfigureAwait(false);
        RotationSummary summary;
        using (VectorStoreCollection<string, VeilDocument> rows = Plain(manifest))
        {
            summary = await new StoreRotation(rows, client, manifest, tenant, progress) { BuildIndexes = buildIndexes }.RunAsync(batchSize, cancellationToken).ConfigureAwait(false);
        }

        if (manifest.Mode == CollectionMode.Sealed)
        {
            // The sealed vectors and the index: re-sealed under the primary standard secret, resumably (a checkpoint per batch).
            using DocumentAccess access = OpenCollection(manifest, client, tenant);
            Veil.Sealed.SealedResealSummary resealed = await access.Sealed!.ResealAsync(batchSize, cancellationToken: cancellationToken).ConfigureAwait(false);
            await access.Sealed.ReleaseWriterLeaseAsync(cancellationToken).ConfigureAwait(false);
            summary.Resealed = resealed.Resealed;
            summary.Failed += resealed.Failed;
        }

        return summary;
    }
    /// <summary>
    /// Rotates several collections in one run, each for its own tenant (a collection belongs to one tenant): what
    /// <c>veil rotate</c> does for each, with the same keys, <paramref name="parallelCollections"/> collections at a time
    /// (each with its own connections, so one's store writes run beside another's reads and re-encryption). On
    /// PostgreSQL the vector indexes are built after every collection is rewritten, as many at a time (so the last
    /// progress report marks the end of the rewrite). A failure stops the run: the collections in progress stop between
    /// batches, those finished stay rotated, and a re-run skips what is already current and builds the indexes.
    /// </summary>
    /// <param name="targets">The collections and their tenants.</param>
    /// <param name="client">The keys: current secrets to encrypt with, in-rotation ones to decrypt.</param>
    /// <param name="batchSize">Rows per transaction (at least 1).</param>
    /// <param name="parallelCollections">Collections rotated at once (at least 1; 1 rotates them one after another, in order).</param>
    /// <param name="progress">Rows re-encrypted or tried so far, summed over the collections started, out of the rows they had left; null for none.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>Each collection's summary, in the order given.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> or <paramref name="parallelCollections"/> is less than 1.</exception>
    /// <exception cref="DocumentStoreException">As <see cref="RotateAsync(string, VeilClient, TenantId, int, IProgress{StoreProgress}?, CancellationToken)"/>, for the first collection it applies to.</exception>
    public async Task<IReadOnlyList<(RotationTarget Target, RotationSummary Summary)>> RotateAsync(
        IReadOnlyList<RotationTarget> targets,
        VeilClient client,
        int batchSize,
        int parallelCollections,
        IProgress<StoreProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelCollections, 1);
        var summaries = new RotationSummary[targets.Count];
        var totals = new ProgressTotals(targets.Count, progress);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        int next = -1;
        async Task RotateNextAsync()
        {
            for (int i = Interlocked.Increment(ref next); i < targets.Count; i = Interlocked.Increment(ref next))
            {
                try
                {
                    summaries[i] = await RotateAsync(targets[i].Collection, client, targets[i].Tenant, batchSize, buildIndexes: false, totals.Of(i), stop.Token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // The first failure is the run's; the others stop (between batches) because of it.
                    Interlocked.CompareExchange(ref failure, e, null);
                    await stop.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }

        async Task BuildNextAsync()
        {
            for (int i = Interlocked.Increment(ref next); i < targets.Count; i = Interlocked.Increment(ref next))
            {
                CollectionManifest manifest = await GetManifestAsync(targets[i].Collection, cancellationToken).ConfigureAwait(false);
                using VectorStoreCollection<string, VeilDocument> rows = Plain(manifest);
                if (rows is PostgresCollection<string, VeilDocument> postgres)
                {
                    long start = System.Diagnostics.Stopwatch.GetTimestamp();
                    await StoreRotation.FinishAsync(postgres, cancellationToken).ConfigureAwait(false);
                    summaries[i].IndexBuildTime = System.Diagnostics.Stopwatch.GetElapsedTime(start);
                }
            }
        }

        int workers = Math.Min(parallelCollections, targets.Count);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(RotateNextAsync, CancellationToken.None))).ConfigureAwait(false);
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(BuildNextAsync, CancellationToken.None))).ConfigureAwait(false);
        return targets.Select((target, i) => (target, summaries[i])).ToList();
    }

    /// <summary>Sums the progress of several rotations running at once into one report.</summary>
    private sealed class ProgressTotals(int count, IProgress<StoreProgress>? progress)
    {
        private readonly StoreProgress[] _latest = new StoreProgress[count];

        public IProgress<StoreProgress>? Of(int index) => progress is null ? null : new Part(this, index);

        private void Report(int index, StoreProgress value)
        {
            // Under the lock, so the sums reported never go back.
            lock (_latest)
            {
                _latest[index] = value;
                progress!.Report(new StoreProgress(_latest.Sum(p => p.Done), _latest.Sum(p => p.Total ?? 0)));
            }
        }

        private sealed class Part(ProgressTotals totals, int index) : IProgress<StoreProgress>
        {
            public void Report(StoreProgress value) => totals.Report(index, value);
        }
    }
}

/// <summary>A collection to rotate and the tenant it was ingested for.</summary>
/// <param name="Collection">The collection's name.</param>
/// <param name="Tenant">Its tenant.</param>
public sealed record RotationTarget(string Collection, TenantId Tenant);
