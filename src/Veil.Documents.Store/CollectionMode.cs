using Microsoft.Extensions.VectorData;

namespace Veil.Documents.Store;

/// <summary>How a collection stores its vectors; chosen when <c>veil ingest</c> creates it, fixed for its life.</summary>
public enum CollectionMode
{
    /// <summary>Distance-comparison-preserving encryption (Scale-And-Perturb, Alloy-compatible): the store searches ciphertexts.</summary>
    Dcpe,

    /// <summary>Sealed (AES-256-GCM) vectors, searched by the key holder's own index: the store holds no geometry (docs/sealed.md).</summary>
    Sealed,
}

/// <summary>
/// The mode of a collection that is not <see cref="CollectionMode.Dcpe"/>, in the store's <see cref="CollectionName"/>
/// collection (in the clear: the mode is not secret). A collection without a row here is DCPE, as every collection
/// created before modes existed.
/// </summary>
public sealed class CollectionModeRecord
{
    /// <summary>The store collection that holds the modes.</summary>
    public const string CollectionName = "veil_collection_modes";

    /// <summary>Gets or sets the collection (table) name.</summary>
    [VectorStoreKey]
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the mode's name (<c>sealed</c>).</summary>
    [VectorStoreData]
    public string Mode { get; set; } = string.Empty;

    /// <summary>A dummy vector: every MEVD collection needs one, this record has no use for it.</summary>
    [VectorStoreVector(1)]
    public ReadOnlyMemory<float>? Unused { get; set; }

    /// <summary>The name a mode is stored as.</summary>
    public static string Format(CollectionMode mode) => mode == CollectionMode.Sealed ? "sealed" : "dcpe";

    /// <summary>The mode a stored name stands for.</summary>
    /// <exception cref="DocumentStoreException">The name is none that this version knows.</exception>
    public static CollectionMode Parse(string collection, string mode) => mode switch
    {
        "sealed" => CollectionMode.Sealed,
        "dcpe" => CollectionMode.Dcpe,
        _ => throw new DocumentStoreException($"Collection \"{collection}\" is stored in mode \"{mode}\", which this version of veil does not know; upgrade veil."),
    };
}
