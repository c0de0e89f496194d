using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.DependencyInjection;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Sealed;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers sealed collections (<see cref="SealedVectorStoreCollection{TKey, TRecord}"/>: vectors sealed, the index
/// held and persisted sealed by the key holder, fields encrypted) after <c>AddVeil</c>, as
/// <see cref="VeilServiceCollectionExtensions"/> does for DCPE: one collection by name, or one per tenant from a factory.
/// </summary>
/// <remarks>
/// <para>A sealed collection needs local keys (<c>Veil:Keys</c>): the standard secrets seal vectors and index, the
/// deterministic secrets its fields name encrypt filterable fields. No vector (DCPE) secret is needed; the field options
/// are <see cref="EncryptingCollectionOptions.FieldsOnly"/>. With the key service (<c>Veil:ServiceUrl</c>) resolving
/// the collection throws <see cref="InvalidOperationException"/>.</para>
/// <para>The <see cref="SealedCollectionOptions"/> are named options (the collection's name), bound from
/// <c>settings</c> when given and validated when the host starts (<see cref="SealedCollectionOptionsValidator"/>).
/// Where the index is persisted is the application's choice (<see cref="ISealedIndexStorage"/>: a directory, the
/// store, …), resolved when the collection is made.</para>
/// </remarks>
public static class SealedServiceCollectionExtensions
{
    /// <summary>
    /// Adds a sealed collection over the collection <paramref name="name"/> of the <see cref="VectorStore"/> in the
    /// service provider (or over <paramref name="inner"/>), resolvable as
    /// <see cref="SealedVectorStoreCollection{TKey, TRecord}"/> and <see cref="VectorStoreCollection{TKey, TRecord}"/>
    /// (keyed by <paramref name="name"/>, and unkeyed for the first one registered for the record type).
    /// </summary>
    /// <typeparam name="TKey">The record key type: string, Guid, int or long.</typeparam>
    /// <typeparam name="TRecord">The record type: one vector property and a string property marked [SealedVector].</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The collection's name in the store, its service key and its options' name.</param>
    /// <param name="fieldOptions">The field encryption: <see cref="EncryptingCollectionOptions.FieldsOnly"/> with the tenant and deterministic secret path.</param>
    /// <param name="indexStorage">Where the sealed index is persisted.</param>
    /// <param name="settings">The <see cref="SealedCollectionOptions"/> to bind (for example <c>configuration.GetSection("Veil:Sealed:docs")</c>); null for the defaults.</param>
    /// <param name="inner">The collection that stores the sealed records; null: the store's collection <paramref name="name"/>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSealedVectorStoreCollection<TKey, TRecord>(
        this IServiceCollection services,
        string name,
        Func<IServiceProvider, EncryptingCollectionOptions> fieldOptions,
        Func<IServiceProvider, ISealedIndexStorage> indexStorage,
        IConfiguration? settings = null,
        Func<IServiceProvider, VectorStoreCollection<TKey, TRecord>>? inner = null)
        where TKey : notnull
        where TRecord : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(fieldOptions);
        ArgumentNullException.ThrowIfNull(indexStorage);
        AddOptions(services, name, settings);
        services.AddKeyedSingleton<SealedVectorStoreCollection<TKey, TRecord>>(name, (provider, _) =>
        {
            SealedCollectionOptions options = provider.GetRequiredService<IOptionsMonitor<SealedCollectionOptions>>().Get(name);
            VectorStoreCollection<TKey, TRecord> stored = inner?.Invoke(provider)
                ?? provider.GetRequiredService<VectorStore>().GetCollection<TKey, TRecord>(name, options.Definition);
            return provider.GetRequiredService<VeilOperationsSource>().Sealed(stored, fieldOptions(provider), indexStorage(provider), options);
        });
        services.AddKeyedSingleton<VectorStoreCollection<TKey, TRecord>>(name, (provider, key) => provider.GetRequiredKeyedService<SealedVectorStoreCollection<TKey, TRecord>>(key));
        services.TryAddSingleton(provider => provider.GetRequiredKeyedService<SealedVectorStoreCollection<TKey, TRecord>>(name));
        services.TryAddSingleton<VectorStoreCollection<TKey, TRecord>>(provider => provider.GetRequiredKeyedService<SealedVectorStoreCollection<TKey, TRecord>>(name));
        return services;
    }

    /// <summary>
    /// Adds <see cref="ISealedCollectionFactory{TKey, TRecord}"/>: one sealed collection per tenant over the
    /// <see cref="VectorStore"/> in the service provider, each with its own index.
    /// </summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TRecord">The record type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The options' name, and the collection name unless <paramref name="collectionName"/> says otherwise.</param>
    /// <param name="fieldOptions">The field options of a tenant (<see cref="EncryptingCollectionOptions.FieldsOnly"/>); they must use that tenant.</param>
    /// <param name="indexStorage">Where a tenant's sealed index is persisted (one per tenant: each tenant's index is sealed with its own keys).</param>
    /// <param name="collectionName">The store collection of a tenant (for example <c>t =&gt; $"docs_{t}"</c>); null: <paramref name="name"/> for all,
    /// which needs <see cref="EncryptingCollectionOptions.TenantProperty"/> in the field options.</param>
    /// <param name="settings">The <see cref="SealedCollectionOptions"/> shared by the tenants, to bind; null for the defaults.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSealedCollectionFactory<TKey, TRecord>(
        this IServiceCollection services,
        string name,
        Func<IServiceProvider, TenantId, EncryptingCollectionOptions> fieldOptions,
        Func<IServiceProvider, TenantId, ISealedIndexStorage> indexStorage,
        Func<TenantId, string>? collectionName = null,
        IConfiguration? settings = null)
        where TKey : notnull
        where TRecord : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(fieldOptions);
        ArgumentNullException.ThrowIfNull(indexStorage);
        AddOptions(services, name, settings);
        services.TryAddSingleton<ISealedCollectionFactory<TKey, TRecord>>(provider =>
            new SealedCollectionFactory<TKey, TRecord>(provider, name, collectionName ?? (_ => name), fieldOptions, indexStorage));
        return services;
    }

    private static void AddOptions(IServiceCollection services, string name, IConfiguration? settings)
    {
        OptionsBuilder<SealedCollectionOptions> options = services.AddOptions<SealedCollectionOptions>(name);
        if (settings is not null)
        {
            options.Bind(settings);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SealedCollectionOptions>, SealedCollectionOptionsValidator>());
    }
}
