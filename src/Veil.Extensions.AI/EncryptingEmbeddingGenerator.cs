using Microsoft.Extensions.AI;
using Veil.Vectors;

namespace Veil.Extensions.AI;

/// <summary>
/// An embedding generator that encrypts the inner generator's embeddings with Scale-And-Perturb before anything else
/// sees them: one-way by default (a query vector for the current secret, never decryptable), or decryptable with the
/// paired ICL info in the embedding's additional properties.
/// </summary>
/// <remarks>
/// <para><b>Pipeline position.</b> Add it <b>last</b> to an <see cref="EmbeddingGeneratorBuilder{TInput, TEmbedding}"/>
/// (<see cref="VectorEncryptionEmbeddingGeneratorBuilderExtensions.UseVectorEncryption"/>), so that it is the innermost
/// middleware, nearest the model: the first factory added is the outermost, so logging, caching, telemetry and any
/// other middleware added before it only ever see ciphertext. Added earlier, the middleware after it would see and could
/// log or cache plaintext embeddings. The input texts are not encrypted: middleware still sees them.</para>
/// <para><b>Security.</b> Warning: Scale-And-Perturb is not IND-CPA; encrypted embeddings reveal approximate
/// distances. Each embedding gets a fresh IV. The embeddings' <see cref="Embedding.ModelId"/>,
/// <see cref="Embedding.CreatedAt"/> and additional properties are kept; the key id of the secret used is added under
/// <see cref="KeyIdKey"/>. A cache in front of it caches ciphertexts (harmless; repeated texts get the same
/// ciphertext from the cache rather than a fresh one).</para>
/// <para><b>Rotation.</b> Only the current secret is used. To search a store that still holds vectors under an
/// in-rotation secret, use <c>VeilClient.Vector.GenerateQueryVectors</c> (one query per live secret) or the
/// encrypting vector store collection, which does that for you.</para>
/// <para><b>Thread safety.</b> Thread-safe for concurrent use when the inner generator is.</para>
/// </remarks>
public sealed class EncryptingEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The additional-property key of the key id (a <see cref="uint"/>) of the secret that encrypted an embedding.</summary>
    public const string KeyIdKey = "veil.keyId";

    /// <summary>The additional-property key of the paired ICL info (<see cref="byte"/>[]) in decryptable mode.</summary>
    public const string PairedIclInfoKey = "veil.pairedIclInfo";

    private readonly VeilClient _client;
    private readonly EncryptingEmbeddingGeneratorOptions _options;

    /// <summary>Wraps <paramref name="innerGenerator"/>.</summary>
    /// <param name="innerGenerator">The generator that produces plaintext embeddings (the model).</param>
    /// <param name="client">The client whose vector secret encrypts (not disposed by the generator).</param>
    /// <param name="options">Secret path, derivation path, tenant and mode.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public EncryptingEmbeddingGenerator(
        IEmbeddingGenerator<string, Embedding<float>> innerGenerator, VeilClient client, EncryptingEmbeddingGeneratorOptions options)
        : base(innerGenerator)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options;
    }

    /// <summary>Generates embeddings with the inner generator and returns them encrypted, in the same order.</summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">An embedding contains NaN or infinity, or overflows.</exception>
    /// <exception cref="KeyNotAvailableException">The secret path has no current secret.</exception>
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        GeneratedEmbeddings<Embedding<float>> plaintext = await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
        VectorEncryptor encryptor = _client.Vector.GetEncryptor(_options.SecretPath, _options.DerivationPath, _options.Tenant);
        var encrypted = new GeneratedEmbeddings<Embedding<float>>(plaintext.Count)
        {
            Usage = plaintext.Usage,
            AdditionalProperties = plaintext.AdditionalProperties,
        };
        foreach (Embedding<float> embedding in plaintext)
        {
            ArgumentNullException.ThrowIfNull(embedding, nameof(values));
            var additional = embedding.AdditionalProperties is { } existing ? new AdditionalPropertiesDictionary(existing) : [];
            additional[KeyIdKey] = encryptor.KeyId.Value;
            ReadOnlyMemory<float> ciphertext;
            if (_options.Decryptable)
            {
                EncryptedVector vector = encryptor.Encrypt(embedding.Vector.Span);
                ciphertext = vector.Ciphertext;
                additional[PairedIclInfoKey] = vector.PairedIclInfo.ToArray();
            }
            else
            {
                ciphertext = encryptor.EncryptOneWay(embedding.Vector.Span);
            }

            encrypted.Add(new Embedding<float>(ciphertext)
            {
                CreatedAt = embedding.CreatedAt,
                ModelId = embedding.ModelId,
                AdditionalProperties = additional,
            });
        }

        return encrypted;
    }

    /// <summary>Answers <see cref="VeilClient"/> with the client, itself for its own types, and forwards the rest.</summary>
    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(VeilClient) ? _client : base.GetService(serviceType, serviceKey);
    }
}
