using Veil.Keys;

namespace Veil.Documents.Store;

/// <summary>How <see cref="DocumentStore.IngestAsync"/> stores documents.</summary>
/// <param name="Collection">The collection (table) to ingest into; created when it does not exist.</param>
/// <param name="Tenant">The tenant whose keys encrypt (search and export need the same one).</param>
public sealed record IngestOptions(string Collection, TenantId Tenant)
{
    /// <summary>Two of DuckDB's row groups (122 880 rows each), so that most rows skip the write-ahead log.</summary>
    public const int DefaultBatchSize = 245_760;

    /// <summary>Documents per transaction of an ingest that embeds text: embedding is ~10⁴ times slower than encryption.</summary>
    public const int DefaultTextBatchSize = 1024;

    /// <summary>
    /// DuckDB's worker threads recommended while ingesting: one, so that encryption on the client has the other cores
    /// (see <see cref="Stores.DuckDb.DuckDbStoreOptions.Threads"/>).
    /// </summary>
    public const int IngestDuckDbThreads = 1;

    /// <summary>Gets the vector (and deterministic) secret path of a new collection; null for the configuration's only vector path.</summary>
    /// <remarks>An existing collection keeps its own; giving another one is an error.</remarks>
    public string? SecretPath { get; init; }

    /// <summary>Gets the vector derivation path of a new collection (for example the embedding model's name).</summary>
    public string DerivationPath { get; init; } = "embedding";

    /// <summary>
    /// Gets the documents per transaction: a failure rolls back the whole transaction, the transactions before it stay.
    /// Transactions of more than ~120 000 documents are the fastest in DuckDB, which writes them straight to its file.
    /// </summary>
    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>
    /// Gets the mode of the collection: <see cref="CollectionMode.Sealed"/> or <see cref="CollectionMode.Dcpe"/> (the
    /// default). A new collection is created in it; an existing collection in the other mode is refused (a collection
    /// holds one mode's documents).
    /// </summary>
    public CollectionMode Mode { get; init; } = CollectionMode.Dcpe;

    /// <summary>Gets a value indicating whether to delete the collection first, if it exists.</summary>
    public bool Replace { get; init; }

    /// <summary>Gets what to call when the ingest creates the collection (before any document is stored); null for nothing.</summary>
    public Action<CollectionManifest>? CollectionCreated { get; init; }
}

/// <summary>What <see cref="DocumentStore.IngestAsync"/> did.</summary>
/// <param name="Manifest">The collection's manifest; null when the input was empty and there was no collection.</param>
/// <param name="Stored">The documents encrypted and stored.</param>
public sealed record IngestResult(CollectionManifest? Manifest, long Stored);
