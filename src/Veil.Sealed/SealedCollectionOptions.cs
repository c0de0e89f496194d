using Microsoft.Extensions.VectorData;

namespace Veil.Sealed;

/// <summary>Settings of a <see cref="SealedVectorStoreCollection{TKey, TRecord}"/>.</summary>
public sealed class SealedCollectionOptions
{
    /// <summary>The default <see cref="Candidates"/>.</summary>
    public const int DefaultCandidates = 100;

    /// <summary>The default <see cref="SnapshotInterval"/>.</summary>
    public const int DefaultSnapshotInterval = 1000;

    /// <summary>
    /// K′: how many rows every search fetches by key and ranks exactly (more when skip + top is larger). Every query
    /// fetches exactly this many while the collection holds at least as many rows, so the count tells the store nothing.
    /// Default 100.
    /// </summary>
    public int Candidates { get; init; } = DefaultCandidates;

    /// <summary>Change-log entries (one per upsert or delete call) after which a new snapshot is written. Default 1000.</summary>
    public int SnapshotInterval { get; init; } = DefaultSnapshotInterval;

    /// <summary>The default <see cref="FilteredScanLimit"/>.</summary>
    public const int DefaultFilteredScanLimit = 10_000;

    /// <summary>
    /// A filtered search first asks the store for the rows matching the filter; when at most this many match, they are
    /// all ranked exactly (recall 1). When more match, the search instead fetches ever more index candidates by key
    /// (K′, 2K′, 4K′, …) and keeps those matching the filter. Default 10 000.
    /// </summary>
    public int FilteredScanLimit { get; init; } = DefaultFilteredScanLimit;

    /// <summary>
    /// The record definition (key and vector property, dimensions, distance function) when the record type does not
    /// carry them as attributes, as with a dimension known only at run time; null reads the attributes. The sealed
    /// column is still the property marked [SealedVector].
    /// </summary>
    public VectorStoreCollectionDefinition? Definition { get; init; }

    /// <summary>The default <see cref="SnapshotChunkBytes"/> (4 MiB).</summary>
    public const int DefaultSnapshotChunkBytes = 4 << 20;

    /// <summary>
    /// Plaintext bytes per sealed snapshot chunk. A snapshot is written and read one chunk at a time (at most a few
    /// chunks in memory besides the index), each chunk sealed on its own. Default 4 MiB; at least 1 024.
    /// </summary>
    public int SnapshotChunkBytes { get; init; } = DefaultSnapshotChunkBytes;

    /// <summary>
    /// D: random other rows of the collection fetched with every unfiltered search, shuffled among its K′ candidates in
    /// the same <c>GetAsync</c> and discarded unopened, so the store sees K′ + D keys and cannot tell which were the
    /// query's neighbours. Costs D more rows read per query. Default 0 (off).
    /// </summary>
    public int DecoyKeys { get; init; }

    /// <summary>The index settings.</summary>
    public SealedIndexOptions Index { get; init; } = new();
}
