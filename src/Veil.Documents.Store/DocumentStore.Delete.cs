using Microsoft.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Documents.Store;

/// <content>Deleting documents by id.</content>
public sealed partial class DocumentStore
{
    /// <summary>
    /// Deletes the documents of a collection with the given ids (ids it does not have are skipped), after checking
    /// that <paramref name="tenant"/> is the collection's (see <see cref="EnsureTenantAsync"/>).
    /// </summary>
    /// <param name="collection">The collection.</param>
    /// <param name="ids">The ids of the documents to delete.</param>
    /// <param name="client">The keys the collection was ingested with (to check the tenant of a collection made before tenants were recorded).</param>
    /// <param name="tenant">The tenant the collection was ingested for.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>The number of documents that were there and are deleted.</returns>
    /// <exception cref="DocumentStoreException">There is no such collection, the configuration lacks its secrets, or the collection belongs to another tenant.</exception>
    public async Task<long> DeleteDocumentsAsync(string collection, IEnumerable<string> ids, VeilClient client, TenantId tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(client);
        string[] keys = ids.Distinct(StringComparer.Ordinal).ToArray();
        CollectionManifest manifest = await GetManifestAsync(collection, cancellationToken).ConfigureAwait(false);
        StoreConfiguration.Check(client.Configuration, new SecretPath(manifest.VectorSecretPath), encrypting: false, manifest.Mode);
        await EnsureTenantAsync(manifest, client, tenant, cancellationToken).ConfigureAwait(false);
        if (keys.Length == 0)
        {
            return 0;
        }

        using VectorStoreCollection<string, VeilDocument> rows = Plain(manifest);
        long found = 0;
        await foreach (VeilDocument _ in rows.GetAsync(keys, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            found++;
        }

        if (manifest.Mode == CollectionMode.Sealed)
        {
            // Through the sealed collection: logged, deleted from the store and the index, then a new snapshot.
            using DocumentAccess sealedRows = OpenCollection(manifest, client, tenant);
            await sealedRows.Collection.DeleteAsync(keys, cancellationToken).ConfigureAwait(false);
            await sealedRows.PersistAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await rows.DeleteAsync(keys, cancellationToken).ConfigureAwait(false);
        }

        return found;
    }
}
