using Microsoft.Extensions.AI;

namespace Veil.Embeddings.Onnx;

/// <summary>
/// The sentence-embedding model behind a text feature (search by text, ingest of a text field, the demo's text query,
/// classification of texts): an ONNX model with its WordPiece vocabulary when given, otherwise the all-MiniLM-L6-v2
/// add-on (<see cref="PackagedModel.MiniLm"/>) from a NuGet global packages folder; and embedding texts with it.
/// </summary>
public static class TextEmbeddingModel
{
    /// <summary>Opens the model files when given, else the installed add-on.</summary>
    /// <param name="modelPath">A BERT-style ONNX model, or null for the add-on.</param>
    /// <param name="vocabularyPath">Its vocab.txt; given exactly when <paramref name="modelPath"/> is.</param>
    /// <param name="packagesFolder">Where to look for the add-on; null for <see cref="PackagedModel.DefaultPackagesFolder"/>.</param>
    /// <param name="options">Tokenizer and runtime options, or null for the defaults.</param>
    /// <returns>The generator (dispose it).</returns>
    /// <exception cref="ArgumentException">Only one of the two files is given, or a file is unusable.</exception>
    /// <exception cref="PackagedModelNotFoundException">The add-on is not installed in the folder.</exception>
    /// <exception cref="InvalidDataException">The installed add-on is damaged.</exception>
    public static OnnxEmbeddingGenerator Open(string? modelPath, string? vocabularyPath, string? packagesFolder = null, OnnxEmbeddingGeneratorOptions? options = null)
    {
        if ((modelPath is null) != (vocabularyPath is null))
        {
            throw new ArgumentException("A model file and its vocabulary go together: give both or neither.", nameof(vocabularyPath));
        }

        return modelPath is not null
            ? new OnnxEmbeddingGenerator(modelPath, vocabularyPath!, options)
            : PackagedModel.MiniLm.Open(packagesFolder, options);
    }

    /// <summary>Embeds one text.</summary>
    /// <param name="generator">The model.</param>
    /// <param name="text">The text.</param>
    /// <param name="cancellationToken">Cancels the embedding.</param>
    /// <returns>Its embedding.</returns>
    public static async Task<float[]> EmbedAsync(this IEmbeddingGenerator<string, Embedding<float>> generator, string text, CancellationToken cancellationToken = default) =>
        (await EmbedAsync(generator, [text], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Embeds texts, in order.</summary>
    /// <param name="generator">The model.</param>
    /// <param name="texts">The texts.</param>
    /// <param name="cancellationToken">Cancels the embedding.</param>
    /// <returns>One embedding per text.</returns>
    public static async Task<float[][]> EmbedAsync(this IEmbeddingGenerator<string, Embedding<float>> generator, IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(texts);
        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        return embeddings.Select(e => e.Vector.ToArray()).ToArray();
    }

    /// <summary>The model's name (its metadata's default model id), or "the model" when it has none; for messages.</summary>
    /// <param name="generator">The model.</param>
    /// <returns>The name.</returns>
    public static string ModelName(this IEmbeddingGenerator<string, Embedding<float>> generator) =>
        generator.GetService(typeof(EmbeddingGeneratorMetadata)) is EmbeddingGeneratorMetadata { DefaultModelId: { } id } ? id : "the model";
}
