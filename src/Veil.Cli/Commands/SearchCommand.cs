using Microsoft.Extensions.VectorData;
using Veil.Cli.Commands.OptionGroups;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;
using Veil.Extensions.VectorData;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil search</c>: encrypts a query (a vector, a stored document's vector, or text embedded locally with an ONNX
/// model), searches the store, and writes the decrypted hits as JSON Lines.
/// </summary>
internal sealed class SearchCommand : StoreCommand
{
    public SearchCommand(CliConsole console)
        : base(console, "search", "Search the encrypted documents with an encrypted query (--vector, --id or --text); write the decrypted hits as JSON Lines: {\"rank\",\"id\",\"score\",\"distance\",\"category\",…fields}, where score is the Euclidean distance to the query (\"distance\":\"euclidean_distance\"; lower is closer), or in a sealed collection (veil ingest --sealed) the exact cosine similarity (\"distance\":\"cosine_similarity\"; higher is closer).")
    {
        this.Add(VectorOption, IdOption, TextOption);
        TextModelOptions.AddTo(this);
        this.Add(TopOption, CategoryOption, NoRerankOption, RerankCandidatesOption, IncludeVectorsOption);
    }

    internal readonly Option<string> VectorOption = new("--vector") { Description = "The query vector as a JSON array of numbers." };
    internal readonly Option<string> IdOption = new("--id") { Description = "Search with the (decrypted) vector of this stored document; it is its own first hit." };
    internal readonly Option<string> TextOption = new("--text") { Description = "Search with this text, embedded locally with the all-MiniLM-L6-v2 add-on (" + TextModel.InstallCommand + ") or --model and --vocab." };
    internal readonly TextModelOptions TextModelOptions = new("--model", "With --text: ");
    internal readonly Option<int> TopOption = Opt<int>("--top", "How many hits.", 10).AtLeastOne();
    internal readonly Option<string> CategoryOption = new("--category") { Description = "Only documents whose category equals this (compared as deterministic ciphertext)." };
    internal readonly Option<bool> NoRerankOption = Opt<bool>("--no-rerank", "Return the order of the encrypted distances (approximate scores) instead of re-ranking the candidates exactly on the client.");
    internal readonly Option<int> RerankCandidatesOption = Opt<int>("--rerank-candidates", "K′: how many candidates re-ranking fetches and decrypts (in a sealed collection: how many rows every search fetches by key).", EncryptingCollectionOptions.DefaultRerankCandidates).AtLeastOne();
    internal readonly Option<bool> IncludeVectorsOption = new("--include-vectors") { Description = "Write each hit's decrypted vector too." };

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, StoreContext context, CancellationToken cancellationToken)
    {
        string? vectorJson = parseResult.GetValue(VectorOption);
        string? id = parseResult.GetValue(IdOption);
        string? text = parseResult.GetValue(TextOption);
        if ((vectorJson is null ? 0 : 1) + (id is null ? 0 : 1) + (text is null ? 0 : 1) != 1)
        {
            throw new CliUsageException("Invalid options: give exactly one of --vector, --id and --text.");
        }

        float[]? query = null;
        string source = "the --vector";
        if (vectorJson is not null)
        {
            query = DocumentJson.ParseVector(vectorJson);
        }
        else if (text is not null)
        {
            using OnnxEmbeddingGenerator generator = TextModelOptions.Open(parseResult);
            query = await generator.EmbedAsync(text, cancellationToken).ConfigureAwait(false);
            source = $"the model '{generator.ModelName()}'";
        }

        var search = new DocumentSearch(context.Collection, context.Tenant)
        {
            Vector = query,
            VectorSource = source,
            Id = id,
            Top = parseResult.GetValue(TopOption),
            Rerank = !parseResult.GetValue(NoRerankOption),
            RerankCandidates = parseResult.GetValue(RerankCandidatesOption),
            Category = parseResult.GetValue(CategoryOption),
            IncludeVectors = parseResult.GetValue(IncludeVectorsOption),
        };
        using DocumentStore store = DocumentStore.Open(context.Location, mustExist: true);
        int rank = 0;
        await foreach (DocumentHit hit in store.SearchAsync(search, context.Client, cancellationToken).ConfigureAwait(false))
        {
            Terminal.Output.WriteLine(StoreJson.Document(hit.Record, search.IncludeVectors, ++rank, hit.Score, hit.Distance));
        }

        return ExitCodes.Success;
    }
}
