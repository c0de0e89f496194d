using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.VectorData;
using Veil;
using Veil.Extensions.DependencyInjection;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers Veil in a service collection: <c>services.AddVeil(configuration.GetSection("Veil"))</c> for
/// <see cref="IVeilOperations"/> (local keys or the key service), then encrypted collections
/// (<see cref="AddEncryptedVectorStoreCollection{TKey, TRecord}(IServiceCollection, string, Func{IServiceProvider, EncryptingCollectionOptions}, Func{IServiceProvider, VectorStoreCollection{TKey, TRecord}}?)"/>)
/// and per-tenant factories (<see cref="AddEncryptedCollectionFactory{TKey, TRecord}"/>).
/// </summary>
/// <remarks>
/// Only <see cref="IVeilOperations"/> and the collections are resolvable: no key, keyset, <see cref="VeilClient"/> or
/// configuration holding secrets is registered. The options are validated, and the keys loaded, when the host starts.
/// </remarks>
public static class VeilServiceCollectionExtensions
{
    /// <summary>Adds <see cref="IVeilOperations"/>, bound from a configuration section (usually <see cref="VeilOptions.SectionName"/>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section: <c>{"Keys":{"KeysetPath":…}}</c> or <c>{"ServiceUrl":…,"ApiKey":…}</c>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddVeil(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<VeilOptions>().Bind(configuration).ValidateOnStart();
        return AddCore(services);
    }

    /// <summary>Adds <see cref="IVeilOperations"/>, configured in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddVeil(this IServiceCollection services, Action<VeilOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<VeilOptions>().Configure(configure).ValidateOnStart();
        return AddCore(services);
    }

    /// <summary>
    /// Adds an encrypted collection: an <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/> over the collection
    /// <paramref name="name"/> of the <see cref="VectorStore"/> in the service provider (or over <paramref name="inner"/>),
    /// resolvable as <see cref="VectorStoreCollection{TKey, TRecord}"/> (keyed by <paramref name="name"/>, and unkeyed
    /// for the first one registered for the record type).
    /// </summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TRecord">The record type (with Veil's and MEVD's attributes).</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The collection's name in the store, and its service key.</param>
    /// <param name="options">The encryption options (secret paths, tenant, …).</param>
    /// <param name="inner">The collection that stores the ciphertexts; null: the store's collection <paramref name="name"/>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddEncryptedVectorStoreCollection<TKey, TRecord>(
        this IServiceCollection services,
        string name,
        Func<IServiceProvider, EncryptingCollectionOptions> options,
        Func<IServiceProvider, VectorStoreCollection<TKey, TRecord>>? inner = null)
        where TKey : notnull
        where TRecord : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        services.AddKeyedSingleton<VectorStoreCollection<TKey, TRecord>>(name, (provider, _) =>
        {
            VectorStoreCollection<TKey, TRecord> stored = inner?.Invoke(provider) ?? provider.GetRequiredService<VectorStore>().GetCollection<TKey, TRecord>(name);
            return provider.GetRequiredService<VeilOperationsSource>().Encrypting(stored, options(provider));
        });
        services.TryAddSingleton<VectorStoreCollection<TKey, TRecord>>(provider => provider.GetRequiredKeyedService<VectorStoreCollection<TKey, TRecord>>(name));
        return services;
    }

    /// <summary>Adds an encrypted collection with fixed options (see the overload taking a factory).</summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TRecord">The record type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The collection's name in the store, and its service key.</param>
    /// <param name="options">The encryption options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddEncryptedVectorStoreCollection<TKey, TRecord>(this IServiceCollection services, string name, EncryptingCollectionOptions options)
        where TKey : notnull
        where TRecord : class
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddEncryptedVectorStoreCollection<TKey, TRecord>(name, _ => options);
    }

    /// <summary>
    /// Adds <see cref="IEncryptedCollectionFactory{TKey, TRecord}"/>: one encrypted collection per tenant, over the
    /// <see cref="VectorStore"/> in the service provider.
    /// </summary>
    /// <typeparam name="TKey">The record key type.</typeparam>
    /// <typeparam name="TRecord">The record type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The collection name (shared by the tenants unless <paramref name="collectionName"/> says otherwise).</param>
    /// <param name="options">The encryption options for a tenant; they must use that tenant. With one collection shared by
    /// tenants, set <see cref="EncryptingCollectionOptions.TenantProperty"/> so each tenant reads only its rows.</param>
    /// <param name="collectionName">The store collection of a tenant (for example <c>t =&gt; $"docs_{t}"</c>); null: <paramref name="name"/> for all.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddEncryptedCollectionFactory<TKey, TRecord>(
        this IServiceCollection services,
        string name,
        Func<IServiceProvider, TenantId, EncryptingCollectionOptions> options,
        Func<TenantId, string>? collectionName = null)
        where TKey : notnull
        where TRecord : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton<IEncryptedCollectionFactory<TKey, TRecord>>(provider =>
            new EncryptedCollectionFactory<TKey, TRecord>(provider, name, collectionName ?? (_ => name), options));
        return services;
    }

    private static IServiceCollection AddCore(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VeilOptions>, VeilOptionsValidator>());
        services.TryAddSingleton<VeilOperationsSource>();
        services.TryAddSingleton(provider => provider.GetRequiredService<VeilOperationsSource>().Operations);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, VeilStartup>());
        return services;
    }
}
