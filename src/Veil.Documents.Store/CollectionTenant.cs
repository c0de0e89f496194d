using Microsoft.Extensions.VectorData;

namespace Veil.Documents.Store;

/// <summary>
/// The tenant a collection was ingested for, in the store's <see cref="CollectionName"/> collection (in the clear:
/// tenant ids are not secret). One tenant per collection: <see cref="DocumentStore.CheckTenantAsync"/> refuses the
/// others. Kept apart from <see cref="CollectionManifest"/> so that manifest tables written before tenants were
/// recorded keep their columns; a collection without a row here adopts the tenant of its first successful use.
/// </summary>
public sealed class CollectionTenant
{
    /// <summary>The store collection that holds the tenants.</summary>
    public const string CollectionName = "veil_collection_tenants";

    /// <summary>Gets or sets the collection (table) name.</summary>
    [VectorStoreKey]
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the tenant id.</summary>
    [VectorStoreData]
    public string Tenant { get; set; } = string.Empty;

    /// <summary>A dummy vector: every MEVD collection needs one, this record has no use for it.</summary>
    [VectorStoreVector(1)]
    public ReadOnlyMemory<float>? Unused { get; set; }
}
