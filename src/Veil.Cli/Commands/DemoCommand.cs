using Veil.Cli.Commands.OptionGroups;
using Veil.Demo;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil demo</c>: the options of <see cref="DemoOptions"/> and <see cref="DemoKeys"/>, run by <see cref="DemoRunner"/>
/// on the committed real corpus (778 all-MiniLM-L6-v2 embeddings): ingest it encrypted into the embedded DuckDB store,
/// search with held-out documents as encrypted queries, show decrypted hits beside exact plaintext hits, filter on an
/// encrypted category, report recall@10 with and without re-ranking.
/// </summary>
internal sealed class DemoCommand : VeilCommand
{
    private static readonly DemoOptions s_defaults = new(string.Empty);
    private readonly Option<float> _beta = Opt<float>("--beta", "The approximation factor β of the generated vector secret (larger is more secure and less accurate).", 2.5f);
    private readonly Option<int> _queries = Opt("--queries", "How many documents to hold out as queries (the rest are stored).", s_defaults.Queries);
    private readonly Option<int> _seed = Opt("--seed", "Seed of the choice of held-out documents (not of the encryption, which always uses fresh randomness).", s_defaults.Seed);
    private readonly Option<int> _rerankCandidates = Opt("--rerank-candidates", "K′: how many candidates re-ranking fetches from the store and decrypts.", s_defaults.RerankCandidates);
    private readonly Option<string> _store = Opt<string>("--store", "Keep the store here (duckdb:PATH; its demo collections are replaced) instead of in a temporary file.");
    private readonly Option<bool> _sealed = Opt<bool>("--sealed", "Also store the corpus sealed (AES-256-GCM vectors, the key holder's index) and show the same queries side by side: plaintext, DCPE, sealed, with recall@10 each.");
    private readonly Option<string> _storeMemory = StoreLocationOptions.DuckDbMemory();
    private readonly Option<int?> _storeThreads = StoreLocationOptions.DuckDbThreads();
    private readonly Option<string> _corpus = Opt<string>("--corpus", "The corpus directory (embeddings.bin + records.jsonl); default: the one shipped with veil.");
    private readonly TextModelOptions _textModel = new("--model", "For the text query: ");
    private readonly Option<string> _text = Opt<string>("--text", "The text query (default: \"" + DemoTextQuery.DefaultText + "\"), embedded locally with the all-MiniLM-L6-v2 add-on (" + TextModel.InstallCommand + ") or --model; run when the add-on is installed.");
    private readonly Option<string> _config = Opt<string>("--config", "Use this configuration's vector secret (and its deterministic and standard secrets, when present) instead of fresh random ones.");
    private readonly Option<string> _secretPath = Opt<string>("--secret-path", "With --config: the vector (and deterministic) secret path to use; defaults to the first vector path.");

    public DemoCommand(CliConsole console)
        : base(console, "demo", "Run Veil end to end on 778 real MiniLM embeddings (fresh in-memory secrets unless --config): ingest encrypted into DuckDB, search with encrypted queries, filter on an encrypted category; report recall@10 and timings.")
    {
        this.Add(_beta, _queries, _seed, _rerankCandidates, _store, _sealed, _storeMemory, _storeThreads, _corpus);
        _textModel.AddTo(this);
        this.Add(_text, _config, _secretPath);
        SetAction(RunAsync);
    }

    /// <summary>The corpus shipped beside the tool (data/fiori-minilm in the repository).</summary>
    internal static string DefaultCorpusDirectory => Path.Combine(AppContext.BaseDirectory, "corpus", "fiori-minilm");

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var options = new DemoOptions(parseResult.GetValue(_corpus) ?? DefaultCorpusDirectory)
        {
            Queries = parseResult.GetValue(_queries),
            Seed = parseResult.GetValue(_seed),
            RerankCandidates = parseResult.GetValue(_rerankCandidates),
            Store = parseResult.GetValue(_store) is { } store ? StoreLocation.Parse(store) : null,
            Sealed = parseResult.GetValue(_sealed),
            StoreMemory = parseResult.GetValue(_storeMemory),
            StoreThreads = parseResult.GetValue(_storeThreads),
            TextQueryUnavailable = $"no model; install the all-MiniLM-L6-v2 add-on with: {TextModel.InstallCommand}",
        };
        options.Validate();
        using DemoKeys keys = DemoKeys.Load(parseResult.GetValue(_beta), parseResult.GetValue(_config), parseResult.GetValue(_secretPath) is { } path ? new SecretPath(path) : null);

        // --text, --model or --vocab asks for a text query (an error without a model); otherwise there is one when the add-on is installed.
        string? text = parseResult.GetValue(_text);
        using (OnnxEmbeddingGenerator? model = text is not null || _textModel.IsGiven(parseResult) ? _textModel.Open(parseResult) : TextModel.OpenIfInstalled())
        {
            options = model is null ? options : options with { TextQuery = await DemoTextQuery.EmbedAsync(text, model, cancellationToken).ConfigureAwait(false) };
        }

        var progress = new TextProgress(Terminal.Error, "veil demo", "documents", total: null);
        await new DemoRunner(options, keys, Terminal.Output, Terminal.Error, "veil demo", progress).RunAsync(cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
