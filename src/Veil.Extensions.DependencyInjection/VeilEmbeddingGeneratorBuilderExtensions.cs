using Microsoft.Extensions.DependencyInjection;
using Veil;
using Veil.Extensions.AI;
using Veil.Extensions.DependencyInjection;

namespace Microsoft.Extensions.AI;

/// <summary>Adds vector encryption with the <see cref="IVeilOperations"/> of the service provider (<c>AddVeil</c>).</summary>
public static class VeilEmbeddingGeneratorBuilderExtensions
{
    /// <summary>
    /// Adds an <see cref="EncryptingEmbeddingGenerator"/> that encrypts with the operations <c>AddVeil</c> registered
    /// (local keys or the key service), resolved when the pipeline is built. <b>Call it last</b>, so that it sits
    /// innermost and middleware added before it only sees ciphertext.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="options">Secret path, derivation path, tenant and mode.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="InvalidOperationException">When the pipeline is built: <c>AddVeil</c> was not called.</exception>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> UseVectorEncryption(
        this EmbeddingGeneratorBuilder<string, Embedding<float>> builder, EncryptingEmbeddingGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.Use((inner, services) => (services.GetService<VeilOperationsSource>()
            ?? throw new InvalidOperationException("UseVectorEncryption() without operations needs services.AddVeil(…) in the service provider the pipeline is built with.")).EncryptingGenerator(inner, options));
    }
}
