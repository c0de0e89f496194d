using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Veil.Vectors;

namespace Veil.Extensions.VectorData;

/// <summary>
/// Search through the decorator: the plaintext query (or the embedding of a text query) encrypted once per live vector
/// secret, the inner collection searched once per encrypted query, results merged by record key, then either re-ranked
/// exactly on the decrypted vectors or kept in the store's order, and decrypted.
/// </summary>
internal sealed class EncryptedSearch<TKey, TRecord>(
    VectorStoreCollection<TKey, TRecord> inner, EncryptedRecordModel<TRecord> model, RecordCipher<TRecord> cipher, EncryptingCollectionOptions options)
    where TKey : notnull
    where TRecord : class
{
    private readonly bool _rerank = options.ExactReranking && !options.OneWay;

    /// <summary>The plaintext query a search value stands for: a vector as it is, or a generator's embedding of another input.</summary>
    /// <exception cref="NotSupportedException">The value is neither a vector nor an input the property's generator embeds.</exception>
    public static async Task<ReadOnlyMemory<float>> QueryAsync<TInput>(TInput searchValue, VectorField vector, CancellationToken cancellationToken)
        where TInput : notnull
    {
        if (VectorField.AsVector(searchValue, nameof(searchValue)) is { } plaintext)
        {
            return plaintext;
        }

        if (vector.Property.EmbeddingGenerator is not null)
        {
            Embedding embedding = await vector.Property.GenerateEmbeddingAsync(searchValue, cancellationToken).ConfigureAwait(false);
            return embedding is Embedding<float> floats ? EncryptedEmbeddings.Plaintext(floats, nameof(searchValue))
                : throw new NotSupportedException($"The embedding generator of vector property '{vector.Name}' made a '{embedding.GetType().Name}'; the encrypting collection encrypts Embedding<float>.");
        }

        throw searchValue is string
            ? new NotSupportedException(
                "The encrypting collection searches with text only when an embedding generator is configured (EncryptingCollectionOptions.EmbeddingGenerator, or the definition's or vector property's EmbeddingGenerator); otherwise pass the query's embedding.")
            : new NotSupportedException(
                $"The encrypting collection searches with a plaintext vector (ReadOnlyMemory<float>, float[] or Embedding<float>) or, with an embedding generator, its input; not with '{typeof(TInput).Name}'.");
    }

    /// <summary>The <paramref name="top"/> results after <see cref="VectorSearchOptions{TRecord}.Skip"/>, decrypted.</summary>
    public async Task<List<VectorSearchResult<TRecord>>> SearchAsync(
        ReadOnlyMemory<float> query, VectorField vector, int top, VectorSearchOptions<TRecord> searchOptions,
        Func<VectorSearchOptions<TRecord>, VectorSearchOptions<TRecord>> innerOptionsFor, CancellationToken cancellationToken)
    {
        VectorCipher<TRecord>.CheckDimensions(vector, query.Length, "searchValue");
        int wanted = checked(searchOptions.Skip + top);
        int fetch = _rerank ? Math.Max(options.RerankCandidates, wanted) : wanted;
        VectorSearchOptions<TRecord> innerOptions = innerOptionsFor(searchOptions);
        innerOptions.VectorProperty = searchOptions.VectorProperty;
        innerOptions.Skip = 0;
        innerOptions.IncludeVectors = _rerank || searchOptions.IncludeVectors;
        innerOptions.ScoreThreshold = null;

        var candidates = new Dictionary<TKey, (TRecord Record, double? Score)>();
        foreach (QueryVector encryptedQuery in await cipher.Vectors.QueryAsync(query, cancellationToken).ConfigureAwait(false))
        {
            await foreach (VectorSearchResult<TRecord> result in inner.SearchAsync(encryptedQuery.Ciphertext, fetch, innerOptions, cancellationToken).ConfigureAwait(false))
            {
                if (!cipher.OwnedByTenant(result.Record)
                    || (!_rerank && !options.OneWay && cipher.Vectors.StoredKeyId(vector, result.Record) is { } storedKeyId && storedKeyId != encryptedQuery.KeyId))
                {
                    // Another tenant's row; or, without re-ranking, a score of a query under one key against a vector
                    // under another, which is meaningless.
                    continue;
                }

                candidates.TryAdd((TKey)model.GetKey(result.Record)!, (result.Record, result.Score));
            }
        }

        List<TRecord> records = candidates.Values.Select(c => c.Record).ToList();
        double?[] scores = candidates.Values.Select(c => c.Score).ToArray();
        float[]?[]? plaintextVectors = null;
        if (_rerank)
        {
            plaintextVectors = await cipher.Vectors.DecryptAsync(records, vector, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < records.Count; i++)
            {
                scores[i] = plaintextVectors[i] is { } plaintext ? ExactDistance.Score(vector.DistanceFunction, plaintext, query.Span) : null;
            }
        }

        int[] selected = Rank(scores, vector.DistanceFunction, searchOptions).Skip(searchOptions.Skip).Take(top).ToArray();
        List<TRecord> decrypted = await cipher.DecryptAsync(
            selected.Select(i => records[i]).ToList(),
            searchOptions.IncludeVectors,
            cancellationToken,
            plaintextVectors is null ? null : (vector, selected.Select(i => plaintextVectors[i]).ToArray())).ConfigureAwait(false);
        return selected.Select((index, i) => new VectorSearchResult<TRecord>(decrypted[i], scores[index])).ToList();
    }

    /// <summary>Indexes of the candidates within the score threshold, best first.</summary>
    private static IEnumerable<int> Rank(double?[] scores, string distanceFunction, VectorSearchOptions<TRecord> searchOptions)
    {
        bool higherIsBetter = ExactDistance.HigherIsBetter(distanceFunction);
        IEnumerable<int> order = Enumerable.Range(0, scores.Length).Where(i =>
            searchOptions.ScoreThreshold is not { } threshold || scores[i] is not { } score || (higherIsBetter ? score >= threshold : score <= threshold));
        return higherIsBetter
            ? order.OrderByDescending(i => scores[i] ?? double.NegativeInfinity)
            : order.OrderBy(i => scores[i] ?? double.PositiveInfinity);
    }
}
