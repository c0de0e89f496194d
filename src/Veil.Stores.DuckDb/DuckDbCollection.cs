using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Text;
using DuckDB.NET.Data;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Stores.Sql;

namespace Veil.Stores.DuckDb;

/// <summary>
/// A <see cref="VectorStoreCollection{TKey, TRecord}"/> stored as one DuckDB table: the key is the primary key, each
/// data property a column, each vector property a <c>FLOAT[d]</c> column searched exactly (brute force).
/// </summary>
/// <typeparam name="TKey">The key type: <see cref="string"/>, <see cref="int"/>, <see cref="long"/> or <see cref="Guid"/> (or <see cref="object"/> for dynamic collections).</typeparam>
/// <typeparam name="TRecord">The record type, described by MEVD attributes or a <see cref="VectorStoreCollectionDefinition"/>.</typeparam>
/// <remarks>
/// <para>
/// <b>Search</b> is exact k-nearest-neighbour search with the vector property's distance function (cosine distance when
/// none is given); scores follow the MEVD convention (distances: lower is better; similarities: higher is better).
/// DuckDB's HNSW extension cannot be loaded offline, so any <see cref="VectorStoreVectorAttribute.IndexKind"/> is
/// accepted and answered exactly.
/// </para>
/// <para>
/// <b>Upserts</b> run in one transaction: the batch is read in chunks, the existing rows with each chunk's keys are
/// deleted, then the chunk is bulk-loaded through DuckDB's appender (<see cref="DuckDbChunkAppender"/>). A failure anywhere rolls the whole batch back.
/// When a batch repeats a key, the last record wins.
/// </para>
/// <para>
/// <b>Types.</b> <see cref="DateTimeOffset"/> values come back in UTC (the same instant, at microsecond precision).
/// Collection names are matched case-insensitively, as DuckDB matches table names.
/// </para>
/// <para><b>Thread safety:</b> instances are safe for concurrent use; each operation uses its own connection.</para>
/// </remarks>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "MEVD names its collection type VectorStoreCollection; connectors follow (PostgresCollection, SqliteCollection).")]
public sealed class DuckDbCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    private const string SystemName = "duckdb";
    private const string ScoreColumn = "__veil_score";

    /// <summary>Records per appender (and per key lookup) within one upsert transaction.</summary>
    private const int ChunkRows = 10_000;

    private readonly DuckDbDatabase _database;
    private readonly CollectionModel _model;
    private readonly string _table;
    private readonly string _keyColumn;
    private readonly string _keySqlType;
    private readonly VectorStoreCollectionMetadata _metadata;
    private PropertyModel[]? _appendOrder;

    internal DuckDbCollection(DuckDbDatabase database, string name, CollectionModel model)
    {
        _database = database;
        Name = name;
        _model = model;
        _table = DuckDbSql.Quote(name);
        _keyColumn = DuckDbSql.Quote(model.KeyProperty.StorageName);
        _keySqlType = DuckDbSql.ColumnType(model.KeyProperty);
        _metadata = new VectorStoreCollectionMetadata
        {
            VectorStoreSystemName = SystemName,
            VectorStoreName = database.DataSource,
            CollectionName = name,
        };
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Run("CollectionExists", connection => TableExists(connection, Name)));
    }

    /// <inheritdoc />
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _appendOrder = null;
        Run("EnsureCollectionExists", connection => Execute(connection, DuckDbSql.CreateTable(_table, _model), []));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _appendOrder = null;
        Run("EnsureCollectionDeleted", connection => Execute(connection, "DROP TABLE IF EXISTS " + _table, []));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var includeVectors = options?.IncludeVectors ?? false;
        var sql = $"SELECT {SelectList(includeVectors)} FROM {_table} WHERE {_keyColumn} = $k::{_keySqlType}";
        var records = Run("Get", connection => Query(connection, sql, [new DuckDBParameter("k", key)], includeVectors, withScore: false));
        return Task.FromResult(records.Count == 0 ? null : records[0].Record);
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
        var sql = $"SELECT {SelectList(includeVectors)} FROM {_table} WHERE {_keyColumn} IN (SELECT unnest($k::{_keySqlType}[]))";
        var records = Run("Get", connection => Query(connection, sql, [new DuckDBParameter("k", KeyList(keyList))], includeVectors, withScore: false));
        await Task.CompletedTask.ConfigureAwait(false);
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

        var parameters = new List<DuckDBParameter>();
        var where = DuckDbFilterTranslator.Translate(filter, _model, parameters);
        var sql = new StringBuilder("SELECT ").Append(SelectList(options.IncludeVectors))
            .Append(" FROM ").Append(_table).Append(" WHERE ").Append(where).Append(" ORDER BY ");
        if (options.OrderBy is { } orderBy)
        {
            foreach (var sort in orderBy(new FilteredRecordRetrievalOptions<TRecord>.OrderByDefinition()).Values)
            {
                var property = _model.GetDataOrKeyProperty(sort.PropertySelector);
                sql.Append(DuckDbSql.Quote(property.StorageName)).Append(sort.Ascending ? " ASC, " : " DESC, ");
            }
        }

        sql.Append(_keyColumn).Append(CultureInfo.InvariantCulture, $" LIMIT {top} OFFSET {options.Skip}");
        var records = Run("Get", connection => Query(connection, sql.ToString(), parameters, options.IncludeVectors, withScore: false));
        await Task.CompletedTask.ConfigureAwait(false);
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
        Run("Delete", connection => Execute(
            connection, $"DELETE FROM {_table} WHERE {_keyColumn} = $k::{_keySqlType}", [new DuckDBParameter("k", key)]));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        cancellationToken.ThrowIfCancellationRequested();
        var keyList = keys.Cast<object>().ToList();
        if (keyList.Count != 0)
        {
            Run("Delete", connection => Execute(connection, DeleteKeysSql(), [new DuckDBParameter("k", KeyList(keyList))]));
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return UpsertAsync([record], cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The records are read once, in chunks of <see cref="ChunkRows"/>, and appended as they come, all in one
    /// transaction: a lazily produced sequence of any length is stored with bounded memory, and anything thrown while
    /// reading it (or by DuckDB) rolls the whole call back. Large calls are also the fastest: DuckDB writes the rows of
    /// a transaction past ~120 000 straight to the database file instead of logging them first.
    /// </remarks>
    /// <exception cref="ArgumentException">A record has a null key or a vector of the wrong dimension (nothing from the batch is written).</exception>
    public override Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        cancellationToken.ThrowIfCancellationRequested();
        Run("Upsert", connection =>
        {
            var order = _appendOrder ??= ReadAppendOrder(connection);
            using var transaction = connection.BeginTransaction();

            // Into an empty table only keys repeated within this call need deleting; the bulk load of a new collection
            // then never scans the table for them.
            HashSet<object>? written = IsEmpty(connection) ? [] : null;
            var values = new object?[order.Length];
            var index = 0;
            foreach (var chunk in Chunks(records))
            {
                cancellationToken.ThrowIfCancellationRequested();
                ICollection<object> replaced = written is null ? chunk.Keys : chunk.Keys.Where(k => !written.Add(k)).ToList();
                if (replaced.Count != 0)
                {
                    Execute(connection, DeleteKeysSql(), [new DuckDBParameter("k", KeyList(replaced))]);
                }

                using var appender = new DuckDbChunkAppender(connection, Name, order);
                foreach (var record in chunk.Values)
                {
                    for (var p = 0; p < order.Length; p++)
                    {
                        values[p] = ToStorable(order[p], order[p].GetValueAsObject(record), index);
                    }

                    appender.AppendRow(values);
                    index++;
                }

                appender.Close();
            }

            transaction.Commit();
            return 0;
        });
        return Task.CompletedTask;
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

        var vectorProperty = _model.GetVectorPropertyOrSingle(options);
        var query = await VectorValues.ToQueryVectorAsync(searchValue, vectorProperty, cancellationToken).ConfigureAwait(false);
        if (query.Length != vectorProperty.Dimensions)
        {
            throw new ArgumentException(
                $"The query vector has {query.Length} dimensions; vector property '{vectorProperty.ModelName}' has {vectorProperty.Dimensions}.",
                nameof(searchValue));
        }

        var column = DuckDbSql.Quote(vectorProperty.StorageName);
        var (score, higherIsBetter) = DuckDbSql.Score(
            DuckDbSql.DistanceFunctionOf(vectorProperty), column, "$q::" + DuckDbSql.VectorType(vectorProperty.Dimensions));
        var parameters = new List<DuckDBParameter> { new("q", query) };
        var sql = new StringBuilder("SELECT ").Append(SelectList(options.IncludeVectors)).Append(", ").Append(score)
            .Append(" AS ").Append(DuckDbSql.Quote(ScoreColumn)).Append(" FROM ").Append(_table)
            .Append(" WHERE ").Append(column).Append(" IS NOT NULL");
        if (options.Filter is { } filter)
        {
            sql.Append(" AND ").Append(DuckDbFilterTranslator.Translate(filter, _model, parameters));
        }

        if (options.ScoreThreshold is { } threshold)
        {
            parameters.Add(new DuckDBParameter("t", threshold));
            sql.Append(" AND ").Append(score).Append(higherIsBetter ? " >= $t::DOUBLE" : " <= $t::DOUBLE");
        }

        sql.Append(" ORDER BY ").Append(DuckDbSql.Quote(ScoreColumn)).Append(higherIsBetter ? " DESC, " : " ASC, ")
            .Append(_keyColumn).Append(CultureInfo.InvariantCulture, $" LIMIT {top} OFFSET {options.Skip}");

        var results = Run("Search", connection => Query(connection, sql.ToString(), parameters, options.IncludeVectors, withScore: true));
        foreach (var (record, resultScore) in results)
        {
            yield return new VectorSearchResult<TRecord>(record, resultScore);
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

    internal static bool TableExists(DuckDBConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() " +
            "AND table_schema = current_schema() AND lower(table_name) = lower($n)";
        command.Parameters.Add(new DuckDBParameter("n", name));
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
    }

    private string SelectList(bool includeVectors) => string.Join(", ", _model.Properties
        .Where(p => includeVectors || p is not VectorPropertyModel)
        .Select(p => DuckDbSql.Quote(p.StorageName)));

    private string DeleteKeysSql() => $"DELETE FROM {_table} WHERE {_keyColumn} IN (SELECT unnest($k::{_keySqlType}[]))";

    private bool IsEmpty(DuckDBConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM (SELECT 1 FROM {_table} LIMIT 1)";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 0;
    }

    /// <summary>
    /// Reads <paramref name="records"/> in chunks of up to <see cref="ChunkRows"/> distinct keys, each in input order
    /// with the last record of a repeated key in the place of the first.
    /// </summary>
    private IEnumerable<Dictionary<object, TRecord>> Chunks(IEnumerable<TRecord> records)
    {
        var chunk = new Dictionary<object, TRecord>();
        var index = 0;
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
            var key = _model.KeyProperty.GetValueAsObject(record)
                ?? throw new ArgumentException($"Record {index} of the batch has a null key.", nameof(records));
            chunk[key] = record;
            index++;
            if (chunk.Count == ChunkRows)
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

    /// <summary>Builds a typed list parameter for the keys (DuckDB binds it as a LIST of the key type).</summary>
    private object KeyList(ICollection<object> keys)
    {
        var type = _model.KeyProperty.Type;
        if (type == typeof(string))
        {
            return keys.Select(k => (string)k).ToArray();
        }

        if (type == typeof(int))
        {
            return keys.Select(k => (int)k).ToArray();
        }

        if (type == typeof(long))
        {
            return keys.Select(k => (long)k).ToArray();
        }

        return keys.Select(k => (Guid)k).ToArray();
    }

    /// <summary>Maps the table's columns (in their stored order, as the appender needs) to the model's properties.</summary>
    private PropertyModel[] ReadAppendOrder(DuckDBConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() " +
            "AND table_schema = current_schema() AND lower(table_name) = lower($n) ORDER BY ordinal_position";
        command.Parameters.Add(new DuckDBParameter("n", Name));
        var columns = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }

        if (columns.Count == 0)
        {
            throw MissingCollection("Upsert");
        }

        var byColumn = _model.Properties.ToDictionary(p => p.StorageName, StringComparer.OrdinalIgnoreCase);
        var order = new PropertyModel[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            if (!byColumn.Remove(columns[i], out var property))
            {
                throw SchemaMismatch($"its column '{columns[i]}' has no property in the record definition");
            }

            order[i] = property;
        }

        if (byColumn.Count != 0)
        {
            throw SchemaMismatch($"property '{byColumn.Values.First().ModelName}' has no column");
        }

        return order;
    }

    /// <summary>Converts a property value to what the appender takes, checking vector dimensions.</summary>
    private static object? ToStorable(PropertyModel property, object? value, int index)
    {
        if (property is not VectorPropertyModel vector || value is null)
        {
            return value;
        }

        return VectorValues.ToStoredMemory(vector, value, index);
    }

    private List<(TRecord Record, double? Score)> Query(
        DuckDBConnection connection, string sql, List<DuckDBParameter> parameters, bool includeVectors, bool withScore)
    {
        var properties = _model.Properties.Where(p => includeVectors || p is not VectorPropertyModel).ToArray();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }

        var results = new List<(TRecord, double?)>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var record = _model.CreateRecord<TRecord>();
            for (var i = 0; i < properties.Length; i++)
            {
                if (!reader.IsDBNull(i))
                {
                    properties[i].SetValueAsObject(record, ReadValue(reader, i, properties[i]));
                }
            }

            double? score = withScore && !reader.IsDBNull(properties.Length)
                ? Convert.ToDouble(reader.GetValue(properties.Length), CultureInfo.InvariantCulture)
                : null;
            results.Add((record, score));
        }

        return results;
    }

    private static object ReadValue(DbDataReader reader, int ordinal, PropertyModel property)
    {
        var type = Nullable.GetUnderlyingType(property.Type) ?? property.Type;
        if (property is VectorPropertyModel)
        {
            // DuckDB.NET reads FLOAT[d] as a list, not an array.
            return VectorValues.FromFloats(type, reader.GetFieldValue<List<float>>(ordinal).ToArray());
        }

        if (type == typeof(string))
        {
            return reader.GetString(ordinal);
        }

        if (type == typeof(int))
        {
            return reader.GetInt32(ordinal);
        }

        if (type == typeof(long))
        {
            return reader.GetInt64(ordinal);
        }

        if (type == typeof(float))
        {
            return reader.GetFloat(ordinal);
        }

        if (type == typeof(double))
        {
            return reader.GetDouble(ordinal);
        }

        if (type == typeof(bool))
        {
            return reader.GetBoolean(ordinal);
        }

        if (type == typeof(Guid))
        {
            return reader.GetGuid(ordinal);
        }

        if (type == typeof(DateTimeOffset))
        {
            return new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc));
        }

        using var stream = reader.GetStream(ordinal);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static int Execute(DuckDBConnection connection, string sql, List<DuckDBParameter> parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }

        return command.ExecuteNonQuery();
    }

    /// <summary>Runs <paramref name="operation"/> on a pooled connection, turning DuckDB errors into <see cref="VectorStoreException"/>.</summary>
    private T Run<T>(string operationName, Func<DuckDBConnection, T> operation)
    {
        var connection = _database.Rent();
        try
        {
            return operation(connection);
        }
        catch (DbException e)
        {
            bool exists;
            try
            {
                exists = TableExists(connection, Name);
            }
            catch (DuckDBException)
            {
                exists = true;
            }

            var message = exists
                ? $"DuckDB failed during {operationName} on collection '{Name}': {e.Message}"
                : MissingCollection(operationName).Message;
            throw new VectorStoreException(message, e)
            {
                VectorStoreSystemName = SystemName,
                VectorStoreName = _database.DataSource,
                CollectionName = Name,
                OperationName = operationName,
            };
        }
        finally
        {
            _database.Return(connection);
        }
    }

    private VectorStoreException MissingCollection(string operationName) => new(
        $"Collection '{Name}' does not exist in the DuckDB store; call EnsureCollectionExistsAsync first.")
    {
        OperationName = operationName,
        VectorStoreSystemName = SystemName,
        VectorStoreName = _database.DataSource,
        CollectionName = Name,
    };

    private VectorStoreException SchemaMismatch(string detail) => new(
        $"Collection '{Name}' does not match the record definition: {detail}.")
    {
        OperationName = "Upsert",
        VectorStoreSystemName = SystemName,
        VectorStoreName = _database.DataSource,
        CollectionName = Name,
    };
}
