using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Extensions.DependencyInjection;

/// <summary>One encrypting collection per tenant over the <see cref="VectorStore"/> from the service provider, made on first use.</summary>
internal sealed class EncryptedCollectionFactory<TKey, TRecord>(
    IServiceProvider services, string name, Func<TenantId, string> collectionName, Func<IServiceProvider, TenantId, EncryptingCollectionOptions> options)
    : IEncryptedCollectionFactory<TKey, TRecord>, IDisposable
    where TKey : notnull
    where TRecord : class
{
    private readonly PerTenant<VectorStoreCollection<TKey, TRecord>> _collections = new(tenant =>
    {
        EncryptingCollectionOptions settings = options(services, tenant);
        if (settings.Tenant != tenant)
        {
            // A factory that answered with another tenant's options would hand out another tenant's keys.
            throw new InvalidOperationException($"The encrypted collection factory '{name}' was asked for one tenant and its options name another; the options must use the tenant they are given.");
        }

        VectorStoreCollection<TKey, TRecord> inner = services.GetRequiredService<VectorStore>().GetCollection<TKey, TRecord>(collectionName(tenant));
        return services.GetRequiredService<VeilOperationsSource>().Encrypting(inner, settings);
    });

    public VectorStoreCollection<TKey, TRecord> GetCollection(TenantId tenant) => _collections.Get(tenant);

    public void Dispose() => _collections.Dispose();
}
