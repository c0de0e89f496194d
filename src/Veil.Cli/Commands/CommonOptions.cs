using System.CommandLine;
using Veil.Cli.Keysets;

namespace Veil.Cli.Commands;

/// <summary>Options shared by several commands (the key options by <c>vector</c>, <c>field</c> and <c>document</c>; the DuckDB ones by the store commands and <c>demo</c>).</summary>
internal static class CommonOptions
{
    /// <summary>--config (cleartext, in the shape of Alloy's standalone configuration) or --keyset with the KMS options.</summary>
    public static KeySource Keys() => new(
        "The configuration file: JSON in the shape of Alloy's standalone configuration (vector, deterministic and standard secrets), in cleartext. Instead of --keyset.",
        recursive: true);

    public static Option<string> Tenant() => Opt<string>("--tenant", "The tenant id keys are derived for.").AsRequired().AsRecursive();

    public static Option<string> SecretPath() => Opt<string>("--secret-path", "The secret path: which entry of the configuration's section to use (may be \"\").").AsRequired().AsRecursive();

    public static Option<string> DerivationPath() => Opt<string>("--derivation-path", "The derivation path keys are derived for (may be \"\").").AsRequired().AsRecursive();

    public static Option<int?> InsecureSeed() => Opt<int?>("--insecure-seed", "INSECURE, FOR TESTS ONLY: draw every IV and data key from ChaCha20 seeded with this 32-bit integer, as Alloy's seeded test client does, so that output is predictable. Never use in production.").AsRecursive();

    /// <summary>--format: JSON Lines or the binary frames of <see cref="Protocol.BinaryBatchFrames"/> on stdin and stdout.</summary>
    public static Option<PipelineFormat> Format() => Opt(
        "--format",
        "jsonl (default): JSON Lines in and out. binary: length-prefixed binary item batches in and out, the key service's binary batch format with float32 vectors (docs/formats.md), for bulk work.",
        PipelineFormat.Jsonl).AsRecursive();

    public static Option<string> NewTenant() => Opt<string>("--new-tenant", "Re-encrypt for this tenant instead of the --tenant the input was encrypted for.");

    /// <summary>--store-memory: DuckDB's buffer pool limit (<see cref="Documents.Store.StoreLocation.DuckDbMemoryLimit"/>).</summary>
    public static Option<string> StoreMemory() => Opt<string>("--store-memory", $"With a duckdb: store, the most memory DuckDB's buffer pool may use, such as 2GB (default {Stores.DuckDb.DuckDbStoreOptions.DefaultMemoryLimit}; the rest of the table stays on disk).");

    /// <summary>--store-threads: DuckDB's worker threads (<see cref="Documents.Store.StoreLocation.DuckDbThreads"/>).</summary>
    public static Option<int?> StoreThreads() => Opt<int?>("--store-threads", "With a duckdb: store, DuckDB's worker threads (default: one per core, except veil ingest, which gives DuckDB one and leaves the other cores to encryption).");
}
