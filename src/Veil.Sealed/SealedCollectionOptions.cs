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

    /// <summary>The default <see cref="GraphCompactionThreshold"/>.</summary>
    public const double DefaultGraphCompactionThreshold = 0.25;

    /// <summary>
    /// The share of deleted nodes in the index's graph (deletes, and the old node of every update, stay as waypoints)
    /// at which a write also compacts the graph: rebuilds it from the live nodes and persists it as a new snapshot (see
    /// <see cref="SealedVectorStoreCollection{TKey, TRecord}.CompactGraphAsync"/>). Between 0 (exclusive) and 1; 1 never
    /// compacts automatically. Default 0.25: a quarter of the graph's memory and search visits wasted on deleted nodes.
    /// </summary>
    public double GraphCompactionThreshold { get; init; } = DefaultGraphCompactionThreshold;

    /// <summary>The default <see cref="WriterLeaseDuration"/> (30 seconds).</summary>
    public static readonly TimeSpan DefaultWriterLeaseDuration = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the writer lease lasts: an instance takes it before its first write and renews it on a write once half
    /// of it has passed; another instance that tries to write meanwhile is refused with
    /// <see cref="SealedWriterLeaseException"/>. A writer that crashed without releasing it
    /// (<see cref="SealedVectorStoreCollection{TKey, TRecord}.ReleaseWriterLeaseAsync"/>) blocks other writers for at
    /// most this long. Default 30 seconds.
    /// </summary>
    public TimeSpan WriterLeaseDuration { get; init; } = DefaultWriterLeaseDuration;

    /// <summary>
    /// Who writes, for the writer lease: an instance with the same id takes the lease over at once, as the same app
    /// instance restarted after a crash should (use its host or pod name, unique among the app's instances). Null (the
    /// default): a random id per collection object, so a restarted process waits for its old lease to expire. Kept only
    /// sealed in the lease record.
    /// </summary>
    public string? WriterId { get; init; }

    /// <summary>The clock of the writer lease. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The index settings.</summary>
    public SealedIndexOptions Index { get; init; } = new();

    /// <summary>
    /// The settings out of range, one message each naming the setting as <c>section:Name</c>; empty when the options
    /// are valid. The collection's constructor refuses options with any; hosts check them at start-up.
    /// </summary>
    /// <param name="section">The name the messages give the options (a configuration section, for example).</param>
    /// <returns>The problems, in the order of the settings.</returns>
    public IReadOnlyList<string> Problems(string section)
    {
        var problems = new List<string>();
        void Check(bool valid, string setting, string rule)
        {
            if (!valid)
            {
                problems.Add($"{section}:{setting} {rule}.");
            }
        }

        Check(Candidates >= 1, nameof(Candidates), "must be at least 1");
        Check(SnapshotInterval >= 1, nameof(SnapshotInterval), "must be at least 1");
        Check(SnapshotChunkBytes >= 1024, nameof(SnapshotChunkBytes), "must be at least 1024");
        Check(DecoyKeys >= 0, nameof(DecoyKeys), "must not be negative");
        Check(FilteredScanLimit >= 0, nameof(FilteredScanLimit), "must not be negative");
        Check(GraphCompactionThreshold is > 0 and <= 1, nameof(GraphCompactionThreshold), "is a share in (0, 1]");
        Check(WriterLeaseDuration > TimeSpan.Zero, nameof(WriterLeaseDuration), "must be positive");
        Check(TimeProvider is not null, nameof(TimeProvider), "must be set");
        if (Index is null)
        {
            Check(false, nameof(Index), "must be set");
            return problems;
        }

        Check(Index.M >= 2, $"{nameof(Index)}:{nameof(SealedIndexOptions.M)}", "must be at least 2");
        Check(Index.EfConstruction >= 1, $"{nameof(Index)}:{nameof(SealedIndexOptions.EfConstruction)}", "must be at least 1");
        Check(Index.EfSearch is null or >= 1, $"{nameof(Index)}:{nameof(SealedIndexOptions.EfSearch)}", "must be at least 1 (or unset, for the default that grows with the index)");
        Check(Index.IndexingThreads >= 1, $"{nameof(Index)}:{nameof(SealedIndexOptions.IndexingThreads)}", "must be at least 1");
        Check(Index.MaxQueuedBytes >= 1, $"{nameof(Index)}:{nameof(SealedIndexOptions.MaxQueuedBytes)}", "must be at least 1");
        return problems;
    }
}
