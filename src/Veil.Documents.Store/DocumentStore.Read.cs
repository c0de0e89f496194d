using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Documents.Store;

/// <content>Reading a collection back (export) and re-encrypting it (rotation).</content>
public sealed partial class DocumentStore
{
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
        StoreConfiguration.Check(client.Configuration, new SecretPath(manifest.VectorSecretPath), encrypting: false);
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
    /// <param name="batchSize">Rows per transaction (at least 1).</param>
    /// <param name="progress">Rows re-encrypted or tried so far; null for none.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>What was rotated, already current or failed, and the drift of the rotated vectors.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is less than 1.</exception>
    /// <exception cref="DocumentStoreException">There is no such collection, the configuration lacks a current secret, or the collection belongs to another tenant.</exception>
    public async Task<RotationSummary> RotateAsync(
        string collection, VeilClient client, TenantId tenant, int batchSize, IProgress<StoreProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CollectionManifest manifest = await GetManifestAsync(collection, cancellationToken).ConfigureAwait(false);
        StoreConfiguration.Check(client.Configuration, new SecretPath(manifest.VectorSecretPath), encrypting: true);
        await EnsureTenantAsync(manifest, client, tenant, cancellationToken).ConfigureAwait(false);
        RotationSummary summary;
        using (VectorStoreCollection<string, VeilDocument> rows = Plain(manifest))
        {
            summary = await new StoreRotation(rows, client, manifest, tenant, progress).RunAsync(batchSize, cancellationToken).ConfigureAwait(false);
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
    /// Rotates several collections in one run, one after another, each for its own tenant (a collection belongs to one
    /// tenant): what <c>veil rotate</c> does for each, with the same keys. A failure stops the run with the collections
    /// before it rotated; a re-run skips what is already current.
    /// </summary>
    /// <param name="targets">The collections and their tenants.</param>
    /// <param name="client">The keys: current secrets to encrypt with, in-rotation ones to decrypt.</param>
    /// <param name="batchSize">Rows per transaction (at least 1).</param>
    /// <param name="progress">Rows re-encrypted or tried so far in the collection being rotated; null for none.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>Each collection's summary, in the order given.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is less than 1.</exception>
    /// <exception cref="DocumentStoreException">As <see cref="RotateAsync(string, VeilClient, TenantId, int, IProgress{StoreProgress}?, CancellationToken)"/>, for the first collection it applies to.</exception>
    public async Task<IReadOnlyList<(RotationTarget Target, RotationSummary Summary)>> RotateAsync(
        IReadOnlyList<RotationTarget> targets, VeilClient client, int batchSize, IProgress<StoreProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var results = new List<(RotationTarget, RotationSummary)>(targets.Count);
        foreach (RotationTarget target in targets)
        {
            results.Add((target, await RotateAsync(target.Collection, client, target.Tenant, batchSize, progress, cancellationToken).ConfigureAwait(false)));
        }

        return results;
    }
}

/// <summary>A collection to rotate and the tenant it was ingested for.</summary>
/// <param name="Collection">The collection's name.</param>
/// <param name="Tenant">Its tenant.</param>
public sealed record RotationTarget(string Collection, TenantId Tenant);
