using System.Linq.Expressions;
using Microsoft.Extensions.VectorData;

namespace Veil.Extensions.VectorData;

/// <summary>
/// A <see cref="VectorStoreCollection{TKey, TRecord}"/> that passes every call to an inner collection: the base of
/// decorators, which override only what they change (as <c>DelegatingEmbeddingGenerator</c> is for embedding generators;
/// Microsoft.Extensions.VectorData 10.11 ships no such base for collections).
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TRecord">The record type.</typeparam>
/// <remarks>
/// <see cref="GetService"/> answers this collection for its own types and asks the inner collection for anything else;
/// disposing the decorator disposes the inner collection.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Named after the MEVD type it decorates, VectorStoreCollection.")]
public abstract class DelegatingVectorStoreCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The collection every call goes to.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    protected DelegatingVectorStoreCollection(VectorStoreCollection<TKey, TRecord> inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        InnerCollection = inner;
    }

    /// <summary>Gets the collection every call goes to.</summary>
    public VectorStoreCollection<TKey, TRecord> InnerCollection { get; }

    /// <inheritdoc/>
    public override string Name => InnerCollection.Name;

    /// <inheritdoc/>
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) =>
        InnerCollection.CollectionExistsAsync(cancellationToken);

    /// <inheritdoc/>
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default) =>
        InnerCollection.EnsureCollectionExistsAsync(cancellationToken);

    /// <inheritdoc/>
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default) =>
        InnerCollection.EnsureCollectionDeletedAsync(cancellationToken);

    /// <inheritdoc/>
    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default) =>
        InnerCollection.DeleteAsync(key, cancellationToken);

    /// <inheritdoc/>
    public override Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default) =>
        InnerCollection.DeleteAsync(keys, cancellationToken);

    /// <inheritdoc/>
    public override Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default) =>
        InnerCollection.GetAsync(key, options, cancellationToken);

    /// <inheritdoc/>
    public override IAsyncEnumerable<TRecord> GetAsync(IEnumerable<TKey> keys, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default) =>
        InnerCollection.GetAsync(keys, options, cancellationToken);

    /// <inheritdoc/>
    public override IAsyncEnumerable<TRecord> GetAsync(
        Expression<Func<TRecord, bool>> filter, int top, FilteredRecordRetrievalOptions<TRecord>? options = null, CancellationToken cancellationToken = default) =>
        InnerCollection.GetAsync(filter, top, options, cancellationToken);

    /// <inheritdoc/>
    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default) =>
        InnerCollection.UpsertAsync(record, cancellationToken);

    /// <inheritdoc/>
    public override Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default) =>
        InnerCollection.UpsertAsync(records, cancellationToken);

    /// <inheritdoc/>
    public override IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(
        TInput searchValue, int top, VectorSearchOptions<TRecord>? options = null, CancellationToken cancellationToken = default) =>
        InnerCollection.SearchAsync(searchValue, top, options, cancellationToken);

    /// <summary>Answers this collection for its own types (without a key) and forwards every other request to the inner collection.</summary>
    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : InnerCollection.GetService(serviceType, serviceKey);
    }

    /// <summary>Disposes the inner collection.</summary>
    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            InnerCollection.Dispose();
        }

        base.Dispose(disposing);
    }
}
