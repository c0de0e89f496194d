using Microsoft.Extensions.VectorData;

namespace Veil.Extensions.VectorData;

/// <summary>
/// A <see cref="VectorStore"/> whose collections are <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/>s
/// over the inner store's collections, all with the same client and options.
/// </summary>
/// <remarks>
/// <para>Collection management (listing, existence, deletion) passes through unchanged: collection names are not
/// encrypted. Dynamic (dictionary) collections are not supported, so that no record reaches the store unencrypted.</para>
/// <para><b>Thread safety.</b> As thread-safe as the inner store.</para>
/// </remarks>
public sealed class EncryptingVectorStore : VectorStore
{
    private readonly VectorStore _inner;
    private readonly VeilClient _client;
    private readonly EncryptingCollectionOptions _options;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The store that holds the encrypted records.</param>
    /// <param name="client">The client whose secrets encrypt (not disposed by the store).</param>
    /// <param name="options">The options of every collection.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public EncryptingVectorStore(VectorStore inner, VeilClient client, EncryptingCollectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _inner = inner;
        _client = client;
        _options = options;
    }

    /// <summary>The store that holds the encrypted records.</summary>
    public VectorStore InnerStore => _inner;

    /// <summary>An encrypting collection over the inner store's collection of the same name.</summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The record type does not fit the options (see
    /// <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/>'s constructor).</exception>
    /// <exception cref="NotSupportedException">The record type cannot be encrypted.</exception>
    public override VectorStoreCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null) =>
        new EncryptingVectorStoreCollection<TKey, TRecord>(_inner.GetCollection<TKey, TRecord>(name, definition), _client, _options, definition);

    /// <summary>Not supported: dynamic records would bypass encryption.</summary>
    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override VectorStoreCollection<object, Dictionary<string, object?>> GetDynamicCollection(string name, VectorStoreCollectionDefinition definition) =>
        throw new NotSupportedException("The encrypting vector store does not support dynamic (dictionary) collections; use a record class.");

    /// <inheritdoc/>
    public override IAsyncEnumerable<string> ListCollectionNamesAsync(CancellationToken cancellationToken = default) =>
        _inner.ListCollectionNamesAsync(cancellationToken);

    /// <inheritdoc/>
    public override Task<bool> CollectionExistsAsync(string name, CancellationToken cancellationToken = default) =>
        _inner.CollectionExistsAsync(name, cancellationToken);

    /// <inheritdoc/>
    public override Task EnsureCollectionDeletedAsync(string name, CancellationToken cancellationToken = default) =>
        _inner.EnsureCollectionDeletedAsync(name, cancellationToken);

    /// <summary>
    /// Answers this store for its own types, the <see cref="VeilClient"/> for <c>typeof(VeilClient)</c>, and forwards
    /// every other request to the inner store.
    /// </summary>
    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this
            : serviceKey is null && serviceType == typeof(VeilClient) ? _client
            : _inner.GetService(serviceType, serviceKey);
    }

    /// <summary>Disposes the inner store (not the client).</summary>
    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
