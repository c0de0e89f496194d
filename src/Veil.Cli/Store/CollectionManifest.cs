using Microsoft.Extensions.VectorData;

namespace Veil.Cli.Store;

/// <summary>
/// What <c>veil ingest</c> records about a collection, in the store's <see cref="CollectionName"/> collection (in the
/// clear: nothing here is secret), so that <c>search</c> and <c>export</c> use the same dimension and secret paths.
/// </summary>
internal sealed class CollectionManifest
{
    /// <summary>The store collection that holds the manifests.</summary>
    public const string CollectionName = "veil_collections";

    [VectorStoreKey]
    public string Name { get; set; } = string.Empty;

    [VectorStoreData]
    public int Dimensions { get; set; }

    [VectorStoreData]
    public string VectorSecretPath { get; set; } = string.Empty;

    [VectorStoreData]
    public string VectorDerivationPath { get; set; } = string.Empty;

    /// <summary>A dummy vector: every MEVD collection needs one, the manifest has no use for it.</summary>
    [VectorStoreVector(1)]
    public ReadOnlyMemory<float>? Unused { get; set; }
}
