using System.Linq.Expressions;
using System.Numerics.Tensors;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace Veil.Testing;

/// <summary>
/// An in-memory collection for tests: brute-force search honouring the vector property's distance function, filters
/// compiled from their expressions, records copied (arrays too) on the way in and out. It records everything it
/// was given (upserts, searches, filters, the keys of every batch get), so tests can check that only ciphertext reached
/// it; <see cref="RefuseSearch"/> makes it a store that must never be asked to search (the sealed mode's).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A VectorStoreCollection.")]
public sealed class InMemoryCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    private static readonly PropertyInfo[] s_properties = typeof(TRecord).GetProperties().Where(p => p.CanRead && p.CanWrite).ToArray();
    private static readonly PropertyInfo s_key = s_properties.Single(p => p.GetCustomAttribute<VectorStoreKeyAttribute>() is not null);
    private static readonly PropertyInfo[] s_vectors = s_properties.Where(p => p.GetCustomAttribute<VectorStoreVectorAttribute>() is not null).ToArray();

    private readonly Dictionary<TKey, TRecord> _records = [];
    private readonly Lock _lock = new();

    public InMemoryCollection(string name = "test") => Name = name;

    public override string Name { get; }

    /// <summary>Every record upserted, as the collection received it.</summary>
    public List<TRecord> Upserted { get; } = [];

    /// <summary>Every search value, as received.</summary>
    public List<object> SearchValues { get; } = [];

    /// <summary>Every search's top, as received.</summary>
    public List<int> SearchTops { get; } = [];

    /// <summary>The options of every search, as received.</summary>
    public List<VectorSearchOptions<TRecord>> SearchOptions { get; } = [];

    /// <summary>Every filter, as received (search and filtered get).</summary>
    public List<Expression<Func<TRecord, bool>>> Filters { get; } = [];

    /// <summary>The keys of every batch get, one list per call.</summary>
    public List<List<TKey>> Fetches { get; } = [];

    /// <summary>Called at the start of every operation with its name; throw from it to simulate a failing store.</summary>
    public Action<string>? OnOperation { get; set; }

    /// <summary>Called after an upsert stored its records (throw to simulate a crash after the row write).</summary>
    public Action? AfterUpsert { get; set; }

    /// <summary>Gets or sets a value indicating whether a search throws (a store that must never be asked to search).</summary>
    public bool RefuseSearch { get; set; }

    public bool Exists { get; private set; }

    /// <summary>Copies of the records stored now.</summary>
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

    /// <summary>Replaces a stored record directly (to simulate tampering).</summary>
    public void Tamper(TKey key, Action<TRecord> change)
    {
        lock (_lock)
        {
            change(_records[key]);
        }
    }

    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        OnOperation?.Invoke(nameof(CollectionExistsAsync));
        return Task.FromResult(Exists);
    }

    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        OnOperation?.Invoke(nameof(EnsureCollectionExistsAsync));
        Exists = true;
        return Task.CompletedTask;
    }

    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        OnOperation?.Invoke(nameof(EnsureCollectionDeletedAsync));
        Exists = false;
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
            return Task.FromResult(_records.TryGetValue(key, out TRecord? record) ? Output(record, options?.IncludeVectors ?? false) : null);
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
            found = list.Where(_records.ContainsKey).Select(k => Output(_records[k], options?.IncludeVectors ?? false)).ToList();
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
        OnOperation?.Invoke(nameof(GetAsync));
        Filters.Add(filter);
        Func<TRecord, bool> predicate = filter.Compile();
        List<TRecord> matches;
        lock (_lock)
        {
            matches = _records.Values.Where(predicate).Skip(options?.Skip ?? 0).Take(top).Select(r => Output(r, options?.IncludeVectors ?? false)).ToList();
        }

        foreach (TRecord record in matches)
        {
            await Task.Yield();
            yield return record;
        }
    }

    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default)
    {
        OnOperation?.Invoke(nameof(DeleteAsync));
        lock (_lock)
        {
            _records.Remove(key);
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
                TRecord copy = Copy(record);
                Upserted.Add(Copy(record));
                _records[(TKey)s_key.GetValue(copy)!] = copy;
            }
        }

        AfterUpsert?.Invoke();
        return Task.CompletedTask;
    }

    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(
        TInput searchValue, int top, VectorSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        OnOperation?.Invoke(nameof(SearchAsync));
        if (RefuseSearch)
        {
            throw new InvalidOperationException("This store must never be asked to search.");
        }

        options ??= new();
        float[] query = searchValue switch
        {
            ReadOnlyMemory<float> memory => memory.ToArray(),
            float[] array => (float[])array.Clone(),
            Embedding<float> embedding => embedding.Vector.ToArray(),
            _ => throw new NotSupportedException(typeof(TInput).Name),
        };
        SearchValues.Add(query);
        SearchTops.Add(top);
        SearchOptions.Add(options);
        if (options.Filter is not null)
        {
            Filters.Add(options.Filter);
        }

        PropertyInfo vector = s_vectors.Length == 1 ? s_vectors[0]
            : s_vectors.Single(v => v.Name == ((MemberExpression)StripConvert(options.VectorProperty!.Body)).Member.Name);
        string distance = vector.GetCustomAttribute<VectorStoreVectorAttribute>()!.DistanceFunction ?? DistanceFunction.CosineSimilarity;
        bool higherIsBetter = distance is DistanceFunction.CosineSimilarity or DistanceFunction.DotProductSimilarity;
        Func<TRecord, bool> predicate = options.Filter?.Compile() ?? (_ => true);
        List<(TRecord Record, double Score)> scored;
        lock (_lock)
        {
            scored = _records.Values.Where(predicate)
                .Select(r => (r, Score(distance, Vector(vector, r), query)))
                .ToList();
        }

        IEnumerable<(TRecord Record, double Score)> ordered = higherIsBetter ? scored.OrderByDescending(s => s.Score) : scored.OrderBy(s => s.Score);
        foreach ((TRecord record, double score) in ordered.Skip(options.Skip).Take(top).ToList())
        {
            await Task.Yield();
            yield return new VectorSearchResult<TRecord>(Output(record, options.IncludeVectors), score);
        }
    }

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    internal static double Score(string distance, ReadOnlySpan<float> x, ReadOnlySpan<float> y) => distance switch
    {
        DistanceFunction.CosineSimilarity => TensorPrimitives.CosineSimilarity(x, y),
        DistanceFunction.CosineDistance => 1 - TensorPrimitives.CosineSimilarity(x, y),
        DistanceFunction.DotProductSimilarity => TensorPrimitives.Dot(x, y),
        DistanceFunction.NegativeDotProductSimilarity => -TensorPrimitives.Dot(x, y),
        DistanceFunction.EuclideanDistance => TensorPrimitives.Distance(x, y),
        DistanceFunction.EuclideanSquaredDistance => Math.Pow(TensorPrimitives.Distance(x, y), 2),
        _ => throw new NotSupportedException(distance),
    };

    private static Expression StripConvert(Expression e) => e is UnaryExpression { NodeType: ExpressionType.Convert } u ? u.Operand : e;

    private static float[] Vector(PropertyInfo property, TRecord record) => property.GetValue(record) switch
    {
        float[] array => array,
        ReadOnlyMemory<float> memory => memory.ToArray(),
        Embedding<float> embedding => embedding.Vector.ToArray(),
        _ => [],
    };

    private static TRecord Output(TRecord record, bool includeVectors)
    {
        TRecord copy = Copy(record);
        if (!includeVectors)
        {
            foreach (PropertyInfo vector in s_vectors)
            {
                vector.SetValue(copy, vector.PropertyType == typeof(ReadOnlyMemory<float>) ? (object)ReadOnlyMemory<float>.Empty : null);
            }
        }

        return copy;
    }

    private static TRecord Copy(TRecord record)
    {
        TRecord copy = Activator.CreateInstance<TRecord>();
        foreach (PropertyInfo property in s_properties)
        {
            object? value = property.GetValue(record) switch
            {
                float[] array => array.Clone(),
                byte[] bytes => bytes.Clone(),
                ReadOnlyMemory<float> memory => new ReadOnlyMemory<float>(memory.ToArray()),
                Embedding<float> embedding => new Embedding<float>(embedding.Vector.ToArray()) { AdditionalProperties = embedding.AdditionalProperties },
                var other => other,
            };
            property.SetValue(copy, value);
        }

        return copy;
    }
}

/// <summary>A store of <see cref="InMemoryCollection{TKey, TRecord}"/>s by name.</summary>
public sealed class InMemoryStore : VectorStore
{
    private readonly Dictionary<string, object> _collections = [];

    public InMemoryCollection<TKey, TRecord> Collection<TKey, TRecord>(string name)
        where TKey : notnull
        where TRecord : class =>
        (InMemoryCollection<TKey, TRecord>)(_collections.TryGetValue(name, out object? existing) ? existing : _collections[name] = new InMemoryCollection<TKey, TRecord>(name));

    public override VectorStoreCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null) =>
        Collection<TKey, TRecord>(name);

    public override VectorStoreCollection<object, Dictionary<string, object?>> GetDynamicCollection(string name, VectorStoreCollectionDefinition definition) =>
        throw new NotSupportedException();

    public override async IAsyncEnumerable<string> ListCollectionNamesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (string name in _collections.Keys.ToList())
        {
            await Task.Yield();
            yield return name;
        }
    }

    public override Task<bool> CollectionExistsAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult(_collections.ContainsKey(name));

    public override Task EnsureCollectionDeletedAsync(string name, CancellationToken cancellationToken = default)
    {
        _collections.Remove(name);
        return Task.CompletedTask;
    }

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
}
