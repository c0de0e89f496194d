using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Sealed;

namespace Veil.Documents.Store;

/// <summary>
/// The record <c>veil ingest</c>, <c>search</c>, <c>export</c> and <c>demo</c> store: a clear key, the category
/// (deterministic, filterable with <c>==</c>), every other metadata field as one JSON object (standard encryption),
/// and the embedding (Scale-And-Perturb) with its paired ICL info.
/// </summary>
/// <remarks>
/// The vector's dimension is only known at run time, so collections are opened with <see cref="Definition(CollectionManifest)"/> rather
/// than attributes. The same record type, unencrypted, holds the demo's plaintext baseline.
/// </remarks>
public sealed class VeilDocument
{
    /// <summary>The JSON field (and Parquet column) of the category.</summary>
    public const string CategoryField = "category";

    /// <summary>Gets or sets the document id (stored in the clear, the record key).</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Gets or sets the category: encrypted deterministically, so a filter <c>d =&gt; d.Category == "x"</c> still works.</summary>
    [EncryptDeterministically]
    public string? Category { get; set; }

    /// <summary>Every metadata field of the input line except id, vector and category, as a JSON object.</summary>
    [EncryptStandard]
    public string? Fields { get; set; }

    /// <summary>
    /// The <see cref="Fields"/> of a document whose other fields serialise to <paramref name="json"/>: null when there
    /// are none, so that nothing is encrypted (an AES-GCM document per record) or stored for them. The output is the
    /// same either way.
    /// </summary>
    public static string? FieldsOrNull(string json) => json == "{}" ? null : json;

    /// <summary>Gets or sets the embedding's paired ICL info (key id, IV, auth hash), base64, as the store keeps it.</summary>
    [PairedIclInfo(nameof(Embedding))]
    public string? EmbeddingInfo { get; set; }

    /// <summary>Gets or sets the embedding: plaintext in the application, Scale-And-Perturb ciphertext in the store (empty in a sealed collection's store).</summary>
    public ReadOnlyMemory<float>? Embedding { get; set; }

    /// <summary>
    /// Gets or sets the embedding sealed with AES-256-GCM (the sealed box's bytes: a BLOB / bytea column), in a sealed
    /// collection's store only (see <see cref="SealedDefinition(int, SealedVectorFormat)"/>); null in the application and in DCPE collections.
    /// </summary>
    [SealedVector(nameof(Embedding))]
    public byte[]? SealedEmbedding { get; set; }

    /// <summary>
    /// Gets or sets the embedding sealed with AES-256-GCM as base64 text, stored in the same <c>SealedEmbedding</c> column
    /// by sealed collections created before the column was binary (<see cref="SealedVectorFormat.Base64Text"/>); null otherwise.
    /// </summary>
    [SealedVector(nameof(Embedding))]
    public string? SealedEmbeddingText { get; set; }

    /// <summary>The distance a sealed collection's search scores are (higher is closer, 1 for the query itself).</summary>
    public const string SealedScoreDistance = "cosine_similarity";

    /// <summary>The distance the search scores of a collection in <paramref name="mode"/> are.</summary>
    public static string ScoreDistanceOf(CollectionMode mode) => mode == CollectionMode.Sealed ? SealedScoreDistance : ScoreDistance;

    /// <summary>
    /// The distance search scores are (<see cref="DistanceFunction.EuclideanDistance"/>: lower is closer, 0 for the
    /// query itself), as search output names it next to each score.
    /// </summary>
    public const string ScoreDistance = "euclidean_distance";

    /// <summary>
    /// The collection definition for <paramref name="dimensions"/>-d embeddings searched by Euclidean distance (the
    /// distance Scale-And-Perturb approximately preserves; on unit vectors it orders as cosine does).
    /// </summary>
    public static VectorStoreCollectionDefinition Definition(int dimensions) => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty(nameof(Id), typeof(string)),
            new VectorStoreDataProperty(nameof(Category), typeof(string)) { IsIndexed = true },
            new VectorStoreDataProperty(nameof(Fields), typeof(string)),
            new VectorStoreDataProperty(nameof(EmbeddingInfo), typeof(string)),
            new VectorStoreVectorProperty(nameof(Embedding), typeof(ReadOnlyMemory<float>?), dimensions)
            {
                DistanceFunction = DistanceFunction.EuclideanDistance,
            },
        ],
    };

    /// <summary>
    /// The definition of a sealed collection (<see cref="CollectionMode.Sealed"/>) for <paramref name="dimensions"/>-d
    /// embeddings: the same clear key and encrypted fields, the sealed embedding as an opaque column (binary, or base64
    /// text in collections created before binary columns), and a vector column that stays empty in the store (ranked by
    /// cosine on the key holder).
    /// </summary>
    public static VectorStoreCollectionDefinition SealedDefinition(int dimensions, SealedVectorFormat format = SealedVectorFormat.Binary) => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty(nameof(Id), typeof(string)),
            new VectorStoreDataProperty(nameof(Category), typeof(string)) { IsIndexed = true },
            new VectorStoreDataProperty(nameof(Fields), typeof(string)),
            new VectorStoreDataProperty(nameof(EmbeddingInfo), typeof(string)),
            format == SealedVectorFormat.Binary
                ? new VectorStoreDataProperty(nameof(SealedEmbedding), typeof(byte[]))
                : new VectorStoreDataProperty(nameof(SealedEmbeddingText), typeof(string)) { StorageName = nameof(SealedEmbedding) },
            new VectorStoreVectorProperty(nameof(Embedding), typeof(ReadOnlyMemory<float>?), dimensions)
            {
                DistanceFunction = DistanceFunction.CosineSimilarity,
            },
        ],
    };

    /// <summary>The definition of the collection <paramref name="manifest"/> describes, in its mode (and sealed vector format).</summary>
    public static VectorStoreCollectionDefinition Definition(CollectionManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Mode == CollectionMode.Sealed ? SealedDefinition(manifest.Dimensions, manifest.SealedFormat) : Definition(manifest.Dimensions);
    }
}
