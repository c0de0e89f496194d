using Microsoft.Extensions.VectorData;

namespace Veil.Documents.Store;

/// <summary>
/// One stored piece of a sealed collection's index (<see cref="StoreSealedIndexStorage"/>), in the store's
/// <see cref="CollectionName"/> collection: a change-log entry, or one chunk of a snapshot, the row publishing a snapshot, or a named record. The data is sealed by the
/// key holder; the store sees the collection, the kind, the sequence number and the size.
/// </summary>
public sealed class SealedIndexRecord
{
    /// <summary>The store collection that holds the sealed indexes of every sealed collection.</summary>
    public const string CollectionName = "veil_sealed_index";

    /// <summary>The <see cref="Kind"/> of a change-log entry.</summary>
    public const string LogKind = "log";

    /// <summary>The <see cref="Kind"/> of a snapshot chunk.</summary>
    public const string SnapshotKind = "snapshot";

    /// <summary>The <see cref="Kind"/> of the row naming the published snapshot (its <see cref="Sequence"/> and <see cref="Parts"/>).</summary>
    public const string PublishedKind = "published";

    /// <summary>The <see cref="Kind"/> of a named record (the head record, a re-seal checkpoint).</summary>
    public const string RecordKind = "record";

    /// <summary>Gets or sets the row key: collection, kind, sequence number and part.</summary>
    [VectorStoreKey]
    public string Key { get; set; } = string.Empty;

    /// <summary>Gets or sets the collection whose index this is.</summary>
    [VectorStoreData(IsIndexed = true)]
    public string Collection { get; set; } = string.Empty;

    /// <summary>Gets or sets <see cref="LogKind"/> or <see cref="SnapshotKind"/>.</summary>
    [VectorStoreData(IsIndexed = true)]
    public string Kind { get; set; } = string.Empty;

    /// <summary>Gets or sets the sequence number of the entry or snapshot.</summary>
    [VectorStoreData(IsIndexed = true)]
    public long Sequence { get; set; }

    /// <summary>Gets or sets the part number (from 0; a log entry has one part).</summary>
    [VectorStoreData(IsIndexed = true)]
    public int Part { get; set; }

    /// <summary>Gets or sets how many parts the blob has (a snapshot is complete when all are there).</summary>
    [VectorStoreData]
    public int Parts { get; set; }

    /// <summary>Gets or sets the part's sealed bytes, base64.</summary>
    [VectorStoreData]
    public string Data { get; set; } = string.Empty;

    /// <summary>A dummy vector: every MEVD collection needs one, this record has no use for it.</summary>
    [VectorStoreVector(1)]
    public ReadOnlyMemory<float>? Unused { get; set; }

    /// <summary>The key of a part.</summary>
    public static string KeyOf(string collection, string kind, long sequence, int part) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{collection}/{kind}/{sequence:D19}/{part:D6}");
}
