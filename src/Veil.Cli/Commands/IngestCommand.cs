using System.Globalization;
using Veil.Cli.Commands.OptionGroups;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;

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
        this.Add(InputOption, VectorsOption, RecordsOption, DimensionsOption, SecretPathOption, DerivationPathOption, BatchSizeOption, ReplaceOption, SealedOption, TextFieldOption);
        TextModelOptions.AddTo(this);
    }

    internal readonly Option<string> InputOption = Opt<string>("--input", "Read JSON Lines from this file instead of stdin, or a Parquet file (recognised by its content) with columns id, vector (a list of FLOAT or DOUBLE), category? and any others as fields.");
    internal readonly Option<string> VectorsOption = new("--vectors") { Description = "Raw little-endian float32 vectors, no header, one row per record of --records." };
    internal readonly Option<string> RecordsOption = new("--records") { Description = "With --vectors: JSON Lines with the id and metadata of each row." };
    internal readonly Option<int?> DimensionsOption = new("--dimensions") { Description = "With --vectors: the row length (default: file size / 4 / number of records)." };
    internal readonly Option<string> SecretPathOption = Opt<string>("--secret-path", "The vector (and deterministic) secret path of a new collection; default: the configuration's only vector path.");
    internal readonly Option<string> DerivationPathOption = Opt<string>("--derivation-path", "The vector derivation path of a new collection (for example the embedding model's name).", "embedding");
    internal readonly Option<int> BatchSizeOption = Opt("--batch-size", "Documents per transaction (a failure rolls back the whole transaction; the transactions before it stay). Transactions of more than ~120 000 documents are the fastest: DuckDB writes them straight to the database file.", IngestOptions.DefaultBatchSize).AtLeastOne();
    internal readonly Option<bool> ReplaceOption = new("--replace") { Description = "Delete the collection first, if it exists." };
    internal readonly Option<bool> SealedOption = Opt<bool>("--sealed", "Store the vectors sealed (AES-256-GCM; the store holds no geometry) and search them with the key holder's index, instead of distance-comparison-preserving encryption. Recorded with the collection: search and export follow it; a collection holds one mode's documents.");
    internal readonly Option<string> TextFieldOption = Opt<string>("--text-field", "Embed this field of the JSON Lines or Parquet input (for example content) locally with the all-MiniLM-L6-v2 add-on (" + TextModel.InstallCommand + ") or --model, instead of reading a \"vector\"; the text stays an encrypted field. Transactions default to " + IngestOptions.DefaultTextBatchSize + " documents.");
    internal readonly TextModelOptions TextModelOptions = new("--model", "With --text-field: ");

    /// <summary>Gets DuckDB's worker threads during veil ingest: one, so encryption has the other cores.</summary>
    protected override int? DefaultDuckDbThreads => IngestOptions.IngestDuckDbThreads;

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, StoreContext context, CancellationToken cancellationToken)
    {
        DocumentInput input = DocumentInput.Choose(
            parseResult.GetValue(InputOption), parseResult.GetValue(VectorsOption), parseResult.GetValue(RecordsOption), parseResult.GetValue(DimensionsOption), Terminal.Input);
        string? textField = parseResult.GetValue(TextFieldOption);
        using OnnxEmbeddingGenerator? generator = TextModelOptions.OpenIf(parseResult, textField is not null, "--text-field");
        input = generator is null ? input : input.WithTextEmbedding(new TextEmbedding(textField!, generator));
        var options = new IngestOptions(context.Collection, context.Tenant)
        {
            SecretPath = parseResult.GetValue(SecretPathOption),
            DerivationPath = parseResult.GetRequiredValue(DerivationPathOption),
            BatchSize = generator is not null && parseResult.GetResult(BatchSizeOption) is null or { Implicit: true } ? IngestOptions.DefaultTextBatchSize : parseResult.GetValue(BatchSizeOption),
            Replace = parseResult.GetValue(ReplaceOption),
            Mode = parseResult.GetValue(SealedOption) ? CollectionMode.Sealed : CollectionMode.Dcpe,
            CollectionCreated = manifest => Progress(string.Create(
                CultureInfo.InvariantCulture, $"created {(manifest.Mode == CollectionMode.Sealed ? "sealed " : string.Empty)}collection \"{context.Collection}\" ({manifest.Dimensions} dimensions) in {context.Location}")),
        };
        using DocumentStore store = DocumentStore.Open(context.Location, mustExist: false);
        var progress = new TextProgress(Terminal.Error, "veil ingest", "documents", total: null);
        await store.IngestAsync(input, options, context.Client, progress, cancellationToken).ConfigureAwait(false);
        progress.Finish($"encrypted and stored in collection \"{context.Collection}\" of {context.Location}:");
        return ExitCodes.Success;
    }
}
