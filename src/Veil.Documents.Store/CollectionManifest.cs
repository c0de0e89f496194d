using Microsoft.Extensions.VectorData;

namespace Veil.Documents.Store;

/// <summary>
/// What <c>veil ingest</c> records about a collection, in the store's <see cref="CollectionName"/> collection (in the
/// clear: nothing here is secret), so that <c>search</c> and <c>export</c> use the same dimension and secret paths.
/// </summary>
/// <remarks>Written by <see cref="DocumentStore.CreateAsync"/>; the store keeps one row per collection.</remarks>
public sealed class CollectionManifest
{
    /// <summary>The store collection that holds the manifests.</summary>
    public const string CollectionName = "veil_collections";

    /// <summary>Gets or sets the collection (table) name.</summary>
    [VectorStoreKey]
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the dimension of the collection's embeddings.</summary>
    [VectorStoreData]
    public int Dimensions { get; set; }

    /// <summary>Gets or sets the secret path of the embeddings (and of the deterministic category).</summary>
    [VectorStoreData]
    public string VectorSecretPath { get; set; } = string.Empty;

    /// <summary>Gets or sets the derivation path of the embeddings.</summary>
    [VectorStoreData]
    public string VectorDerivationPath { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets how the collection stores vectors. Kept in the <see cref="CollectionModeRecord"/> table beside the
    /// manifests (so manifest tables written before modes existed keep their columns; no row there means
    /// <see cref="CollectionMode.Dcpe"/>), and filled in by <see cref="DocumentStore.FindManifestAsync"/>.
    /// </summary>
    public CollectionMode Mode { get; set; }

    /// <summary>
    /// Gets or sets how a sealed collection stores its sealed vectors: <see cref="SealedVectorFormat.Binary"/> for every
    /// collection created now, <see cref="SealedVectorFormat.Base64Text"/> for one created before binary columns. Kept
    /// with <see cref="Mode"/> (its stored name), and filled in by <see cref="DocumentStore.FindManifestAsync"/>.
    /// </summary>
    public SealedVectorFormat SealedFormat { get; set; }

    /// <summary>A dummy vector: every MEVD collection needs one, the manifest has no use for it.</summary>
    [VectorStoreVector(1)]
    public ReadOnlyMemory<float>? Unused { get; set; }
}
