using System.Collections.Concurrent;
using Veil.Keys;

namespace Veil.Extensions.DependencyInjection;

/// <summary>
/// One disposable object per tenant, made on first use (once, even when several threads ask at the same time) and
/// disposed with the cache: what the per-tenant collection factories hold.
/// </summary>
internal sealed class PerTenant<T>(Func<TenantId, T> create) : IDisposable
    where T : IDisposable
{
    private readonly ConcurrentDictionary<TenantId, Lazy<T>> _items = new();

    public T Get(TenantId tenant) => _items.GetOrAdd(tenant, t => new Lazy<T>(() => create(t))).Value;

    public void Dispose()
    {
        foreach (Lazy<T> item in _items.Values)
        {
            if (item.IsValueCreated)
            {
                item.Value.Dispose();
            }
        }
    }
}
