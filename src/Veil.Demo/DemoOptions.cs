using Microsoft.Extensions.AI;
using Veil.Documents.Store;
using Veil.Extensions.VectorData;

namespace Veil.Demo;

/// <summary>What <see cref="DemoRunner"/> measures, and where.</summary>
/// <param name="CorpusDirectory">The corpus: <c>embeddings.bin</c> (raw little-endian float32 rows) beside <c>records.jsonl</c>.</param>
public sealed record DemoOptions(string CorpusDirectory)
{
    /// <summary>How many neighbours recall is measured over.</summary>
    public const int K = 10;

    /// <summary>How many queries the report prints the hits of.</summary>
    public const int Shown = 3;

    /// <summary>How many hits it prints for each.</summary>
    public const int ShownHits = 5;

    /// <summary>The largest number of held-out queries.</summary>
    public const int MaxQueries = 500;

    /// <summary>How many documents to hold out as queries (the rest are stored); 1 to <see cref="MaxQueries"/>.</summary>
    public int Queries { get; init; } = 50;

    /// <summary>Seed of the choice of held-out documents (not of the encryption, which always uses fresh randomness).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>K′: how many candidates re-ranking fetches from the store and decrypts; at least <see cref="K"/>.</summary>
    public int RerankCandidates { get; init; } = EncryptingCollectionOptions.DefaultRerankCandidates;

    /// <summary>The store to keep the collections in (its demo collections are replaced); null: a temporary DuckDB file, deleted at the end.</summary>
    public StoreLocation? Store { get; init; }

    /// <summary>
    /// Gets a value indicating whether to store the corpus a third time in a sealed collection (<c>veil demo --sealed</c>)
    /// and show its hits and recall beside the plaintext and DCPE ones.
    /// </summary>
    public bool Sealed { get; init; }

    /// <summary>DuckDB's memory limit (such as "64MB"), or null for its default.</summary>
    public string? StoreMemory { get; init; }

    /// <summary>DuckDB's thread count, or null for its default.</summary>
    public int? StoreThreads { get; init; }

    /// <summary>A text query embedded by the caller (with the corpus's model), searched as well; null for none.</summary>
    public DemoTextQuery? TextQuery { get; init; }

    /// <summary>Without <see cref="TextQuery"/>: why there is none (shown in place of the text query), or null to say nothing.</summary>
    public string? TextQueryUnavailable { get; init; }

    /// <summary>Checks every setting before anything is read or stored (the messages name them as <c>veil demo</c>'s options).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="DocumentStoreException">The store settings are not valid (<see cref="StoreLocation.ValidateSettings"/>).</exception>
    public void Validate()
    {
        if (Queries is < 1 or > MaxQueries)
        {
            throw new ArgumentOutOfRangeException(nameof(Queries), $"--queries must be from 1 to {MaxQueries} (the held-out documents; the rest of the corpus is stored).");
        }

        if (RerankCandidates < K)
        {
            throw new ArgumentOutOfRangeException(nameof(RerankCandidates), $"--rerank-candidates must be at least {K}.");
        }

        (Store ?? new StoreLocation(StoreLocation.DuckDbKind, "demo.duckdb")).WithDuckDbSettings(StoreMemory, StoreThreads).ValidateSettings();
    }
}

/// <summary>A text query of the demo: the text, its embedding and the model that made it (for the report).</summary>
/// <param name="Text">The text.</param>
/// <param name="Embedding">Its embedding; must have the corpus's dimensions.</param>
/// <param name="Model">The model's name, for the report.</param>
public sealed record DemoTextQuery(string Text, float[] Embedding, string Model)
{
    /// <summary>The text query of the shipped corpus when the caller gives none.</summary>
    public const string DefaultText = "How do I deploy a Fiori app to Cloud Foundry?";

    /// <summary>Embeds <paramref name="text"/> (default <see cref="DefaultText"/>) with <paramref name="generator"/>, named by the generator's model id.</summary>
    /// <param name="text">The text, or null for <see cref="DefaultText"/>.</param>
    /// <param name="generator">The embedding model (the corpus's: all-MiniLM-L6-v2).</param>
    /// <param name="cancellationToken">Cancels the embedding.</param>
    /// <returns>The query.</returns>
    public static async Task<DemoTextQuery> EmbedAsync(string? text, IEmbeddingGenerator<string, Embedding<float>> generator, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        text ??= DefaultText;
        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync([text], cancellationToken: cancellationToken).ConfigureAwait(false);
        string model = generator.GetService(typeof(EmbeddingGeneratorMetadata)) is EmbeddingGeneratorMetadata { DefaultModelId: { } id } ? id : "the model";
        return new DemoTextQuery(text, embeddings[0].Vector.ToArray(), model);
    }
}
