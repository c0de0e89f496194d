using Microsoft.Extensions.VectorData;

namespace Veil.Stores.Postgres;

/// <summary>
/// Options of one <see cref="PostgresCollection{TKey, TRecord}"/>: the record definition, the schema, the HNSW index
/// parameters and the batch size of upserts.
/// </summary>
/// <remarks>
/// The HNSW parameters are pgvector's: <see cref="HnswM"/> (links per node, 2–100, pgvector's default 16) and
/// <see cref="HnswEfConstruction"/> (candidate list while building, 4–1000 and at least 2·m, default 64) are fixed when
/// <see cref="VectorStoreCollection{TKey, TRecord}.EnsureCollectionExistsAsync"/> creates the index;
/// <see cref="HnswEfSearch"/> (candidate list while searching, 1–1000) is applied with <c>SET LOCAL</c> in each search's
/// transaction and can be changed later through <see cref="PostgresCollection{TKey, TRecord}.EfSearch"/>.
/// </remarks>
public sealed class PostgresCollectionOptions
{
    /// <summary>The largest dimension pgvector's HNSW index accepts on a <c>vector</c> column.</summary>
    public const int MaxHnswDimensions = 2000;

    /// <summary>The largest <c>hnsw.ef_search</c> pgvector accepts.</summary>
    public const int MaxEfSearch = 1000;

    /// <summary>pgvector's default <c>hnsw.ef_search</c>.</summary>
    public const int DefaultEfSearch = 40;

    /// <summary>The largest <see cref="ToastTupleTarget"/> PostgreSQL accepts (a row of up to this many bytes stays in its 8 KiB page).</summary>
    public const int MaxToastTupleTarget = 8160;

    /// <summary>Gets or sets the record definition; when null, it comes from the record type's MEVD attributes.</summary>
    public VectorStoreCollectionDefinition? Definition { get; set; }

    /// <summary>Gets or sets the schema that holds the table; when null, the store's schema (by default <c>public</c>).</summary>
    public string? Schema { get; set; }

    /// <summary>Gets or sets the HNSW <c>m</c> (maximum links per node) of the collection's vector indexes.</summary>
    public int HnswM { get; set; } = 16;

    /// <summary>Gets or sets the HNSW <c>ef_construction</c> (candidate list size while building) of the collection's vector indexes.</summary>
    public int HnswEfConstruction { get; set; } = 64;

    /// <summary>Gets or sets the HNSW <c>ef_search</c> for searches; when null, the server's setting (pgvector's default is 40).</summary>
    /// <remarks>
    /// An HNSW scan returns at most <c>ef_search</c> rows, so each search raises it to its top + skip when smaller (up to
    /// 1000; beyond, the search turns on pgvector's iterative scan): a re-ranking over-fetch of 100 rows gets 100 rows.
    /// </remarks>
    public int? HnswEfSearch { get; set; }

    /// <summary>
    /// Gets or sets whether a filtered search over an HNSW index turns on pgvector's iterative index scan
    /// (<c>hnsw.iterative_scan = relaxed_order</c>, pgvector 0.8.0 or later), so a selective filter still yields top rows.
    /// Default true.
    /// </summary>
    public bool IterativeScanWhenFiltered { get; set; } = true;

    /// <summary>
    /// Gets or sets whether <see cref="VectorStoreCollection{TKey, TRecord}.EnsureCollectionExistsAsync"/> creates only
    /// the table, leaving the HNSW indexes to <see cref="PostgresCollection{TKey, TRecord}.CreateIndexesAsync"/> (default
    /// false): for a bulk load, building an index once after the load is faster than maintaining it during the load.
    /// </summary>
    public bool DeferIndexCreation { get; set; }

    /// <summary>Gets or sets the most rows one <c>INSERT … ON CONFLICT</c> statement of an upsert carries (default 500; capped so a statement has at most 65 535 parameters).</summary>
    public int RowsPerInsert { get; set; } = 500;

    /// <summary>
    /// Gets or sets the batch size from which an upsert goes through binary <c>COPY</c> (default 1 000 rows;
    /// <see cref="int.MaxValue"/> never copies): each round of <see cref="CopyRoundRows"/> rows is appended straight into
    /// the table when none of its keys is there and no other transaction was writing the table as the upsert began, and
    /// is otherwise copied into a temporary staging table and moved by one <c>INSERT … SELECT … ON CONFLICT</c>. Same
    /// result and the same single transaction as the multi-row inserts used for smaller batches, at a fraction of the cost
    /// for bulk loads. An upsert that appends holds the table's <c>SHARE ROW EXCLUSIVE</c> lock until it commits: other
    /// writers of the collection wait for it; readers and searches do not.
    /// </summary>
    public int CopyFromRows { get; set; } = 1_000;

    /// <summary>
    /// Gets or sets how many rows a <c>COPY</c> upsert reads before it writes them (default 4 096): a longer batch is
    /// written in rounds of this many rows, all in its one transaction. A round is held encoded (as the COPY's bytes, about
    /// 6.3 MB for 4 096 rows at d = 384) while the rounds before it are written, so that the producer (the encrypting
    /// decorator) works while the server writes; up to <see cref="CopyRoundsAhead"/> + 1 rounds are in memory at a time.
    /// A staged round of 4 096 rows at d = 384 also stays within PostgreSQL's default <c>temp_buffers</c> (8 MB), where a
    /// larger staging table spills to its file.
    /// </summary>
    public int CopyRoundRows { get; set; } = 4_096;

    /// <summary>
    /// Gets or sets how many rounds of <see cref="CopyRoundRows"/> a <c>COPY</c> upsert may have read and waiting for
    /// (or in) the server while it reads the next (default 3, at least 1). With one, the reader and the server take turns
    /// whenever one of them is briefly slower; at 10⁶ × 384 on a 2-core machine, three raised encrypted ingest by about a
    /// sixth (docs/scale.md §3). Each round costs its encoded size in memory (about 6.3 MB at the defaults and d = 384).
    /// </summary>
    public int CopyRoundsAhead { get; set; } = 3;

    /// <summary>
    /// Gets or sets the table's <c>toast_tuple_target</c> (128 to <see cref="MaxToastTupleTarget"/> bytes): rows shorter
    /// than this are stored whole in the table, no value compressed or moved to the TOAST table. Null (the default) keeps
    /// PostgreSQL's 2 032 bytes. A sealed collection sets <see cref="MaxToastTupleTarget"/>: each row carries about
    /// 2 KiB of sealed vector as base64, which the default moves out of line (two TOAST chunks and their index entries
    /// per row, written twice by a COPY upsert and read back through the TOAST index by every fetch by key). Applied
    /// when the collection is ensured (to rows written from then on) and to the COPY path's staging table.
    /// </summary>
    public int? ToastTupleTarget { get; set; }

    /// <summary>
    /// Gets or sets the <c>maintenance_work_mem</c>, in megabytes, set (<c>SET LOCAL</c>) for the transaction that builds
    /// the collection's HNSW indexes (<see cref="PostgresCollection{TKey, TRecord}.CreateIndexesAsync"/>, the end of a
    /// rewrite). pgvector builds the graph in this memory and slows down several times once it no longer fits (it says so
    /// in a notice). Null (the default) estimates what the graph needs from the rows in the table, about
    /// 4·d + 32·m + 256 bytes a row (2 304 at d = 384, m = 16; 2 317 measured) plus a quarter, and raises the server's
    /// setting to that, up to
    /// <see cref="MaxEstimatedIndexBuildMemoryMegabytes"/>; never lowers it.
    /// </summary>
    public int? IndexBuildMemoryMegabytes { get; set; }

    /// <summary>
    /// Gets or sets the <c>max_parallel_maintenance_workers</c> set for the transaction that builds the HNSW indexes (0 for
    /// none); null (the default) leaves the server's setting (PostgreSQL's default is 2).
    /// </summary>
    public int? IndexBuildParallelWorkers { get; set; }

    /// <summary>The most <c>maintenance_work_mem</c> the estimate of <see cref="IndexBuildMemoryMegabytes"/> asks for (4 GiB; set the property for more).</summary>
    public const int MaxEstimatedIndexBuildMemoryMegabytes = 4_096;

    internal PostgresCollectionOptions Validated()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(HnswM, 2, nameof(HnswM));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HnswM, 100, nameof(HnswM));
        ArgumentOutOfRangeException.ThrowIfLessThan(HnswEfConstruction, Math.Max(4, 2 * HnswM), nameof(HnswEfConstruction));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HnswEfConstruction, 1000, nameof(HnswEfConstruction));
        if (HnswEfSearch is { } efSearch)
        {
            ValidateEfSearch(efSearch);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(RowsPerInsert, 1, nameof(RowsPerInsert));
        ArgumentOutOfRangeException.ThrowIfLessThan(CopyFromRows, 1, nameof(CopyFromRows));
        ArgumentOutOfRangeException.ThrowIfLessThan(CopyRoundRows, 1, nameof(CopyRoundRows));
        ArgumentOutOfRangeException.ThrowIfLessThan(CopyRoundsAhead, 1, nameof(CopyRoundsAhead));
        if (ToastTupleTarget is { } toastTupleTarget)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(toastTupleTarget, 128, nameof(ToastTupleTarget));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(toastTupleTarget, MaxToastTupleTarget, nameof(ToastTupleTarget));
        }

        if (IndexBuildMemoryMegabytes is { } memory)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(memory, 1, nameof(IndexBuildMemoryMegabytes));
        }

        if (IndexBuildParallelWorkers is { } workers)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(workers, 0, nameof(IndexBuildParallelWorkers));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(workers, 1024, nameof(IndexBuildParallelWorkers));
        }

        return this;
    }

    internal static void ValidateEfSearch(int efSearch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(efSearch, 1, nameof(HnswEfSearch));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(efSearch, MaxEfSearch, nameof(HnswEfSearch));
    }
}
