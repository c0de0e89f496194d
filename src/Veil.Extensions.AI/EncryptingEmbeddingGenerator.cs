using System.Runtime.ExceptionServices;
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
/// (<see cref="VectorEncryptionEmbeddingGeneratorBuilderExtensions.UseVectorEncryption(EmbeddingGeneratorBuilder{string, Embedding{float}}, IVeilOperations, EncryptingEmbeddingGeneratorOptions)"/>), so that it is the innermost
/// middleware, nearest the model: the first factory added is the outermost, so logging, caching, telemetry and any
/// other middleware added before it only ever see ciphertext. Added earlier, the middleware after it would see and could
/// log or cache plaintext embeddings. The input texts are not encrypted: middleware still sees them.</para>
/// <para><b>Security.</b> Warning: Scale-And-Perturb is not IND-CPA; encrypted embeddings reveal approximate
/// distances. Each embedding gets a fresh IV. The embeddings' <see cref="Embedding.ModelId"/>,
/// <see cref="Embedding.CreatedAt"/> and additional properties are kept; the key id of the secret used is added under
/// <see cref="KeyIdKey"/>. A cache in front of it caches ciphertexts (harmless; repeated texts get the same
/// ciphertext from the cache rather than a fresh one).</para>
/// <para><b>Keys.</b> It encrypts through an <see cref="IVeilOperations"/>: local keys (<see cref="LocalVeilOperations"/>,
/// or the <see cref="VeilClient"/> overload) or the key service client, so an application can encrypt without holding
/// keys. <see cref="GetService"/> never hands out the key holder: requests for <see cref="IVeilOperations"/> or any type
/// of the Veil core (such as <see cref="VeilClient"/>) answer null.</para>
/// <para><b>Rotation.</b> Only the current secret is used. To search a store that still holds vectors under an
/// in-rotation secret, use <c>VeilClient.Vector.GenerateQueryVectors</c> (one query per live secret) or the
/// encrypting vector store collection, which does that for you. One-way embeddings are the current secret's query
/// vectors (the first of <see cref="IVeilVectorOperations.GenerateQueryVectorsBatchAsync"/>'s results).</para>
/// <para><b>Thread safety.</b> Thread-safe for concurrent use when the inner generator is.</para>
/// </remarks>
public sealed class EncryptingEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The additional-property key of the key id (a <see cref="uint"/>) of the secret that encrypted an embedding.</summary>
    public const string KeyIdKey = "veil.keyId";

    /// <summary>The additional-property key of the paired ICL info (<see cref="byte"/>[]) in decryptable mode.</summary>
    public const string PairedIclInfoKey = "veil.pairedIclInfo";

    private readonly IVeilOperations _operations;
    private readonly EncryptingEmbeddingGeneratorOptions _options;

    /// <summary>Wraps <paramref name="innerGenerator"/>, encrypting through <paramref name="operations"/>.</summary>
    /// <param name="innerGenerator">The generator that produces plaintext embeddings (the model).</param>
    /// <param name="operations">Local keys or the key service client (not disposed by the generator).</param>
    /// <param name="options">Secret path, derivation path, tenant and mode.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public EncryptingEmbeddingGenerator(
        IEmbeddingGenerator<string, Embedding<float>> innerGenerator, IVeilOperations operations, EncryptingEmbeddingGeneratorOptions options)
        : base(innerGenerator)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(options);
        _operations = operations;
        _options = options;
    }

    /// <summary>Wraps <paramref name="innerGenerator"/>, encrypting with local keys.</summary>
    /// <param name="innerGenerator">The generator that produces plaintext embeddings (the model).</param>
    /// <param name="client">The client whose vector secret encrypts (not disposed by the generator).</param>
    /// <param name="options">Secret path, derivation path, tenant and mode.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public EncryptingEmbeddingGenerator(
        IEmbeddingGenerator<string, Embedding<float>> innerGenerator, VeilClient client, EncryptingEmbeddingGeneratorOptions options)
        : this(innerGenerator, new LocalVeilOperations(client), options)
    {
    }

    /// <summary>Generates embeddings with the inner generator and returns them encrypted, in the same order.</summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">An embedding contains NaN or infinity, or overflows.</exception>
    /// <exception cref="KeyNotAvailableException">The secret path has no current secret.</exception>
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        GeneratedEmbeddings<Embedding<float>> plaintext = await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
        ReadOnlyMemory<float>[] vectors = new ReadOnlyMemory<float>[plaintext.Count];
        for (int i = 0; i < vectors.Length; i++)
        {
            vectors[i] = (plaintext[i] ?? throw new ArgumentNullException(nameof(values), "The inner generator returned a null embedding.")).Vector;
        }

        (ReadOnlyMemory<float> Ciphertext, uint KeyId, byte[]? PairedIclInfo)[] ciphertexts = _options.Decryptable
            ? await EncryptAsync(vectors, cancellationToken).ConfigureAwait(false)
            : await EncryptOneWayAsync(vectors, cancellationToken).ConfigureAwait(false);
        var encrypted = new GeneratedEmbeddings<Embedding<float>>(plaintext.Count)
        {
            Usage = plaintext.Usage,
            AdditionalProperties = plaintext.AdditionalProperties,
        };
        for (int i = 0; i < ciphertexts.Length; i++)
        {
            Embedding<float> embedding = plaintext[i];
            var additional = embedding.AdditionalProperties is { } existing ? new AdditionalPropertiesDictionary(existing) : [];
            additional[KeyIdKey] = ciphertexts[i].KeyId;
            if (ciphertexts[i].PairedIclInfo is { } info)
            {
                additional[PairedIclInfoKey] = info;
            }

            encrypted.Add(new Embedding<float>(ciphertexts[i].Ciphertext)
            {
                CreatedAt = embedding.CreatedAt,
                ModelId = embedding.ModelId,
                AdditionalProperties = additional,
            });
        }

        return encrypted;
    }

    /// <summary>
    /// Answers null for key holders (<see cref="IVeilOperations"/> and its parts, and every type of the Veil core such
    /// as <see cref="VeilClient"/>), even when an inner generator would offer one; itself for its own types; forwards
    /// the rest. Whoever holds the pipeline can encrypt through it, but cannot reach the keys or the decrypting
    /// operations.
    /// </summary>
    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return IsKeyHolder(serviceType) ? null : base.GetService(serviceType, serviceKey);
    }

    private static bool IsKeyHolder(Type serviceType) =>
        serviceType.Assembly == typeof(VeilClient).Assembly
        || typeof(IVeilOperations).IsAssignableFrom(serviceType)
        || typeof(IVeilVectorOperations).IsAssignableFrom(serviceType)
        || typeof(IVeilFieldOperations).IsAssignableFrom(serviceType)
        || typeof(IVeilDocumentOperations).IsAssignableFrom(serviceType);

    private static T[] Values<T>(BatchResult<T> batch)
    {
        var values = new T[batch.Count];
        for (int i = 0; i < values.Length; i++)
        {
            if (!batch[i].IsSuccess)
            {
                ExceptionDispatchInfo.Throw(batch[i].Error!);
            }

            values[i] = batch[i].Value!;
        }

        return values;
    }

    private async Task<(ReadOnlyMemory<float>, uint, byte[]?)[]> EncryptAsync(ReadOnlyMemory<float>[] vectors, CancellationToken cancellationToken)
    {
        BatchResult<EncryptedVector> batch = await _operations.Vector.EncryptBatchAsync(
            vectors, _options.SecretPath, _options.DerivationPath, _options.Tenant, cancellationToken).ConfigureAwait(false);
        return Array.ConvertAll(Values(batch), v => (v.Ciphertext, v.KeyId?.Value ?? throw new InvalidOperationException("The key holder returned a malformed paired ICL info."), (byte[]?)v.PairedIclInfo.ToArray()));
    }

    private async Task<(ReadOnlyMemory<float>, uint, byte[]?)[]> EncryptOneWayAsync(ReadOnlyMemory<float>[] vectors, CancellationToken cancellationToken)
    {
        BatchResult<IReadOnlyList<QueryVector>> batch = await _operations.Vector.GenerateQueryVectorsBatchAsync(
            vectors, _options.SecretPath, _options.DerivationPath, _options.Tenant, cancellationToken).ConfigureAwait(false);
        return Array.ConvertAll(Values(batch), q => q.Count > 0
            ? (q[0].Ciphertext, q[0].KeyId.Value, (byte[]?)null)
            : throw new InvalidOperationException("The key holder returned no query vector."));
    }
}
