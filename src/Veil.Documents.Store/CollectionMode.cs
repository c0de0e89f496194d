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

/// <summary>How a sealed collection's store column holds each sealed vector.</summary>
public enum SealedVectorFormat
{
    /// <summary>The sealed box's bytes in a binary column (BLOB in DuckDB, bytea in PostgreSQL): every collection created now.</summary>
    Binary,

    /// <summary>
    /// The sealed box as base64 text (a VARCHAR / text column), as sealed collections were created before binary
    /// columns: still read and written in that format; <c>veil ingest --sealed --replace</c> re-creates a collection binary.
    /// </summary>
    Base64Text,
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

    /// <summary>Gets or sets the mode's name (<c>sealed-binary</c>, or <c>sealed</c> for a sealed collection whose vectors are base64 text).</summary>
    [VectorStoreData]
    public string Mode { get; set; } = string.Empty;

    /// <summary>A dummy vector: every MEVD collection needs one, this record has no use for it.</summary>
    [VectorStoreVector(1)]
    public ReadOnlyMemory<float>? Unused { get; set; }

    /// <summary>The name a mode is stored as; a sealed collection's names its vector format too (older versions of veil know only <c>sealed</c>, and refuse the others).</summary>
    public static string Format(CollectionMode mode, SealedVectorFormat format = SealedVectorFormat.Binary) =>
        mode != CollectionMode.Sealed ? "dcpe" : format == SealedVectorFormat.Binary ? "sealed-binary" : "sealed";

    /// <summary>The mode and sealed vector format a stored name stands for.</summary>
    /// <exception cref="DocumentStoreException">The name is none that this version knows.</exception>
    public static (CollectionMode Mode, SealedVectorFormat Format) Parse(string collection, string mode) => mode switch
    {
        "sealed-binary" => (CollectionMode.Sealed, SealedVectorFormat.Binary),
        "sealed" => (CollectionMode.Sealed, SealedVectorFormat.Base64Text),
        "dcpe" => (CollectionMode.Dcpe, SealedVectorFormat.Binary),
        _ => throw new DocumentStoreException($"Collection \"{collection}\" is stored in mode \"{mode}\", which this version of veil does not know; upgrade veil."),
    };
}
