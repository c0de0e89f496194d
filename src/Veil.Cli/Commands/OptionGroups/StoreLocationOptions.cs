using Veil.Documents.Store;

namespace Veil.Cli.Commands.OptionGroups;

/// <summary>Where a store command's documents live: --store (DuckDB or PostgreSQL), DuckDB's --store-memory and --store-threads, and --collection.</summary>
internal sealed class StoreLocationOptions
{
    public readonly Option<string> Store = Opt<string>("--store", $"Where the encrypted documents live: duckdb:PATH (an embedded DuckDB file; default {StoreLocation.DefaultValue}) or postgres:\"CONNECTION STRING\" (PostgreSQL with pgvector).", StoreLocation.DefaultValue);
    public readonly Option<string> StoreMemory = DuckDbMemory();
    public readonly Option<int?> StoreThreads = DuckDbThreads();
    public readonly Option<string> Collection = Opt<string>("--collection", "The collection (table) name.", "documents");

    /// <summary>--store-memory: DuckDB's buffer pool limit (<see cref="StoreLocation.DuckDbMemoryLimit"/>); <c>veil demo</c> has it too.</summary>
    public static Option<string> DuckDbMemory() => Opt<string>("--store-memory", $"With a duckdb: store, the most memory DuckDB's buffer pool may use, such as 2GB (default {Stores.DuckDb.DuckDbStoreOptions.DefaultMemoryLimit}; the rest of the table stays on disk).");

    /// <summary>--store-threads: DuckDB's worker threads (<see cref="StoreLocation.DuckDbThreads"/>); <c>veil demo</c> has it too.</summary>
    public static Option<int?> DuckDbThreads() => Opt<int?>("--store-threads", "With a duckdb: store, DuckDB's worker threads (default: one per core, except veil ingest, which gives DuckDB one and leaves the other cores to encryption).");

    public void AddTo(Command command) => command.Add(Store, StoreMemory, StoreThreads, Collection);

    /// <summary>The store, with DuckDB's settings (<paramref name="defaultThreads"/> when --store-threads is not given).</summary>
    public StoreLocation Location(ParseResult parseResult, int? defaultThreads) =>
        StoreLocation.Parse(parseResult.GetRequiredValue(Store)).WithDuckDbSettings(parseResult.GetValue(StoreMemory), parseResult.GetValue(StoreThreads) ?? defaultThreads);

    /// <summary>The collection name, checked (<see cref="DocumentStore.ValidateName"/>).</summary>
    public string CollectionName(ParseResult parseResult)
    {
        string name = parseResult.GetRequiredValue(Collection);
        DocumentStore.ValidateName(name);
        return name;
    }
}
