namespace Veil.Sealed;

/// <summary>Settings of the key holder's index (HNSW over int8-quantised vectors).</summary>
public sealed class SealedIndexOptions
{
    /// <summary>The default <see cref="M"/>.</summary>
    public const int DefaultM = 16;

    /// <summary>The default <see cref="EfConstruction"/>.</summary>
    public const int DefaultEfConstruction = 128;

    /// <summary>Links per node on the upper levels (twice as many on level 0). Default 16.</summary>
    public int M { get; init; } = DefaultM;

    /// <summary>Beam width while inserting. Default 128.</summary>
    public int EfConstruction { get; init; } = DefaultEfConstruction;

    /// <summary>
    /// Beam width while searching, for every search of this index (raised to the number of candidates asked for when
    /// smaller); <see cref="SealedVectorSearchOptions{TRecord}.EfSearch"/> overrides it for one search. Null, the
    /// default, applies <see cref="DefaultEfSearchFor"/>, which widens the beam as the index grows.
    /// </summary>
    public int? EfSearch { get; init; }

    /// <summary>The smallest beam <see cref="DefaultEfSearchFor"/> gives (the former fixed default).</summary>
    public const int DefaultEfSearchFloor = 128;

    /// <summary>The widest beam <see cref="DefaultEfSearchFor"/> gives (reached at about 4.2 million rows).</summary>
    public const int DefaultEfSearchCap = 4096;

    /// <summary>
    /// The beam width a search uses when neither it nor <see cref="EfSearch"/> sets one:
    /// max(K′, clamp(2⌈√n⌉, 128, 4096)) for n live rows in the graph and K′ candidates — 128 up to 4 096 rows, 324 at
    /// 26 000, 634 at 10⁵, 2 000 at 10⁶. Measured on MiniLM embeddings tiled with noise (docs/sealed.md, "Recall at
    /// 10⁶: the beam"), a fixed beam loses recall as near-duplicates crowd each query's neighbourhood (recall@10 at
    /// K′ = 100 and efSearch 128: 0.987 at 10⁵, 0.984 at 2·10⁵, 0.930 at 10⁶), while the graph search stays a small
    /// part of a query's time (the store's fetch of K′ rows dominates), so the beam grows with √n.
    /// </summary>
    /// <param name="rows">Live rows in the graph (n).</param>
    /// <param name="candidates">Candidates the search returns (K′).</param>
    /// <returns>The beam width, at least <paramref name="candidates"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is negative or <paramref name="candidates"/> less than 1.</exception>
    public static int DefaultEfSearchFor(int rows, int candidates)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        int grown = (int)Math.Min(DefaultEfSearchCap, 2 * Math.Ceiling(Math.Sqrt(rows)));
        return Math.Max(candidates, Math.Max(DefaultEfSearchFloor, grown));
    }

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
