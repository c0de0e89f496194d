using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Sealed;

namespace Veil.Documents.Store;

/// <content>Opening a collection in its mode: DCPE (the encrypting decorator) or sealed (the sealed decorator, which encrypts the fields too).</content>
public sealed partial class DocumentStore
{
    /// <summary>
    /// Opens the collection of <paramref name="manifest"/> for <paramref name="tenant"/> in the collection's mode: a DCPE
    /// collection through the encrypting decorator; a sealed collection through <see cref="SealedVectorStoreCollection{TKey, TRecord}"/>
    /// alone (vectors sealed with keys derived from the standard secrets, the index persisted sealed in the store, the
    /// category and fields encrypted as the encrypting decorator does).
    /// </summary>
    /// <param name="manifest">The collection.</param>
    /// <param name="client">The keys.</param>
    /// <param name="tenant">The tenant.</param>
    /// <param name="rerank">DCPE: re-rank candidates exactly (sealed search always ranks exactly).</param>
    /// <param name="candidates">K′: candidates re-ranked (DCPE) or fetched by key (sealed).</param>
    /// <returns>The opened collection.</returns>
    /// <exception cref="DocumentStoreException">A sealed collection and no primary standard secret.</exception>
    public DocumentAccess OpenCollection(
        CollectionManifest manifest, VeilClient client, TenantId tenant, bool rerank = true, int candidates = EncryptingCollectionOptions.DefaultRerankCandidates)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(client);
        if (manifest.Mode != CollectionMode.Sealed)
        {
            return new DocumentAccess(Encrypted(manifest, client, tenant, rerank, candidates), CollectionMode.Dcpe, null, []);
        }

        if (client.Configuration.Standard?.PrimaryId is null)
        {
            throw new DocumentStoreException("Invalid configuration: a sealed collection seals its vectors with keys derived from the \"standard\" section, which is missing or has no primaryId.");
        }

        VectorStoreCollection<string, SealedIndexRecord> indexRows = _store.GetCollection<string, SealedIndexRecord>(SealedIndexRecord.CollectionName);
        var options = new SealedCollectionOptions { Candidates = candidates, Definition = VeilDocument.Definition(manifest) };
        SealedVectorStoreCollection<string, VeilDocument> collection;
        try
        {
            collection = new SealedVectorStoreCollection<string, VeilDocument>(
                Plain(manifest), client, FieldOptions(manifest, tenant, rerank, candidates), new StoreSealedIndexStorage(indexRows, manifest.Name), options);
        }
        catch
        {
            indexRows.Dispose();
            throw;
        }

        return new DocumentAccess(collection, CollectionMode.Sealed, collection, [indexRows]);
    }

    /// <summary>
    /// Rebuilds a sealed collection's index from its rows, for when the index (snapshot or change log) in the store is
    /// lost or corrupt: every row's sealed vector is opened with the standard secrets and indexed again, then the index
    /// is persisted as a new snapshot (<see cref="SealedVectorStoreCollection{TKey, TRecord}.RebuildIndexAsync"/>).
    /// Resumable: a re-run after a crash continues after the last checkpoint.
    /// </summary>
    /// <param name="collection">The collection.</param>
    /// <param name="client">The keys it was ingested with.</param>
    /// <param name="tenant">The tenant it was ingested for.</param>
    /// <param name="batchSize">Rows read from the store at a time (at least 1).</param>
    /// <param name="progress">Rows scanned so far; null for none.</param>
    /// <param name="cancellationToken">Cancels between batches (the last checkpoint is kept).</param>
    /// <returns>The rows indexed and those whose sealed vector failed authentication.</returns>
    /// <exception cref="DocumentStoreException">There is no such collection, it is not sealed, the configuration lacks its secrets, or the collection belongs to another tenant.</exception>
    /// <exception cref="SealedWriterLeaseException">Another instance is writing the collection.</exception>
    public async Task<SealedRebuildSummary> RebuildSealedIndexAsync(
        string collection, VeilClient client, TenantId tenant, int batchSize, IProgress<StoreProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CollectionManifest manifest = await GetManifestAsync(collection, cancellationToken).ConfigureAwait(false);
        if (manifest.Mode != CollectionMode.Sealed)
        {
            throw new DocumentStoreException($"Collection \"{manifest.Name}\" is not sealed: only a sealed collection has an index to rebuild.");
        }

        StoreConfiguration.Check(client.Configuration, new SecretPath(manifest.VectorSecretPath), encrypting: false, manifest.Mode);
        await EnsureTenantAsync(manifest, client, tenant, cancellationToken).ConfigureAwait(false);
        using DocumentAccess access = OpenCollection(manifest, client, tenant);
        IProgress<SealedRebuildProgress>? scanned = progress is null ? null : new ScanProgress(progress);
        SealedRebuildSummary summary = await access.Sealed!.RebuildIndexAsync(batchSize, scanned, cancellationToken).ConfigureAwait(false);
        await access.Sealed.ReleaseWriterLeaseAsync(cancellationToken).ConfigureAwait(false);
        return summary;
    }

    /// <summary>Deletes a collection's mode row and its sealed index, if any.</summary>
    private async Task DeleteSealedStateAsync(string name, CancellationToken cancellationToken)
    {
        if (await _modes.CollectionExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            await _modes.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        }

        using VectorStoreCollection<string, SealedIndexRecord> indexRows = _store.GetCollection<string, SealedIndexRecord>(SealedIndexRecord.CollectionName);
        await new StoreSealedIndexStorage(indexRows, name).DeleteAllAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Reports a rebuild's rows scanned as store progress, synchronously (on the rebuild's flow).</summary>
file sealed class ScanProgress(IProgress<StoreProgress> progress) : IProgress<SealedRebuildProgress>
{
    public void Report(SealedRebuildProgress value) => progress.Report(new StoreProgress(value.Scanned, null));
}

/// <summary>A collection of <see cref="VeilDocument"/>s opened in its mode (<see cref="DocumentStore.OpenCollection"/>).</summary>
public sealed class DocumentAccess : IDisposable
{
    private readonly IDisposable[] _owned;

    internal DocumentAccess(VectorStoreCollection<string, VeilDocument> collection, CollectionMode mode, SealedVectorStoreCollection<string, VeilDocument>? sealedCollection, IDisposable[] owned)
    {
        Collection = collection;
        Mode = mode;
        Sealed = sealedCollection;
        _owned = owned;
    }

    /// <summary>Gets the collection: plaintext documents in and out, encrypted or sealed in the store.</summary>
    public VectorStoreCollection<string, VeilDocument> Collection { get; }

    /// <summary>Gets the collection's mode.</summary>
    public CollectionMode Mode { get; }

    /// <summary>Gets the sealed collection (null in DCPE mode).</summary>
    public SealedVectorStoreCollection<string, VeilDocument>? Sealed { get; }

    /// <summary>The distance search scores are, as search output names it.</summary>
    public string ScoreDistance => VeilDocument.ScoreDistanceOf(Mode);

    /// <summary>
    /// Sealed mode: writes a sealed snapshot of the index, so that the next process loads it instead of re-indexing the
    /// rows written since the last one, then releases the writer lease so that another process may write at once.
    /// Nothing in DCPE mode.
    /// </summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the snapshot is stored and the lease released.</returns>
    public async Task PersistAsync(CancellationToken cancellationToken)
    {
        if (Sealed is { } sealedCollection)
        {
            await sealedCollection.SnapshotAsync(cancellationToken).ConfigureAwait(false);
            await sealedCollection.ReleaseWriterLeaseAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the collection and disposes the keys it derived.</summary>
    public void Dispose()
    {
        Collection.Dispose();
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }
}
