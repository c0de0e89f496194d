using Microsoft.Extensions.VectorData;

namespace Veil.Extensions.VectorData;

/// <summary>
/// A <see cref="VectorStore"/> whose collections are <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/>s
/// over the inner store's collections, all with the same key operations and options.
/// </summary>
/// <remarks>
/// <para>Collection management (listing, existence, deletion) passes through unchanged: collection names are not
/// encrypted. Dynamic (dictionary) collections are encrypted as record classes are, the protected properties named by
/// the options; a vector property whose input MEVD's embedding generator embeds (for example a <c>string</c>) is
/// stored in the inner collection as the encrypted <c>ReadOnlyMemory&lt;float&gt;</c>.</para>
/// <para><b>Thread safety.</b> As thread-safe as the inner store.</para>
/// </remarks>
public sealed class EncryptingVectorStore : VectorStore
{
    private readonly VectorStore _inner;
    private readonly VeilClient? _client;
    private readonly IVeilOperations _operations;
    private readonly EncryptingCollectionOptions _options;

    /// <summary>Wraps <paramref name="inner"/>, encrypting through <paramref name="operations"/>.</summary>
    /// <param name="inner">The store that holds the encrypted records.</param>
    /// <param name="operations">Local keys or the key service's client (not disposed by the store).</param>
    /// <param name="options">The options of every collection.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public EncryptingVectorStore(VectorStore inner, IVeilOperations operations, EncryptingCollectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(options);
        _inner = inner;
        _operations = operations;
        _options = options;
    }

    /// <summary>Wraps <paramref name="inner"/>, encrypting with a local <paramref name="client"/>'s keys.</summary>
    /// <param name="inner">The store that holds the encrypted records.</param>
    /// <param name="client">The client whose secrets encrypt (not disposed by the store).</param>
    /// <param name="options">The options of every collection.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public EncryptingVectorStore(VectorStore inner, VeilClient client, EncryptingCollectionOptions options)
        : this(inner, new LocalVeilOperations(client ?? throw new ArgumentNullException(nameof(client))), options)
    {
        _client = client;
    }

    /// <summary>The store that holds the encrypted records.</summary>
    public VectorStore InnerStore => _inner;

    /// <summary>An encrypting collection over the inner store's collection of the same name.</summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The record type does not fit the options (see
    /// <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/>'s constructor).</exception>
    /// <exception cref="NotSupportedException">The record type cannot be encrypted.</exception>
    public override VectorStoreCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null) =>
        Encrypting(_inner.GetCollection<TKey, TRecord>(name, definition), definition);

    /// <summary>An encrypting collection of dynamic records over the inner store's dynamic collection of the same name.</summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The definition does not fit the options.</exception>
    /// <exception cref="NotSupportedException">The records cannot be encrypted.</exception>
    public override VectorStoreCollection<object, Dictionary<string, object?>> GetDynamicCollection(string name, VectorStoreCollectionDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Encrypting(_inner.GetDynamicCollection(name, StoredDefinition(definition)), definition);
    }

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
    /// Answers this store for its own types and forwards every other request to the inner store, except for key
    /// holders (<see cref="VeilClient"/>, <see cref="IVeilOperations"/> and its parts), which are never returned.
    /// </summary>
    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return KeyHolders.IsKeyHolder(serviceType) ? null
            : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
            : _inner.GetService(serviceType, serviceKey);
    }

    /// <summary>
    /// The definition the inner store gets: the same, except that a vector property whose input a generator embeds
    /// holds the encrypted <c>ReadOnlyMemory&lt;float&gt;</c>, and no generator (the decorator embeds before it encrypts).
    /// </summary>
    private static VectorStoreCollectionDefinition StoredDefinition(VectorStoreCollectionDefinition definition) => new()
    {
        Properties = definition.Properties.Select(property => property is VectorStoreVectorProperty { Type: { } type } vector && !VectorField.IsNative(type)
            ? new VectorStoreVectorProperty(vector.Name, typeof(ReadOnlyMemory<float>), vector.Dimensions)
            {
                DistanceFunction = vector.DistanceFunction,
                IndexKind = vector.IndexKind,
                StorageName = vector.StorageName,
            }
            : property).ToList(),
    };

    private EncryptingVectorStoreCollection<TKey, TRecord> Encrypting<TKey, TRecord>(VectorStoreCollection<TKey, TRecord> inner, VectorStoreCollectionDefinition? definition)
        where TKey : notnull
        where TRecord : class =>
        _client is not null
            ? new EncryptingVectorStoreCollection<TKey, TRecord>(inner, _client, _options, definition)
            : new EncryptingVectorStoreCollection<TKey, TRecord>(inner, _operations, _options, definition);

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
