using Microsoft.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Extensions.DependencyInjection;

/// <summary>
/// Encrypted collections per tenant (<c>AddEncryptedCollectionFactory</c>): each tenant's collection encrypts with that
/// tenant's keys. Collections are made once per tenant and live as long as the service provider.
/// </summary>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TRecord">The record type.</typeparam>
public interface IEncryptedCollectionFactory<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    /// <summary>The encrypted collection of <paramref name="tenant"/> (the same object on every call for a tenant).</summary>
    /// <param name="tenant">The tenant, as the application authenticated it (never taken unchecked from a request).</param>
    /// <returns>The collection.</returns>
    /// <exception cref="InvalidOperationException">The registered options name another tenant than <paramref name="tenant"/>.</exception>
    VectorStoreCollection<TKey, TRecord> GetCollection(TenantId tenant);
}
