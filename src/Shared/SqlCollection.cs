using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Stores.Sql;

// This file is compiled into both store assemblies. A public base must live in each store's own namespace: one public
// type name defined in two packages that an application references together would be ambiguous. (SqlVectorStore.cs too.)
// The store's collection type is named as MEVD connectors name theirs, so the naming rule is suppressed for it here.
#if VEIL_STORE_DUCKDB
[assembly: SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Scope = "type", Target = "~T:Veil.Stores.DuckDb.DuckDbCollection`2", Justification = "As SqlCollection.")]

namespace Veil.Stores.DuckDb;
#elif VEIL_STORE_POSTGRES
[assembly: SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Scope = "type", Target = "~T:Veil.Stores.Postgres.PostgresCollection`2", Justification = "As SqlCollection.")]

namespace Veil.Stores.Postgres;
#else
#error Define VEIL_STORE_DUCKDB or VEIL_STORE_POSTGRES in the store project that links this file.
#endif

/// <summary>
/// What a SQL store's collection shares with the other SQL stores: one table per collection, the key as its primary
/// key; get by key, keys or filter, delete, and the search skeleton (argument checks, query vector, MEVD scores).
/// The store supplies its dialect, connections and error mapping, the search statement, the bulk upsert and the DDL.
/// </summary>
/// <typeparam name="TKey">The key type: <see cref="string"/>, <see cref="int"/>, <see cref="long"/> or <see cref="Guid"/> (or <see cref="object"/> for dynamic collections).</typeparam>
/// <typeparam name="TRecord">The record type, described by MEVD attributes or a <see cref="VectorStoreCollectionDefinition"/>.</typeparam>
/// <typeparam name="TConnection">The store's ADO.NET connection type.</typeparam>
/// <remarks>
/// <para>
/// <b>Writes.</b> An upsert runs in one transaction: a failure anywhere (a null key, a vector of the wrong dimension,
/// a database error) rolls the whole batch back. When a batch repeats a key, the last record wins.
/// </para>
/// <para>
/// <b>Types.</b> <see cref="DateTimeOffset"/> values come back in UTC (the same instant, at microsecond precision).
/// Database errors surface as <see cref="VectorStoreException"/> with the MEVD metadata.
/// </para>
/// <para><b>Thread safety:</b> instances are safe for concurrent use; each operation uses its own connection.</para>
/// <para>Only the store's own collection type derives from this class.</para>
/// </remarks>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "MEVD names its collection type VectorStoreCollection; connectors follow (PostgresCollection, SqliteCollection).")]
public abstract class SqlCollection<TKey, TRecord, TConnection> : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
    where TConnection : DbConnection
{
    private readonly VectorStoreCollectionMetadata _metadata;

    // The by-key statements never change: made on first use, not per call ([0] without vectors, [1] with).
    private readonly string?[] _getByKeySql = new string?[2];
    private readonly string?[] _getByKeysSql = new string?[2];
    private string? _deleteByKeySql;
    private string? _deleteByKeysSql;

    private protected SqlCollection(SqlDialect dialect, string storeName, string name, string table, CollectionModel model)
    {
        Dialect = dialect;
        Name = name;
        Table = table;
        Model = model;
        KeyColumn = dialect.Quote(model.KeyProperty.StorageName);
        KeySqlType = dialect.ColumnType(model.KeyProperty);
        _metadata = new VectorStoreCollectionMetadata
        {
            VectorStoreSystemName = dialect.SystemName,
            VectorStoreName = storeName,
            CollectionName = name,
        };
    }

    /// <inheritdoc />
    public override string Name { get; }

    private protected SqlDialect Dialect { get; }

    private protected CollectionModel Model { get; }

    /// <summary>Gets the quoted (and, where the store has schemas, qualified) table name.</summary>
    private protected string Table { get; }

    private protected string KeyColumn { get; }

    private protected string KeySqlType { get; }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ExecuteAsync("EnsureCollectionDeleted", "DROP TABLE IF EXISTS " + Table, [], cancellationToken);
    }

    /// <inheritdoc />
    public override async Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var includeVectors = options?.IncludeVectors ?? false;
        var parameters = new List<DbParameter>(1);
        Dialect.AddParameter(parameters, key);
        var sql = _getByKeySql[includeVectors ? 1 : 0] ??= $"SELECT {SelectList(includeVectors)} FROM {Table} WHERE {KeyIsFirstParameter()}";
        var records = await QueryAsync("Get", sql, parameters, includeVectors, withScore: false, cancellationToken).ConfigureAwait(false);
        return records.Count == 0 ? null : records[0].Record;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TRecord> GetAsync(
        IEnumerable<TKey> keys,
        RecordRetrievalOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        cancellationToken.ThrowIfCancellationRequested();
        var keyList = keys.Cast<object>().ToList();
        if (keyList.Count == 0)
        {
            yield break;
        }

        var includeVectors = options?.IncludeVectors ?? false;
        var parameters = new List<DbParameter>(1);
        Dialect.AddParameter(parameters, KeyArray(keyList));
        var sql = _getByKeysSql[includeVectors ? 1 : 0] ??= $"SELECT {SelectList(includeVectors)} FROM {Table} WHERE {KeyInFirstParameter()}";
        var records = await QueryAsync("Get", sql, parameters, includeVectors, withScore: false, cancellationToken).ConfigureAwait(false);
        foreach (var (record, _) in records)
        {
            yield return record;
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TRecord> GetAsync(
        Expression<Func<TRecord, bool>> filter,
        int top,
        FilteredRecordRetrievalOptions<TRecord>? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new FilteredRecordRetrievalOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip);
        cancellationToken.ThrowIfCancellationRequested();

        var parameters = new List<DbParameter>();
        var sql = new StringBuilder("SELECT ").Append(SelectList(options.IncludeVectors))
            .Append(" FROM ").Append(Table).Append(" WHERE ").Append(Filter(filter, parameters)).Append(" ORDER BY ");
        if (options.OrderBy is { } orderBy)
        {
            foreach (var sort in orderBy(new FilteredRecordRetrievalOptions<TRecord>.OrderByDefinition()).Values)
            {
                var property = Model.GetDataOrKeyProperty(sort.PropertySelector);
                sql.Append(Dialect.Quote(property.StorageName)).Append(sort.Ascending ? " ASC, " : " DESC, ");
            }
        }

        sql.Append(KeyColumn).Append(CultureInfo.InvariantCulture, $" LIMIT {top} OFFSET {options.Skip}");
        var records = await QueryAsync("Get", sql.ToString(), parameters, options.IncludeVectors, withScore: false, cancellationToken).ConfigureAwait(false);
        foreach (var (record, _) in records)
        {
            yield return record;
        }
    }

    /// <inheritdoc />
    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var parameters = new List<DbParameter>(1);
        Dialect.AddParameter(parameters, key);
        return ExecuteAsync("Delete", _deleteByKeySql ??= $"DELETE FROM {Table} WHERE {KeyIsFirstParameter()}", parameters, cancellationToken);
    }

    /// <inheritdoc />
    public override Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        cancellationToken.ThrowIfCancellationRequested();
        var keyList = keys.Cast<object>().ToList();
        if (keyList.Count == 0)
        {
            return Task.CompletedTask;
        }

        return ExecuteAsync("Delete", DeleteKeysSql(out var parameters, keyList), parameters, cancellationToken);
    }

    /// <inheritdoc />
    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return UpsertAsync([record], cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The query vector's dimension differs from the vector property's.</exception>
    /// <exception cref="NotSupportedException">The input is not a vector and no embedding generator is configured.</exception>
    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(
        TInput searchValue,
        int top,
        VectorSearchOptions<TRecord>? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new VectorSearchOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip);

        var vectorProperty = Model.GetVectorPropertyOrSingle(options);
        var query = await VectorValues.ToQueryVectorAsync(searchValue, vectorProperty, cancellationToken).ConfigureAwait(false);
        if (query.Length != vectorProperty.Dimensions)
        {
            throw new ArgumentException(
                $"The query vector has {query.Length} dimensions; vector property '{vectorProperty.ModelName}' has {vectorProperty.Dimensions}.",
                nameof(searchValue));
        }

        var results = await SearchNearestAsync(query, top, options, vectorProperty, cancellationToken).ConfigureAwait(false);
        foreach (var (record, score) in results)
        {
            yield return new VectorSearchResult<TRecord>(record, score);
        }
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(VectorStoreCollectionMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on a connection of the store, turning database errors into
    /// <see cref="VectorStoreException"/> (see <see cref="StoreError"/>).
    /// </summary>
    /// <remarks><paramref name="state"/> lets the shared paths pass a static lambda (no closure per call).</remarks>
    private protected abstract ValueTask<T> RunAsync<TState, T>(
        string operationName, TState state, Func<TConnection, TState, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="operation"/> on a connection of the store (see the other overload).</summary>
    private protected ValueTask<T> RunAsync<T>(string operationName, Func<TConnection, ValueTask<T>> operation, CancellationToken cancellationToken) =>
        RunAsync(operationName, operation, static (connection, operation, _) => operation(connection), cancellationToken);

    /// <summary>
    /// Finds the <paramref name="top"/> records nearest to <paramref name="query"/> after <see cref="VectorSearchOptions{TRecord}.Skip"/>,
    /// best first, with their MEVD scores; the arguments are checked.
    /// </summary>
    private protected abstract ValueTask<List<(TRecord Record, double? Score)>> SearchNearestAsync(
        float[] query, int top, VectorSearchOptions<TRecord> options, VectorPropertyModel vectorProperty, CancellationToken cancellationToken);

    /// <summary>A <see cref="VectorStoreException"/> about this collection, with the MEVD metadata.</summary>
    private protected VectorStoreException StoreError(string operationName, string message, Exception? inner) => new(message, inner)
    {
        OperationName = operationName,
        VectorStoreSystemName = _metadata.VectorStoreSystemName,
        VectorStoreName = _metadata.VectorStoreName,
        CollectionName = Name,
    };

    /// <summary>The quoted columns of the properties a query returns, in model order.</summary>
    private protected string SelectList(bool includeVectors) => string.Join(", ", Model.Properties
        .Where(p => includeVectors || p is not VectorPropertyModel)
        .Select(p => Dialect.Quote(p.StorageName)));

    /// <summary>Translates an MEVD filter into a predicate, adding its values to <paramref name="parameters"/>.</summary>
    /// <exception cref="NotSupportedException">The filter uses an operator or method the store cannot translate.</exception>
    private protected string Filter(LambdaExpression filter, List<DbParameter> parameters) =>
        SqlFilterTranslator.Translate(filter, Model, Dialect, parameters);

    /// <summary><c>DELETE</c> of the rows with the given keys, and its one parameter.</summary>
    private protected string DeleteKeysSql(out List<DbParameter> parameters, ICollection<object> keys)
    {
        parameters = new List<DbParameter>(1);
        Dialect.AddParameter(parameters, KeyArray(keys));
        return _deleteByKeysSql ??= $"DELETE FROM {Table} WHERE {KeyInFirstParameter()}";
    }

    /// <summary>
    /// The key of record <paramref name="index"/> of an upsert batch; an empty <see cref="Guid"/> key is replaced with a
    /// new one (MEVD's auto-generated keys), on the record itself.
    /// </summary>
    /// <exception cref="ArgumentNullException">The record is null (named <paramref name="paramName"/>).</exception>
    /// <exception cref="ArgumentException">The record has a null key.</exception>
    private protected object KeyOf(TRecord record, int index, string paramName)
    {
        ArgumentNullException.ThrowIfNull(record, paramName);
        var key = Model.KeyProperty.GetValueAsObject(record)
            ?? throw new ArgumentException($"Record {index} of the batch has a null key.", paramName);
        if (Model.KeyProperty.IsAutoGenerated && key is Guid guid && guid == Guid.Empty)
        {
            // MEVD's auto-generated Guid keys: generated here, and set on the caller's record.
            key = Guid.NewGuid();
            Model.KeyProperty.SetValueAsObject(record, key);
        }

        return key;
    }

    /// <summary>
    /// Reads <paramref name="records"/> in chunks of up to <paramref name="maxKeys"/> distinct keys, each in input order
    /// with the last record of a repeated key in the place of the first (so the last record with a key wins). An empty
    /// <see cref="Guid"/> key is replaced with a new one (MEVD's auto-generated keys), on the record itself.
    /// </summary>
    /// <exception cref="ArgumentNullException">A record is null.</exception>
    /// <exception cref="ArgumentException">A record has a null key.</exception>
    private protected IEnumerable<Dictionary<object, TRecord>> DistinctKeyChunks(IEnumerable<TRecord> records, int maxKeys)
    {
        var chunk = new Dictionary<object, TRecord>();
        var index = 0;
        foreach (var record in records)
        {
            chunk[KeyOf(record, index, nameof(records))] = record;
            index++;
            if (chunk.Count == maxKeys)
            {
                yield return chunk;
                chunk = [];
            }
        }

        if (chunk.Count != 0)
        {
            yield return chunk;
        }
    }

    /// <summary>Runs a query on its own connection and reads the records (and, with <paramref name="withScore"/>, the score column after them).</summary>
    private protected ValueTask<List<(TRecord Record, double? Score)>> QueryAsync(
        string operationName, string sql, List<DbParameter> parameters, bool includeVectors, bool withScore, CancellationToken cancellationToken) =>
        RunAsync(
            operationName,
            (Collection: this, Sql: sql, Parameters: parameters, IncludeVectors: includeVectors, WithScore: withScore),
            static (connection, query, cancellationToken) =>
                query.Collection.QueryAsync(connection, query.Sql, query.Parameters, query.IncludeVectors, query.WithScore, cancellationToken),
            cancellationToken);

    /// <summary>Runs a query on <paramref name="connection"/> and reads the records.</summary>
    private protected async ValueTask<List<(TRecord Record, double? Score)>> QueryAsync(
        TConnection connection, string sql, List<DbParameter> parameters, bool includeVectors, bool withScore, CancellationToken cancellationToken)
    {
        using var command = Command(connection, sql, parameters);
        var reader = await Dialect.ExecuteReaderAsync(command, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await ReadRecordsAsync(reader, includeVectors, withScore, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the rows of <paramref name="reader"/>'s current result as records.</summary>
    private protected async ValueTask<List<(TRecord Record, double? Score)>> ReadRecordsAsync(
        DbDataReader reader, bool includeVectors, bool withScore, CancellationToken cancellationToken)
    {
        var properties = Model.Properties.Where(p => includeVectors || p is not VectorPropertyModel).ToArray();
        var results = new List<(TRecord, double?)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = Model.CreateRecord<TRecord>();
            for (var i = 0; i < properties.Length; i++)
            {
                if (!reader.IsDBNull(i))
                {
                    properties[i].SetValueAsObject(record, Dialect.ReadValue(reader, i, properties[i]));
                }
                else if (record is Dictionary<string, object?> dynamic)
                {
                    // A dynamic record keeps its NULL properties (MEVD: every property of the definition is present).
                    dynamic[properties[i].ModelName] = null;
                }
            }

            double? score = withScore && !reader.IsDBNull(properties.Length) ? Dialect.ReadScore(reader, properties.Length) : null;
            results.Add((record, score));
        }

        return results;
    }

    /// <summary>Runs a statement on <paramref name="connection"/>.</summary>
    private protected async ValueTask<int> ExecuteAsync(TConnection connection, string sql, List<DbParameter> parameters, CancellationToken cancellationToken)
    {
        using var command = Command(connection, sql, parameters);
        return await Dialect.ExecuteNonQueryAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private static DbCommand Command(TConnection connection, string sql, List<DbParameter> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private async Task ExecuteAsync(string operationName, string sql, List<DbParameter> parameters, CancellationToken cancellationToken) =>
        await RunAsync(
            operationName,
            (Collection: this, Sql: sql, Parameters: parameters),
            static (connection, statement, cancellationToken) => statement.Collection.ExecuteAsync(connection, statement.Sql, statement.Parameters, cancellationToken),
            cancellationToken).ConfigureAwait(false);

    private string KeyIsFirstParameter() => KeyColumn + " = " + Dialect.Placeholder(1, KeySqlType);

    private string KeyInFirstParameter() => Dialect.KeyIn(Table, KeyColumn, Dialect.Placeholder(1, KeySqlType + "[]"));

    /// <summary>The keys as a typed array (the store binds it as an array of the key type).</summary>
    private protected object KeyArray(ICollection<object> keys)
    {
        var type = Model.KeyProperty.Type;
        return type == typeof(string) ? keys.Select(k => (string)k).ToArray()
            : type == typeof(int) ? keys.Select(k => (int)k).ToArray()
            : type == typeof(long) ? keys.Select(k => (long)k).ToArray()
            : keys.Select(k => (Guid)k).ToArray();
    }
}
