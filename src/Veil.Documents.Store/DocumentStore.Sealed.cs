using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Sealed;

namespace Veil.Documents.Store;

/// <content>Opening a collection in its mode: DCPE (the encrypting decorator) or sealed (the sealed decorator over it).</content>
public sealed partial class DocumentStore
{
    /// <summary>
    /// Opens the collection of <paramref name="manifest"/> for <paramref name="tenant"/> in the collection's mode: a DCPE
    /// collection through the encrypting decorator; a sealed collection through <see cref="SealedVectorStoreCollection{TKey, TRecord}"/>
    /// (vectors sealed with keys derived from the standard secrets, the index persisted sealed in the store) over the
    /// decorator that encrypts the category and fields.
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
        EncryptingVectorStoreCollection<string, VeilDocument> fields = Encrypted(manifest, client, tenant, rerank, candidates);
        if (manifest.Mode != CollectionMode.Sealed)
        {
            return new DocumentAccess(fields, CollectionMode.Dcpe, null, []);
        }

        if (client.Configuration.Standard?.PrimaryId is null)
        {
            fields.Dispose();
            throw new DocumentStoreException("Invalid configuration: a sealed collection seals its vectors with keys derived from the \"standard\" section, which is missing or has no primaryId.");
        }

        var keys = new SealedKeyring(client.Configuration.Standard, tenant);
        VectorStoreCollection<string, SealedIndexRecord> indexRows = _store.GetCollection<string, SealedIndexRecord>(SealedIndexRecord.CollectionName);
        var options = new SealedCollectionOptions { Candidates = candidates, Definition = VeilDocument.SealedDefinition(manifest.Dimensions) };
        var collection = new SealedVectorStoreCollection<string, VeilDocument>(fields, keys, new StoreSealedIndexStorage(indexRows, manifest.Name), options);
        return new DocumentAccess(collection, CollectionMode.Sealed, collection, [keys, indexRows]);
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
    /// rows written since the last one. Nothing in DCPE mode.
    /// </summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the snapshot is stored.</returns>
    public Task PersistAsync(CancellationToken cancellationToken) => Sealed?.SnapshotAsync(cancellationToken) ?? Task.CompletedTask;

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
