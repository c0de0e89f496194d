using Veil.Extensions.VectorData;

namespace Veil.Cli.Demo;

/// <summary>The options of <c>veil demo</c>.</summary>
internal sealed record DemoSettings(
    float Beta,
    int Queries,
    int Seed,
    int RerankCandidates,
    string CorpusDirectory,
    string? Store,
    string? StoreMemory,
    int? StoreThreads,
    Veil.Embeddings.Onnx.OnnxEmbeddingGenerator? TextModel,
    string Text)
{
    /// <summary>How many neighbours recall is measured over.</summary>
    public const int K = 10;

    /// <summary>How many queries the demo prints the hits of.</summary>
    public const int Shown = 3;

    /// <summary>How many hits it prints for each.</summary>
    public const int ShownHits = 5;

    /// <summary>The corpus shipped beside the tool (data/fiori-minilm in the repository).</summary>
    public static string DefaultCorpusDirectory => Path.Combine(AppContext.BaseDirectory, "corpus", "fiori-minilm");

    /// <summary>The text query when --text is not given.</summary>
    public const string DefaultText = "How do I deploy a Fiori app to Cloud Foundry?";

    public static int DefaultRerankCandidates => EncryptingCollectionOptions.DefaultRerankCandidates;

    /// <exception cref="CliUsageException">An option is out of range.</exception>
    public void Validate()
    {
        if (!float.IsFinite(Beta) || Beta <= 0f)
        {
            throw new CliUsageException("Invalid options: --beta must be a finite number greater than zero.");
        }

        if (Queries is < 1 or > 500)
        {
            throw new CliUsageException("Invalid options: --queries must be from 1 to 500 (the held-out documents; the rest of the 778 are stored).");
        }

        if (RerankCandidates < K)
        {
            throw new CliUsageException($"Invalid options: --rerank-candidates must be at least {K}.");
        }
    }
}
