using System.CommandLine;
using System.Globalization;
using System.Runtime.CompilerServices;
using Veil.Cli.Store;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil ingest</c>: reads documents (JSON Lines, Parquet, or raw float32 vectors beside JSON Lines records), encrypts them
/// and upserts them into the store in transactional batches.
/// </summary>
internal sealed class IngestCommand : StoreCommand
{
    public IngestCommand(CliConsole console)
        : base(console, "ingest", "Encrypt documents and store them: JSON Lines {\"id\",\"vector\",\"category\"?,…} on stdin (or --input), a Parquet file (--input), or --vectors file.bin --records file.jsonl.")
    {
        Options.Add(InputOption);
        Options.Add(VectorsOption);
        Options.Add(RecordsOption);
        Options.Add(DimensionsOption);
        Options.Add(SecretPathOption);
        Options.Add(DerivationPathOption);
        Options.Add(BatchSizeOption);
        Options.Add(ReplaceOption);
    }

    /// <summary>Two of DuckDB's row groups (122 880 rows each), so that most rows skip the write-ahead log.</summary>
    internal const int DefaultBatchSize = 245_760;

    /// <summary>DuckDB's worker threads during veil ingest: one, so encryption has the other cores (see <see cref="Stores.DuckDb.DuckDbStoreOptions.Threads"/>).</summary>
    internal const int IngestDuckDbThreads = 1;

    internal Option<string> InputOption { get; } = new("--input")
    {
        Description = "Read JSON Lines from this file instead of stdin, or a Parquet file (recognised by its content) with columns id, vector (a list of FLOAT or DOUBLE), category? and any others as fields.",
    };

    internal Option<string> VectorsOption { get; } = new("--vectors") { Description = "Raw little-endian float32 vectors, no header, one row per record of --records." };

    internal Option<string> RecordsOption { get; } = new("--records") { Description = "With --vectors: JSON Lines with the id and metadata of each row." };

    internal Option<int?> DimensionsOption { get; } = new("--dimensions") { Description = "With --vectors: the row length (default: file size / 4 / number of records)." };

    internal Option<string> SecretPathOption { get; } = new("--secret-path")
    {
        Description = "The vector (and deterministic) secret path of a new collection; default: the configuration's only vector path.",
    };

    internal Option<string> DerivationPathOption { get; } = new("--derivation-path")
    {
        Description = "The vector derivation path of a new collection (for example the embedding model's name).",
        DefaultValueFactory = _ => "embedding",
    };

    internal Option<int> BatchSizeOption { get; } = new("--batch-size")
    {
        Description = "Documents per transaction (a failure rolls back the whole transaction; the transactions before it stay). Transactions of more than ~120 000 documents are the fastest: DuckDB writes them straight to the database file.",
        DefaultValueFactory = _ => DefaultBatchSize,
    };

    internal Option<bool> ReplaceOption { get; } = new("--replace") { Description = "Delete the collection first, if it exists." };

    protected override int? DefaultDuckDbThreads => IngestDuckDbThreads;

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, StoreContext context, CancellationToken cancellationToken)
    {
        int batchSize = parseResult.GetValue(BatchSizeOption);
        if (batchSize < 1)
        {
            throw new CliUsageException("Invalid options: --batch-size must be at least 1.");
        }

        string? vectorsPath = parseResult.GetValue(VectorsOption);
        string? recordsPath = parseResult.GetValue(RecordsOption);
        string? inputPath = parseResult.GetValue(InputOption);
        if ((vectorsPath is null) != (recordsPath is null))
        {
            throw new CliUsageException("Invalid options: --vectors and --records go together.");
        }

        if (vectorsPath is not null && inputPath is not null)
        {
            throw new CliUsageException("Invalid options: use either --input (JSON Lines with vectors) or --vectors with --records, not both.");
        }

        if (inputPath is not null && !File.Exists(inputPath))
        {
            throw new CliUsageException($"Invalid options: the --input file '{inputPath}' does not exist.");
        }

        using DocumentStore store = DocumentStore.Open(context.Location, mustExist: false);
        if (parseResult.GetValue(ReplaceOption))
        {
            await store.DeleteAsync(context.Collection, cancellationToken).ConfigureAwait(false);
        }

        CollectionManifest? manifest = await store.FindManifestAsync(context.Collection, cancellationToken).ConfigureAwait(false);
        string? secretPathOption = parseResult.GetValue(SecretPathOption);
        if (manifest is not null && secretPathOption is not null && secretPathOption != manifest.VectorSecretPath)
        {
            throw new CliUsageException(
                $"Invalid options: collection \"{context.Collection}\" is encrypted with secret path \"{manifest.VectorSecretPath}\", not \"{secretPathOption}\" (use --replace to start it afresh).");
        }

        SecretPath secretPath = manifest?.VectorSecretPath ?? StoreConfiguration.ChooseSecretPath(context.Client.Configuration, secretPathOption);
        StoreConfiguration.Check(context.Client.Configuration, secretPath, encrypting: true);

        int? dimensions = manifest?.Dimensions;
        IEnumerable<(long Line, VeilDocument Document)> rows;
        long? total = null;
        TextReader? file = null;
        string unit = "line"; // what the input's positions count, for error messages
        if (vectorsPath is not null)
        {
            (int rawDimensions, long count, rows) = DocumentSources.RawVectors(vectorsPath, recordsPath!, parseResult.GetValue(DimensionsOption));
            if (dimensions is { } existing && existing != rawDimensions)
            {
                throw new CliUsageException(string.Create(
                    CultureInfo.InvariantCulture, $"Invalid input: the vectors have {rawDimensions} dimensions; collection \"{context.Collection}\" has {existing}."));
            }

            total = count;
        }
        else if (inputPath is not null && ParquetDocuments.IsParquet(inputPath))
        {
            // Through the store's own DuckDB instance when there is one: one buffer pool, not two.
            ParquetDocuments parquet = ParquetDocuments.Open(inputPath, context.Location.Kind == "duckdb" ? context.Location.Target : null);
            rows = parquet.Rows();
            total = parquet.Count;
            unit = "row";
        }
        else
        {
            file = inputPath is null ? null : File.OpenText(inputPath);
            rows = DocumentSources.JsonLines(file ?? Terminal.Input);
        }

        // Declared before the store's using ends, so a failed ingest removes the collection it created while the store is open.
        var creation = new CollectionCreation(store);
        await using ConfiguredAsyncDisposable removeUnlessComplete = creation.ConfigureAwait(false);
        using (file)
        {
            var progress = new ProgressReporter(Terminal.Error, "veil ingest", "documents", total);
            using IEnumerator<(long Line, VeilDocument Document)> input = rows.GetEnumerator();
            bool more = input.MoveNext();
            if (more && manifest is null)
            {
                (long line, VeilDocument first) = input.Current;
                int length = first.Embedding!.Value.Length;
                if (length == 0)
                {
                    throw new DocumentInputException(line, $"the vector of \"{first.Id}\" is empty", unit: unit);
                }

                manifest = new CollectionManifest
                {
                    Name = context.Collection,
                    Dimensions = length,
                    VectorSecretPath = secretPath.ToString(),
                    VectorDerivationPath = parseResult.GetRequiredValue(DerivationPathOption),
                };
                await creation.CreateAsync(manifest, cancellationToken).ConfigureAwait(false);
                Progress(string.Create(CultureInfo.InvariantCulture, $"created collection \"{context.Collection}\" ({length} dimensions) in {context.Location}"));
            }

            // Read lazily: each transaction's documents are parsed and encrypted while the ones before them are stored.
            long stored = 0;
            IEnumerable<VeilDocument> Transaction(CollectionManifest manifest)
            {
                for (int count = 0; more && count < batchSize; count++)
                {
                    (long line, VeilDocument document) = input.Current;
                    if (document.Embedding!.Value.Length != manifest.Dimensions)
                    {
                        throw new DocumentInputException(line, string.Create(
                            CultureInfo.InvariantCulture,
                            $"the vector of \"{document.Id}\" has {document.Embedding!.Value.Length} dimensions; collection \"{context.Collection}\" has {manifest.Dimensions} ({stored} documents before it were stored)"),
                            unit: unit);
                    }

                    yield return document;
                    progress.Advance(1);
                    more = input.MoveNext();
                }
            }

            if (more)
            {
                using var collection = store.Encrypted(manifest!, context.Client, context.Tenant);
                while (more)
                {
                    await collection.UpsertAsync(Transaction(manifest!), cancellationToken).ConfigureAwait(false);
                    stored = progress.Done;
                }
            }

            creation.Complete();
            progress.Finish($"encrypted and stored in collection \"{context.Collection}\" of {context.Location}:");
        }

        return ExitCodes.Success;
    }
}
