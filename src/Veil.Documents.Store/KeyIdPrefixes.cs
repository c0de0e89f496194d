using System.Linq.Expressions;
using System.Reflection;
using Microsoft.Extensions.VectorData;
using Veil.Formats;
using Veil.Keys;
using Veil.Stores.Postgres;

namespace Veil.Documents.Store;

/// <summary>
/// Key-id headers (the 6 bytes every Alloy ciphertext starts with) to look for in a collection of
/// <see cref="VeilDocument"/>s: in the paired ICL info of the embedding, in the deterministic category, and in the
/// standard-encrypted fields, and (in a sealed collection) the header of the sealed vector, whose key is derived from a
/// standard secret (null or empty: none of that kind). Used by <see cref="StoreRotation"/> (rows under an
/// in-rotation secret) and <see cref="KeyUsage"/> (rows under a secret about to be retired).
/// </summary>
internal sealed record KeyIdPrefixes(byte[]? Vector, byte[]? Category, byte[][] Fields, byte[]? SealedVector = null)
{
    /// <summary>The headers that rows encrypted with secret <paramref name="id"/> of <paramref name="section"/>/<paramref name="path"/> start with, in a collection described by <paramref name="manifest"/>.</summary>
    /// <remarks>The vector and category columns use the manifest's secret path only: the same id under another path is another secret.</remarks>
    public static KeyIdPrefixes Of(KeysetSection section, SecretPath path, KeyId id, CollectionManifest manifest)
    {
        bool samePath = manifest.VectorSecretPath == path.ToString();
        return section switch
        {
            KeysetSection.Vector => new KeyIdPrefixes(samePath ? Header(id, PayloadType.VectorMetadata) : null, null, []),
            KeysetSection.Deterministic => new KeyIdPrefixes(null, samePath ? Header(id, PayloadType.DeterministicField) : null, []),
            _ => new KeyIdPrefixes(null, null, [Header(id, PayloadType.StandardEdek)], manifest.Mode == CollectionMode.Sealed ? SealedVectorHeader(id) : null),
        };
    }

    /// <summary>The number of rows of <paramref name="rows"/> that match <paramref name="filter"/>: counted in the database on PostgreSQL, else read and counted.</summary>
    public static async Task<long> CountAsync(
        VectorStoreCollection<string, VeilDocument> rows, Expression<Func<VeilDocument, bool>> filter, CancellationToken cancellationToken)
    {
        if (rows is PostgresCollection<string, VeilDocument> postgres)
        {
            return await postgres.CountAsync(filter, cancellationToken).ConfigureAwait(false);
        }

        long count = 0;
        await foreach (VeilDocument _ in rows.GetAsync(filter, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// The rows that start with any of them, as a store filter on the base64 columns (6 bytes are exactly 8 base64
    /// characters) and on the sealed vector column of <paramref name="format"/>: its first 6 bytes, or (base64 text) 8 characters.
    /// </summary>
    public Expression<Func<VeilDocument, bool>> Filter(SealedVectorFormat format = SealedVectorFormat.Binary)
    {
        ParameterExpression row = Expression.Parameter(typeof(VeilDocument), "d");
        var tests = new List<Expression>();
        void Add(string property, byte[]? prefix)
        {
            if (prefix is not null)
            {
                tests.Add(Expression.Call(
                    Expression.Property(row, property),
                    typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string), typeof(StringComparison)])!,
                    Expression.Constant(Convert.ToBase64String(prefix)),
                    Expression.Constant(StringComparison.Ordinal)));
            }
        }

        Add(nameof(VeilDocument.EmbeddingInfo), Vector);
        Add(nameof(VeilDocument.Category), Category);
        foreach (byte[] prefix in Fields)
        {
            Add(nameof(VeilDocument.Fields), prefix);
        }

        if (SealedVector is not null && format == SealedVectorFormat.Base64Text)
        {
            Add(nameof(VeilDocument.SealedEmbeddingText), SealedVector);
        }
        else if (SealedVector is not null)
        {
            // d.SealedEmbedding.Take(6).SequenceEqual(header): the stores match it as a binary prefix.
            MethodInfo take = typeof(Enumerable).GetMethods()
                .Single(m => m.Name == nameof(Enumerable.Take) && m.GetParameters()[1].ParameterType == typeof(int)).MakeGenericMethod(typeof(byte));
            MethodInfo sequenceEqual = typeof(Enumerable).GetMethods()
                .Single(m => m.Name == nameof(Enumerable.SequenceEqual) && m.GetParameters().Length == 2).MakeGenericMethod(typeof(byte));
            tests.Add(Expression.Call(
                sequenceEqual,
                Expression.Call(take, Expression.Property(row, nameof(VeilDocument.SealedEmbedding)), Expression.Constant(SealedVector.Length)),
                Expression.Constant(SealedVector, typeof(IEnumerable<byte>))));
        }

        Expression body = tests.Count == 0 ? Expression.Constant(false) : tests.Aggregate((a, b) => Expression.OrElse(a, b));
        return Expression.Lambda<Func<VeilDocument, bool>>(body, row);
    }

    /// <summary>The 6-byte header of a sealed vector (format version 1, kind 1 = vector, the standard secret's id, big-endian: docs/sealed.md).</summary>
    private static byte[] SealedVectorHeader(KeyId id)
    {
        byte[] header = [1, 1, 0, 0, 0, 0];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(2), id.Value);
        return header;
    }

    private static byte[] Header(KeyId id, PayloadType payload) => new KeyIdHeader(id, EdekType.Standalone, payload).ToArray();
}
