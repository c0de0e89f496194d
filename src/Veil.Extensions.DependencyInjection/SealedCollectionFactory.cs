using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Sealed;

namespace Veil.Extensions.DependencyInjection;

/// <summary>One sealed collection per tenant over the <see cref="VectorStore"/> from the service provider, made on first use.</summary>
internal sealed class SealedCollectionFactory<TKey, TRecord>(
    IServiceProvider services,
    string name,
    Func<TenantId, string> collectionName,
    Func<IServiceProvider, TenantId, EncryptingCollectionOptions> fieldOptions,
    Func<IServiceProvider, TenantId, ISealedIndexStorage> indexStorage)
    : ISealedCollectionFactory<TKey, TRecord>, IDisposable
    where TKey : notnull
    where TRecord : class
{
    private readonly PerTenant<SealedVectorStoreCollection<TKey, TRecord>> _collections = new(tenant =>
    {
        EncryptingCollectionOptions fields = fieldOptions(services, tenant);
        if (fields.Tenant != tenant)
        {
            // Options that answered with another tenant's would seal with another tenant's keys.
            throw new InvalidOperationException($"The sealed collection factory '{name}' was asked for one tenant and its field options name another; the options must use the tenant they are given.");
        }

        SealedCollectionOptions options = services.GetRequiredService<IOptionsMonitor<SealedCollectionOptions>>().Get(name);
        VectorStoreCollection<TKey, TRecord> inner = services.GetRequiredService<VectorStore>().GetCollection<TKey, TRecord>(collectionName(tenant), options.Definition);
        return services.GetRequiredService<VeilOperationsSource>().Sealed(inner, fields, indexStorage(services, tenant), options);
    });

    public SealedVectorStoreCollection<TKey, TRecord> GetCollection(TenantId tenant) => _collections.Get(tenant);

    public void Dispose() => _collections.Dispose();
}
