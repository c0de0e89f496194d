using Microsoft.Extensions.AI;

namespace Veil.Extensions.AI;

/// <summary>Adds <see cref="EncryptingEmbeddingGenerator"/> to an embedding generator pipeline.</summary>
public static class VectorEncryptionEmbeddingGeneratorBuilderExtensions
{
    /// <summary>
    /// Adds vector encryption to the pipeline. <b>Call it last</b>, after every other <c>Use…</c>: the first factory
    /// added is the outermost, so the encrypting generator must be added last to sit innermost, nearest the model, where
    /// logging, caching and telemetry middleware added before it only ever see ciphertext.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="operations">Local keys or the key service client (not disposed by the pipeline).</param>
    /// <param name="options">Secret path, derivation path, tenant and mode.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// The embeddings that leave the pipeline are ciphertexts (see <see cref="EncryptingEmbeddingGenerator"/>); the input
    /// texts are not encrypted, so middleware that logs inputs (for example trace-level logging, which may contain
    /// sensitive application data) still sees them.
    /// </remarks>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> UseVectorEncryption(
        this EmbeddingGeneratorBuilder<string, Embedding<float>> builder,
        IVeilOperations operations,
        EncryptingEmbeddingGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(options);
        return builder.Use(innerGenerator => new EncryptingEmbeddingGenerator(innerGenerator, operations, options));
    }

    /// <summary>
    /// Adds vector encryption with local keys to the pipeline (<see cref="LocalVeilOperations"/> over
    /// <paramref name="client"/>). <b>Call it last</b>, as explained on the <see cref="IVeilOperations"/> overload.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="client">The client whose vector secret encrypts (not disposed by the pipeline).</param>
    /// <param name="options">Secret path, derivation path, tenant and mode.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> UseVectorEncryption(
        this EmbeddingGeneratorBuilder<string, Embedding<float>> builder,
        VeilClient client,
        EncryptingEmbeddingGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        return builder.UseVectorEncryption(new LocalVeilOperations(client), options);
    }
}
