using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;

namespace Veil.Samples.WebApp;

/// <summary>A document as the app sees it; the store holds its text AES-GCM encrypted and its embedding Scale-And-Perturb encrypted.</summary>
public sealed class SampleDocument
{
    /// <summary>The embedding size of <see cref="HashingEmbeddingGenerator"/>.</summary>
    public const int Dimensions = 64;

    /// <summary>The document id (stored in the clear).</summary>
    [VectorStoreKey]
    public string Id { get; set; } = "";

    /// <summary>The text (encrypted in the store).</summary>
    [VectorStoreData]
    [EncryptStandard]
    public string? Text { get; set; }

    /// <summary>What decrypting the embedding needs (written by the encrypting collection).</summary>
    [VectorStoreData]
    [PairedIclInfo(nameof(Embedding))]
    public string? EmbeddingInfo { get; set; }

    /// <summary>The text's embedding (encrypted in the store).</summary>
    [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
    public ReadOnlyMemory<float>? Embedding { get; set; }
}
