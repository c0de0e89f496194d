using Veil.Keys;
using Veil.Sealed;

namespace Veil.Extensions.DependencyInjection;

/// <summary>
/// Sealed collections per tenant (<c>AddSealedCollectionFactory</c>): each tenant's collection seals its vectors and
/// index, and encrypts its fields, with that tenant's keys. Collections are made once per tenant and live as long as
/// the service provider.
/// </summary>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TRecord">The record type (one vector property and a string property marked [SealedVector]).</typeparam>
public interface ISealedCollectionFactory<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    /// <summary>The sealed collection of <paramref name="tenant"/> (the same object on every call for a tenant).</summary>
    /// <param name="tenant">The tenant, as the application authenticated it (never taken unchecked from a request).</param>
    /// <returns>The collection.</returns>
    /// <exception cref="InvalidOperationException">The registered field options name another tenant than <paramref name="tenant"/>, or <c>AddVeil</c> configured the key service rather than local keys.</exception>
    SealedVectorStoreCollection<TKey, TRecord> GetCollection(TenantId tenant);
}
