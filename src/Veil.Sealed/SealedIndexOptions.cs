namespace Veil.Sealed;

/// <summary>Settings of the key holder's index (HNSW over int8-quantised vectors).</summary>
public sealed class SealedIndexOptions
{
    /// <summary>The default <see cref="M"/>.</summary>
    public const int DefaultM = 16;

    /// <summary>The default <see cref="EfConstruction"/>.</summary>
    public const int DefaultEfConstruction = 128;

    /// <summary>The default <see cref="EfSearch"/>.</summary>
    public const int DefaultEfSearch = 128;

    /// <summary>Links per node on the upper levels (twice as many on level 0). Default 16.</summary>
    public int M { get; init; } = DefaultM;

    /// <summary>Beam width while inserting. Default 128.</summary>
    public int EfConstruction { get; init; } = DefaultEfConstruction;

    /// <summary>Beam width while searching (at least the number of candidates asked for). Default 128.</summary>
    public int EfSearch { get; init; } = DefaultEfSearch;

    /// <summary>
    /// Whether <see cref="SealedVectorIndex{TKey}.Upsert"/> only queues the vector for a background task that inserts it
    /// into the graph (true, the default) or inserts it before returning (false). Queued vectors are found at once:
    /// every search also scores the queue exactly, so a row is never missing from results while it waits; a snapshot
    /// first inserts the whole queue. See <see cref="SealedVectorIndex{TKey}.WaitForIndexingAsync"/>.
    /// </summary>
    public bool Deferred { get; init; } = true;

    /// <summary>
    /// Threads inserting into the graph at once (each link list under its own lock). Default: the number of processors,
    /// at most 8. With more than one, the graph depends on thread timing (not only on <see cref="Seed"/>).
    /// </summary>
    public int IndexingThreads { get; init; } = Math.Min(Environment.ProcessorCount, 8);

    /// <summary>The default <see cref="MaxQueuedBytes"/> (128 MiB).</summary>
    public const long DefaultMaxQueuedBytes = 128L << 20;

    /// <summary>
    /// The most memory the deferred-insertion queue may hold (4 bytes per dimension per queued vector: 87 381 vectors of
    /// 384 dimensions at the default 128 MiB). The collection's upserts and <see cref="SealedVectorIndex{TKey}.UpsertAsync"/>
    /// wait (cancellably; the collection before writing anything) while their vectors would not fit beside those queued
    /// and the room other writers reserved; a call larger than the bound is let in alone once the queue is empty, so the
    /// queue holds at most the bound or one call's vectors, also with concurrent writers. The synchronous
    /// <see cref="SealedVectorIndex{TKey}.Upsert"/> and <see cref="SealedVectorIndex{TKey}.UpsertRange"/> do not wait.
    /// Default 128 MiB; at least 1.
    /// </summary>
    public long MaxQueuedBytes { get; init; } = DefaultMaxQueuedBytes;

    /// <summary>Seeds the level of each node; null picks a random seed (kept in snapshots).</summary>
    public ulong? Seed { get; init; }
}
