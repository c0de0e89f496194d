using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Documents.Store;

/// <content>One tenant per collection: recorded when the collection is created, other tenants refused.</content>
public sealed partial class DocumentStore
{
    /// <summary>
    /// Checks that <paramref name="tenant"/> is the tenant recorded for collection <paramref name="name"/>.
    /// </summary>
    /// <param name="name">The collection.</param>
    /// <param name="tenant">The tenant the caller means to use.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>
    /// True when the tenant is recorded; false when the collection has no tenant recorded (made before tenants were
    /// recorded): the caller adopts <paramref name="tenant"/> with <see cref="RecordTenantAsync"/> once it has used it
    /// successfully, so that a mistyped tenant whose keys fail is not adopted.
    /// </returns>
    /// <exception cref="DocumentStoreException">Another tenant is recorded for the collection.</exception>
    public async Task<bool> CheckTenantAsync(string name, TenantId tenant, CancellationToken cancellationToken)
    {
        if (!await _tenants.CollectionExistsAsync(cancellationToken).ConfigureAwait(false)
            || await _tenants.GetAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false) is not { } recorded)
        {
            return false;
        }

        if (recorded.Tenant != tenant.Value)
        {
            throw new DocumentStoreException(
                $"Invalid options: collection \"{name}\" belongs to tenant \"{recorded.Tenant}\", not \"{tenant.Value}\"; a collection holds one tenant's documents (use --tenant {recorded.Tenant}, or another --collection).");
        }

        return true;
    }

    /// <summary>
    /// Checks that <paramref name="tenant"/> may use the collection: it is the recorded tenant; or, for a collection
    /// created before veil recorded tenants, its first document (if any) decrypts for <paramref name="tenant"/>, which
    /// is then recorded as the collection's tenant (adopted on first use; a tenant whose keys fail is not adopted).
    /// </summary>
    /// <param name="manifest">The collection.</param>
    /// <param name="client">The keys (the configuration has the collection's secrets).</param>
    /// <param name="tenant">The tenant the caller means to use.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the tenant is known to be the collection's.</returns>
    /// <exception cref="DocumentStoreException">Another tenant is recorded, or the old collection's documents do not decrypt for this one.</exception>
    public async Task EnsureTenantAsync(CollectionManifest manifest, VeilClient client, TenantId tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (await CheckTenantAsync(manifest.Name, tenant, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        using (EncryptingVectorStoreCollection<string, VeilDocument> rows = Encrypted(manifest, client, tenant))
        {
            try
            {
                var options = new FilteredRecordRetrievalOptions<VeilDocument> { IncludeVectors = true };
                await foreach (VeilDocument _ in rows.GetAsync(d => true, 1, options, cancellationToken).ConfigureAwait(false))
                {
                }
            }
            catch (CryptographicException)
            {
                throw new DocumentStoreException(
                    $"Invalid options: collection \"{manifest.Name}\" was created before veil recorded each collection's tenant, and its documents do not decrypt for tenant \"{tenant.Value}\"; use the tenant it was ingested for (the first that works is recorded as its tenant).");
            }
        }

        await RecordTenantAsync(manifest.Name, tenant, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records <paramref name="tenant"/> as the tenant of collection <paramref name="name"/> (replacing any recorded one).</summary>
    /// <param name="name">The collection.</param>
    /// <param name="tenant">Its tenant.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the tenant is recorded.</returns>
    public async Task RecordTenantAsync(string name, TenantId tenant, CancellationToken cancellationToken)
    {
        await _tenants.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        await _tenants.UpsertAsync(new CollectionTenant { Name = name, Tenant = tenant.Value }, cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteTenantAsync(string name, CancellationToken cancellationToken)
    {
        if (await _tenants.CollectionExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            await _tenants.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }
}
