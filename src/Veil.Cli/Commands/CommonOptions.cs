namespace Veil.Cli.Commands;

/// <summary>DuckDB's options, shared by the store commands (<see cref="OptionGroups.StoreLocationOptions"/>) and <c>demo</c>.</summary>
internal static class CommonOptions
{
    /// <summary>--store-memory: DuckDB's buffer pool limit (<see cref="Documents.Store.StoreLocation.DuckDbMemoryLimit"/>).</summary>
    public static Option<string> StoreMemory() => Opt<string>("--store-memory", $"With a duckdb: store, the most memory DuckDB's buffer pool may use, such as 2GB (default {Stores.DuckDb.DuckDbStoreOptions.DefaultMemoryLimit}; the rest of the table stays on disk).");

    /// <summary>--store-threads: DuckDB's worker threads (<see cref="Documents.Store.StoreLocation.DuckDbThreads"/>).</summary>
    public static Option<int?> StoreThreads() => Opt<int?>("--store-threads", "With a duckdb: store, DuckDB's worker threads (default: one per core, except veil ingest, which gives DuckDB one and leaves the other cores to encryption).");
}
