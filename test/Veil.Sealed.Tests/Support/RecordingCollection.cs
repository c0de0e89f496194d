using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData;

namespace Veil.Sealed.Tests.Support;

/// <summary>
/// An in-memory collection without search (the sealed collection never asks the store to search): records are copied
/// in and out, and every key fetched is recorded, so tests see exactly what the store saw.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A VectorStoreCollection.")]
public sealed class RecordingCollection<TKey, TRecord>(string name = "docs") : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    private static readonly PropertyInfo s_key = typeof(TRecord).GetProperties().Single(p => p.GetCustomAttribute<VectorStoreKeyAttribute>() is not null);
    private static readonly Func<object, object> s_clone = typeof(object)
        .GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!.CreateDelegate<Func<object, object>>();

    private readonly Dictionary<TKey, TRecord> _records = [];
    private readonly Lock _lock = new();

    public override string Name { get; } = name;

    /// <summary>Every upserted record as received.</summary>
    public List<TRecord> Upserted { get; } = [];

    /// <summary>The keys of every batch get, one list per call.</summary>
    public List<List<TKey>> Fetches { get; } = [];

    /// <summary>Called at the start of every operation with its name (throw to simulate a failing store).</summary>
    public Action<string>? OnOperation { get; set; }

    /// <summary>Called after an upsert stored its records (throw to simulate a crash after the row write).</summary>
    public Action? AfterUpsert { get; set; }

    public IReadOnlyList<TRecord> Stored
    {
        get
        {
            lock (_lock)
            {
                return _records.Values.Select(Copy).ToList();
            }
        }
    }

    public void Tamper(TKey key, Action<TRecord> change)
    {
        lock (_lock)
        {
            change(_records[key]);
        }
    }

    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);

    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _records.Clear();
        }

        return Task.CompletedTask;
    }

    public override Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        OnOperation?.Invoke(nameof(GetAsync));
        lock (_lock)
        {
            return Task.FromResult(_records.TryGetValue(key, out TRecord? r) ? Copy(r) : null);
        }
    }

    public override async IAsyncEnumerable<TRecord> GetAsync(
        IEnumerable<TKey> keys, RecordRetrievalOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        OnOperation?.Invoke(nameof(GetAsync));
        List<TKey> list = keys.ToList();
        List<TRecord> found;
        lock (_lock)
        {
            Fetches.Add(list);
            found = list.Where(_records.ContainsKey).Select(k => Copy(_records[k])).ToList();
        }

        foreach (TRecord record in found)
        {
            await Task.Yield();
            yield return record;
        }
    }

    public override async IAsyncEnumerable<TRecord> GetAsync(
        Expression<Func<TRecord, bool>> filter, int top, FilteredRecordRetrievalOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Func<TRecord, bool> predicate = filter.Compile();
        List<TRecord> found;
        lock (_lock)
        {
            found = _records.Values.Where(predicate).Skip(options?.Skip ?? 0).Take(top).Select(Copy).ToList();
        }

        foreach (TRecord record in found)
        {
            await Task.Yield();
            yield return record;
        }
    }

    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default) => DeleteAsync([key], cancellationToken);

    public override Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        OnOperation?.Invoke(nameof(DeleteAsync));
        lock (_lock)
        {
            foreach (TKey key in keys)
            {
                _records.Remove(key);
            }
        }

        return Task.CompletedTask;
    }

    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default) => UpsertAsync([record], cancellationToken);

    public override Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        OnOperation?.Invoke(nameof(UpsertAsync));
        lock (_lock)
        {
            foreach (TRecord record in records)
            {
                Upserted.Add(Copy(record));
                _records[(TKey)s_key.GetValue(record)!] = Copy(record);
            }
        }

        AfterUpsert?.Invoke();
        return Task.CompletedTask;
    }

    public override IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(
        TInput searchValue, int top, VectorSearchOptions<TRecord>? options = null, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("The sealed collection must never ask the store to search.");

    public override object? GetService(Type serviceType, object? serviceKey = null) => null;

    private static TRecord Copy(TRecord record) => (TRecord)s_clone(record);
}
