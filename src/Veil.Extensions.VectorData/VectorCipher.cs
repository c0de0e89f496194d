using Microsoft.Extensions.AI;
using Veil.Vectors;

namespace Veil.Extensions.VectorData;

/// <summary>
/// The vector side of the decorator: Scale-And-Perturb encryption of a vector property of many records in one batch
/// (embedding a generated property's input first), decryption with the paired ICL info, and query encryption.
/// </summary>
internal sealed class VectorCipher<TRecord>(IVeilOperations operations, EncryptingCollectionOptions options, RecordErrors<TRecord> errors)
    where TRecord : class
{
    /// <summary>Encrypts one vector property of every record; in one-way mode the paired ICL info is dropped (so nothing can decrypt).</summary>
    /// <exception cref="ArgumentException">A vector has the wrong dimension, or contains NaN or infinity.</exception>
    public async Task EncryptAsync(TRecord[] records, VectorField vector, CancellationToken cancellationToken)
    {
        // Read in the loop below, not into a list first: a chunk's list of 4 096 nullable vectors is a large-object
        // allocation, and large-object allocations bring on full collections.
        IReadOnlyList<ReadOnlyMemory<float>?>? generated = vector.IsGenerated
            ? await GenerateAsync(records, vector, cancellationToken).ConfigureAwait(false)
            : null;
        var rows = new List<int>(records.Length);
        var plaintexts = new List<ReadOnlyMemory<float>>(records.Length);
        int dimensions = vector.Dimensions;
        for (int i = 0; i < records.Length; i++)
        {
            if ((generated is null ? vector.GetVector(records[i]) : generated[i]) is not { } value)
            {
                vector.Companion?.SetBytes(records[i]!, null);
                continue;
            }

            CheckDimensions(vector, value.Length, nameof(records));
            if (dimensions <= 0)
            {
                dimensions = value.Length;
            }
            else if (value.Length != dimensions)
            {
                throw new ArgumentException($"The vectors in property '{vector.Name}' have different lengths.", nameof(records));
            }

            rows.Add(i);
            plaintexts.Add(value);
        }

        if (rows.Count == 0)
        {
            return;
        }

        BatchResult<EncryptedVector> encrypted = await RecordCipher<TRecord>.Unwrapped(operations.Vector.EncryptBatchAsync(
            plaintexts, options.VectorSecretPath, options.VectorDerivationPath, options.Tenant, cancellationToken)).ConfigureAwait(false);
        for (int r = 0; r < rows.Count; r++)
        {
            TRecord copy = records[rows[r]];
            if (encrypted[r].Error is ArgumentException error)
            {
                throw new ArgumentException(
                    $"The vector in property '{vector.Name}' of the record with key '{errors.DescribeKey(copy)}' cannot be encrypted: it contains NaN or infinity, or overflows.",
                    nameof(records),
                    error);
            }

            EncryptedVector item = RecordCipher<TRecord>.Value(encrypted[r]);
            vector.SetCiphertext(copy!, item.Ciphertext);
            vector.Companion?.SetBytes(copy!, options.OneWay ? null : item.PairedIclInfo.ToArray());
        }
    }

    /// <summary>Decrypts one vector property of every stored record: null where there is no vector (or in one-way mode).</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A vector fails to decrypt.</exception>
    public async Task<float[]?[]> DecryptAsync(IReadOnlyList<TRecord> stored, VectorField vector, CancellationToken cancellationToken)
    {
        var result = new float[]?[stored.Count];
        if (options.OneWay)
        {
            return result;
        }

        var indexes = new List<int>();
        var encrypted = new List<EncryptedVector>();
        for (int i = 0; i < stored.Count; i++)
        {
            if (vector.GetCiphertext(stored[i]!) is not { Length: > 0 } ciphertext)
            {
                continue;
            }

            byte[]? info;
            try
            {
                info = vector.Companion!.GetBytes(stored[i]!);
            }
            catch (FormatException e)
            {
                throw errors.DecryptionFailed(stored[i], vector.Companion!.Name, e);
            }

            if (info is null)
            {
                throw new System.Security.Cryptography.CryptographicException(
                    $"The record with key '{errors.DescribeKey(stored[i])}' has a vector in property '{vector.Name}' but no paired ICL info in '{vector.Companion.Name}', so it cannot be decrypted.");
            }

            indexes.Add(i);
            encrypted.Add(new EncryptedVector(ciphertext, info, options.VectorSecretPath, options.VectorDerivationPath));
        }

        if (indexes.Count == 0)
        {
            return result;
        }

        BatchResult<float[]> decrypted = await RecordCipher<TRecord>.Unwrapped(operations.Vector.DecryptBatchAsync(encrypted, options.Tenant, cancellationToken)).ConfigureAwait(false);
        for (int j = 0; j < indexes.Count; j++)
        {
            BatchItemResult<float[]> item = decrypted[j];
            if (!item.IsSuccess)
            {
                foreach (BatchItemResult<float[]> other in decrypted)
                {
                    if (other.Value is { } plaintext)
                    {
                        Array.Clear(plaintext);
                    }
                }

                throw errors.DecryptionFailed(stored[indexes[j]], vector.Name, item.Error!, encrypted[j].KeyId);
            }

            result[indexes[j]] = item.Value;
        }

        return result;
    }

    /// <summary>The plaintext query encrypted once per live vector secret, current first.</summary>
    public async Task<IReadOnlyList<QueryVector>> QueryAsync(ReadOnlyMemory<float> query, CancellationToken cancellationToken)
    {
        BatchResult<IReadOnlyList<QueryVector>> queries = await RecordCipher<TRecord>.Unwrapped(operations.Vector.GenerateQueryVectorsBatchAsync(
            [query], options.VectorSecretPath, options.VectorDerivationPath, options.Tenant, cancellationToken)).ConfigureAwait(false);
        return RecordCipher<TRecord>.Value(queries[0]);
    }

    /// <summary>The key id a stored vector's paired ICL info names, or null when it has none (or it cannot be read).</summary>
    public Keys.KeyId? StoredKeyId(VectorField vector, TRecord record)
    {
        byte[]? info;
        try
        {
            info = vector.Companion?.GetBytes(record!);
        }
        catch (FormatException)
        {
            return null;
        }

        return info is null ? null : new EncryptedVector(ReadOnlyMemory<float>.Empty, info, options.VectorSecretPath, options.VectorDerivationPath).KeyId;
    }

    /// <exception cref="ArgumentException">The length differs from the property's dimensions.</exception>
    public static void CheckDimensions(VectorField vector, int length, string paramName)
    {
        if (vector.Dimensions > 0 && length != vector.Dimensions)
        {
            throw new ArgumentException($"Vector property '{vector.Name}' has {vector.Dimensions} dimensions; got a vector of {length}.", paramName);
        }
    }

    /// <summary>The embeddings MEVD's generator of a generated property makes from the records' inputs (null where there is no input).</summary>
    private static async Task<IReadOnlyList<ReadOnlyMemory<float>?>> GenerateAsync(TRecord[] records, VectorField vector, CancellationToken cancellationToken)
    {
        var result = new ReadOnlyMemory<float>?[records.Length];
        var rows = Enumerable.Range(0, records.Length).Where(i => vector.GetInput(records[i]!) is not null).ToList();
        if (rows.Count == 0)
        {
            return result;
        }

        System.Collections.IEnumerable embeddings = await vector.Property.GenerateEmbeddingsAsync(rows.Select(i => vector.GetInput(records[i]!)!), cancellationToken).ConfigureAwait(false);
        int r = 0;
        foreach (object? embedding in embeddings)
        {
            result[rows[r++]] = embedding is Embedding<float> floats
                ? EncryptedEmbeddings.Plaintext(floats, vector.Name)
                : throw new NotSupportedException($"The embedding generator of vector property '{vector.Name}' made a '{embedding?.GetType().Name}'; the encrypting collection encrypts Embedding<float>.");
        }

        return result;
    }
}
