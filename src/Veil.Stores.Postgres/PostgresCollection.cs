using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using Npgsql;
using Pgvector;
using Veil.Stores.Sql;

namespace Veil.Stores.Postgres;

/// <summary>
/// A <see cref="VectorStoreCollection{TKey, TRecord}"/> stored as one PostgreSQL table: the key is the primary key, each
/// data property a column, each vector property a pgvector <c>vector(d)</c> column with an HNSW index (or none, for
/// exact search).
/// </summary>
/// <typeparam name="TKey">The key type: <see cref="string"/>, <see cref="int"/>, <see cref="long"/> or <see cref="Guid"/> (or <see cref="object"/> for dynamic collections).</typeparam>
/// <typeparam name="TRecord">The record type, described by MEVD attributes or a <see cref="VectorStoreCollectionDefinition"/>.</typeparam>
/// <remarks>
/// <para>
/// <b>Indexes.</b> A vector property whose <see cref="VectorStoreVectorAttribute.IndexKind"/> is
/// <see cref="IndexKind.Hnsw"/> (or unset) gets an HNSW index with the collection's <c>m</c> and
/// <c>ef_construction</c> and the operator class of its distance function; search is then approximate, and
/// <see cref="EfSearch"/> trades speed for recall. <see cref="IndexKind.Flat"/> creates no index: search is exact.
/// </para>
/// <para>
/// <b>Search</b> orders by pgvector's distance operator (<c>&lt;-&gt;</c> Euclidean, <c>&lt;=&gt;</c> cosine,
/// <c>&lt;#&gt;</c> negative inner product, <c>&lt;+&gt;</c> Manhattan) so the index can serve it, and returns MEVD
/// scores: distances (lower is better) as they are, <c>CosineSimilarity</c> as 1 − cosine distance and
/// <c>DotProductSimilarity</c> as the inner product (higher is better). Ties are broken by key among the rows fetched.
/// </para>
/// <para>
/// <b>Upserts</b> run in one transaction as multi-row <c>INSERT … ON CONFLICT (key) DO UPDATE</c> statements sent in
/// batches; a failure anywhere rolls the whole upsert back. When an upsert repeats a key, the last record wins.
/// (No <c>COPY</c>: it is not needed for speed at these batch sizes and some wire-compatible servers do not support it.)
/// </para>
/// <para>
/// <b>Types.</b> <see cref="DateTimeOffset"/> values come back in UTC (the same instant, at microsecond precision).
/// Collection names are case-sensitive, as quoted PostgreSQL identifiers are.
/// </para>
/// <para><b>Thread safety:</b> instances are safe for concurrent use; each operation uses its own pooled connection.</para>
/// </remarks>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "MEVD names its collection type VectorStoreCollection; connectors follow (PostgresCollection, SqliteCollection).")]
public sealed class PostgresCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    private const int MaxParametersPerStatement = 65_535;
    private const int StatementsPerRoundTrip = 8;
    private const string DistanceColumn = "__veil_distance";

    private readonly PostgresDatabase _database;
    private readonly CollectionModel _model;
    private readonly PostgresCollectionOptions _options;
    private readonly string _table;
    private readonly string _keyColumn;
    private readonly string _keySqlType;
    private readonly VectorStoreCollectionMetadata _metadata;
    private int _efSearch;

    internal PostgresCollection(PostgresDatabase database, string schema, string name, CollectionModel model, PostgresCollectionOptions options)
    {
        _database = database;
        Schema = schema;
        Name = name;
        _model = model;
        _options = options;
        _table = PostgresSql.Quote(schema) + "." + PostgresSql.Quote(name);
        _keyColumn = PostgresSql.Quote(model.KeyProperty.StorageName);
        _keySqlType = PostgresSql.ColumnType(model.KeyProperty);
        _efSearch = options.HnswEfSearch ?? 0;
        _metadata = new VectorStoreCollectionMetadata
        {
            VectorStoreSystemName = PostgresVectorStore.SystemName,
            VectorStoreName = database.DatabaseName,
            CollectionName = name,
        };
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>Gets the schema that holds the collection's table.</summary>
    public string Schema { get; }

    /// <summary>
    /// Gets or sets the HNSW <c>ef_search</c> applied (with <c>SET LOCAL</c>) to each search; null leaves the server's
    /// setting. An HNSW scan returns at most this many rows, so keep it at least top + skip.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1–1000.</exception>
    public int? EfSearch
    {
        get => Volatile.Read(ref _efSearch) is var value and > 0 ? value : null;
        set
        {
            if (value is { } efSearch)
            {
                PostgresCollectionOptions.ValidateEfSearch(efSearch);
            }

            Volatile.Write(ref _efSearch, value ?? 0);
        }
    }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) =>
        RunAsync("CollectionExists", async connection =>
        {
            using var command = new NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $2)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = Schema });
            command.Parameters.Add(new NpgsqlParameter { Value = Name });
            return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Creates the table and, for each HNSW vector property, its index (with this collection's <c>m</c> and <c>ef_construction</c>) in one transaction.</remarks>
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default) =>
        RunAsync("EnsureCollectionExists", async connection =>
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var batch = new NpgsqlBatch(connection, transaction);
                await using (batch.ConfigureAwait(false))
                {
                    if (Schema != PostgresVectorStore.DefaultSchema)
                    {
                        batch.BatchCommands.Add(new NpgsqlBatchCommand("CREATE SCHEMA IF NOT EXISTS " + PostgresSql.Quote(Schema)));
                    }

                    batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresSql.CreateTable(_table, _model)));
                    foreach (var vector in _model.VectorProperties.Where(PostgresSql.HasHnswIndex))
                    {
                        batch.BatchCommands.Add(new NpgsqlBatchCommand(
                            PostgresSql.CreateHnswIndex(Schema, Name, _table, vector, _options.HnswM, _options.HnswEfConstruction)));
                    }

                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken);

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default) =>
        RunAsync("EnsureCollectionDeleted", connection => ExecuteAsync(connection, "DROP TABLE IF EXISTS " + _table, [], cancellationToken), cancellationToken);

    /// <inheritdoc />
    public override async Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var includeVectors = options?.IncludeVectors ?? false;
        var sql = $"SELECT {SelectList(includeVectors)} FROM {_table} WHERE {_keyColumn} = $1::{_keySqlType}";
        var records = await RunAsync(
            "Get", connection => QueryAsync(connection, sql, [new NpgsqlParameter { Value = key }], includeVectors, withScore: false, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        return records.Count == 0 ? null : records[0].Record;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TRecord> GetAsync(
        IEnumerable<TKey> keys,
        RecordRetrievalOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var keyList = keys.Cast<object>().ToList();
        if (keyList.Count == 0)
        {
            yield break;
        }

        var includeVectors = options?.IncludeVectors ?? false;
        var sql = $"SELECT {SelectList(includeVectors)} FROM {_table} WHERE {_keyColumn} = ANY($1::{_keySqlType}[])";
        var records = await RunAsync(
            "Get", connection => QueryAsync(connection, sql, [KeyArray(keyList)], includeVectors, withScore: false, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
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

        var parameters = new List<NpgsqlParameter>();
        var where = PostgresFilterTranslator.Translate(filter, _model, parameters);
        var sql = new StringBuilder("SELECT ").Append(SelectList(options.IncludeVectors))
            .Append(" FROM ").Append(_table).Append(" WHERE ").Append(where).Append(" ORDER BY ");
        if (options.OrderBy is { } orderBy)
        {
            foreach (var sort in orderBy(new FilteredRecordRetrievalOptions<TRecord>.OrderByDefinition()).Values)
            {
                var property = _model.GetDataOrKeyProperty(sort.PropertySelector);
                sql.Append(PostgresSql.Quote(property.StorageName)).Append(sort.Ascending ? " ASC, " : " DESC, ");
            }
        }

        sql.Append(_keyColumn).Append(CultureInfo.InvariantCulture, $" LIMIT {top} OFFSET {options.Skip}");
        var records = await RunAsync(
            "Get", connection => QueryAsync(connection, sql.ToString(), parameters, options.IncludeVectors, withScore: false, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        foreach (var (record, _) in records)
        {
            yield return record;
        }
    }

    /// <inheritdoc />
    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return RunAsync(
            "Delete",
            connection => ExecuteAsync(connection, $"DELETE FROM {_table} WHERE {_keyColumn} = $1::{_keySqlType}", [new NpgsqlParameter { Value = key }], cancellationToken),
            cancellationToken);
    }

    /// <inheritdoc />
    public override Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var keyList = keys.Cast<object>().ToList();
        return keyList.Count == 0
            ? Task.CompletedTask
            : RunAsync(
                "Delete",
                connection => ExecuteAsync(connection, $"DELETE FROM {_table} WHERE {_keyColumn} = ANY($1::{_keySqlType}[])", [KeyArray(keyList)], cancellationToken),
                cancellationToken);
    }

    /// <inheritdoc />
    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return UpsertAsync([record], cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A record has a null key or a vector of the wrong dimension (nothing from the batch is written).</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);

        // The last record with a given key wins (ON CONFLICT cannot update one row twice in a statement).
        var byKey = new Dictionary<object, int>();
        var batch = new List<TRecord>();
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
            var key = _model.KeyProperty.GetValueAsObject(record)
                ?? throw new ArgumentException($"Record {batch.Count} of the batch has a null key.", nameof(records));
            if (byKey.TryGetValue(key, out var earlier))
            {
                batch[earlier] = record;
            }
            else
            {
                byKey.Add(key, batch.Count);
                batch.Add(record);
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        // Convert (and check) every value before anything is sent, so a bad record fails the batch without a round trip.
        var properties = _model.Properties;
        var values = new object[batch.Count * properties.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            for (var p = 0; p < properties.Count; p++)
            {
                values[(i * properties.Count) + p] = PostgresValues.ToStorable(properties[p], properties[p].GetValueAsObject(batch[i]), i);
            }
        }

        var rowsPerStatement = Math.Max(1, Math.Min(_options.RowsPerInsert, MaxParametersPerStatement / properties.Count));
        await RunAsync("Upsert", async connection =>
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                if (batch.Count >= _options.CopyFromRows)
                {
                    await PostgresBulkCopy.UpsertAsync(connection, _table, Columns(), ConflictClause(), values, batch.Count, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return 0;
                }

                for (var start = 0; start < batch.Count; start += rowsPerStatement * StatementsPerRoundTrip)
                {
                    var roundTrip = new NpgsqlBatch(connection, transaction);
                    await using (roundTrip.ConfigureAwait(false))
                    {
                        var end = Math.Min(batch.Count, start + (rowsPerStatement * StatementsPerRoundTrip));
                        for (var first = start; first < end; first += rowsPerStatement)
                        {
                            roundTrip.BatchCommands.Add(InsertCommand(values, first, Math.Min(rowsPerStatement, end - first)));
                        }

                        await roundTrip.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
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

        var search = BuildSearch(query, top, options, vectorProperty);
        var results = await RunAsync("Search", connection => SearchAsync(connection, search, options.IncludeVectors, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
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
            : serviceType == typeof(NpgsqlDataSource) ? _database.DataSource
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>
    /// Runs <c>EXPLAIN</c> on the exact statement a search would run (same settings, same parameters) and returns the
    /// plan's lines; for tests and diagnostics.
    /// </summary>
    internal Task<List<string>> ExplainSearchAsync(float[] query, int top, VectorSearchOptions<TRecord>? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new VectorSearchOptions<TRecord>();
        var search = BuildSearch(query, top, options, _model.GetVectorPropertyOrSingle(options));
        return RunAsync("Explain", async connection =>
        {
            var lines = new List<string>();
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var batch = new NpgsqlBatch(connection, transaction);
                await using (batch.ConfigureAwait(false))
                {
                    AddSettings(batch, search.Settings);
                    batch.BatchCommands.Add(Command("EXPLAIN " + search.Sql, search.Parameters));
                    var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        do
                        {
                            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                            {
                                if (reader.FieldCount == 1 && reader.GetName(0) == "QUERY PLAN")
                                {
                                    lines.Add(reader.GetString(0));
                                }
                            }
                        }
                        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
                    }
                }
            }

            return lines;
        }, cancellationToken);
    }

    /// <summary>
    /// The search statement: an inner query ordered by the bare distance operator (the form an HNSW index serves)
    /// fetches top + skip rows; the outer query breaks ties by key, applies the score threshold and the skip.
    /// </summary>
    private SearchStatement BuildSearch(float[] query, int top, VectorSearchOptions<TRecord> options, VectorPropertyModel vectorProperty)
    {
        var (op, scoreFormat, higherIsBetter) = PostgresSql.Distance(PostgresSql.DistanceFunctionOf(vectorProperty));
        var column = PostgresSql.Quote(vectorProperty.StorageName);
        var distance = $"({column} {op} $1::{PostgresSql.VectorType(vectorProperty.Dimensions)})";
        var parameters = new List<NpgsqlParameter> { new() { Value = new Vector(query) } };
        var selectList = SelectList(options.IncludeVectors);
        var sql = new StringBuilder("SELECT ").Append(selectList).Append(", ")
            .Append(string.Format(CultureInfo.InvariantCulture, scoreFormat, PostgresSql.Quote(DistanceColumn)))
            .Append(" FROM (SELECT ").Append(selectList).Append(", ").Append(distance).Append(" AS ").Append(PostgresSql.Quote(DistanceColumn))
            .Append(" FROM ").Append(_table).Append(" WHERE ").Append(column).Append(" IS NOT NULL");
        if (options.Filter is { } filter)
        {
            sql.Append(" AND ").Append(PostgresFilterTranslator.Translate(filter, _model, parameters));
        }

        var fetch = (long)top + options.Skip;
        sql.Append(" ORDER BY ").Append(distance).Append(CultureInfo.InvariantCulture, $" LIMIT {fetch}) AS nearest");
        if (options.ScoreThreshold is { } threshold)
        {
            parameters.Add(new NpgsqlParameter { Value = threshold });
            sql.Append(" WHERE ").Append(string.Format(CultureInfo.InvariantCulture, scoreFormat, PostgresSql.Quote(DistanceColumn)))
                .Append(higherIsBetter ? " >= $" : " <= $").Append(parameters.Count).Append("::double precision");
        }

        sql.Append(" ORDER BY ").Append(PostgresSql.Quote(DistanceColumn)).Append(", ").Append(_keyColumn)
            .Append(CultureInfo.InvariantCulture, $" LIMIT {top} OFFSET {options.Skip}");

        var settings = new List<(string, string)>();
        if (PostgresSql.HasHnswIndex(vectorProperty))
        {
            if (EfSearch is { } efSearch)
            {
                settings.Add(("hnsw.ef_search", efSearch.ToString(CultureInfo.InvariantCulture)));
            }

            if (options.Filter is not null && _options.IterativeScanWhenFiltered)
            {
                settings.Add(("hnsw.iterative_scan", "relaxed_order"));
            }
        }

        return new SearchStatement(sql.ToString(), parameters, settings);
    }

    private async Task<List<(TRecord Record, double? Score)>> SearchAsync(
        NpgsqlConnection connection, SearchStatement search, bool includeVectors, CancellationToken cancellationToken)
    {
        if (search.Settings.Count == 0)
        {
            return await QueryAsync(connection, search.Sql, search.Parameters, includeVectors, withScore: true, cancellationToken).ConfigureAwait(false);
        }

        // SET LOCAL lasts until the end of the transaction, so the setting never leaks to the pooled connection's next user.
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var batch = new NpgsqlBatch(connection, transaction);
            await using (batch.ConfigureAwait(false))
            {
                AddSettings(batch, search.Settings);
                batch.BatchCommands.Add(Command(search.Sql, search.Parameters));
                List<(TRecord, double?)> results;
                var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    for (var i = 0; i < search.Settings.Count; i++)
                    {
                        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    }

                    results = await ReadRecordsAsync(reader, includeVectors, withScore: true, cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return results;
            }
        }
    }

    private static void AddSettings(NpgsqlBatch batch, List<(string Name, string Value)> settings)
    {
        foreach (var (name, value) in settings)
        {
            var command = new NpgsqlBatchCommand("SELECT set_config($1, $2, true)");
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            command.Parameters.Add(new NpgsqlParameter { Value = value });
            batch.BatchCommands.Add(command);
        }
    }

    private NpgsqlBatchCommand InsertCommand(object[] values, int firstRow, int rowCount)
    {
        var properties = _model.Properties;
        var types = properties.Select(PostgresSql.ColumnType).ToArray();
        var sql = new StringBuilder("INSERT INTO ").Append(_table).Append(" (").AppendJoin(", ", Columns()).Append(") VALUES ");
        var command = new NpgsqlBatchCommand();
        for (var r = 0; r < rowCount; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var p = 0; p < properties.Count; p++)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = values[((firstRow + r) * properties.Count) + p] });
                sql.Append(p == 0 ? "$" : ", $").Append(command.Parameters.Count).Append("::").Append(types[p]);
            }

            sql.Append(')');
        }

        command.CommandText = sql.Append(' ').Append(ConflictClause()).ToString();
        return command;
    }

    /// <summary>The quoted columns of every property, in model order (the order of upsert values).</summary>
    private List<string> Columns() => _model.Properties.Select(p => PostgresSql.Quote(p.StorageName)).ToList();

    /// <summary><c>ON CONFLICT (key) DO UPDATE SET …</c> (or <c>DO NOTHING</c> for a record with only a key).</summary>
    private string ConflictClause()
    {
        var updates = _model.Properties.Where(p => p is not KeyPropertyModel).Select(p => PostgresSql.Quote(p.StorageName)).ToList();
        return updates.Count == 0
            ? $"ON CONFLICT ({_keyColumn}) DO NOTHING"
            : $"ON CONFLICT ({_keyColumn}) DO UPDATE SET {string.Join(", ", updates.Select(c => $"{c} = EXCLUDED.{c}"))}";
    }

    private string SelectList(bool includeVectors) => string.Join(", ", _model.Properties
        .Where(p => includeVectors || p is not VectorPropertyModel)
        .Select(p => PostgresSql.Quote(p.StorageName)));

    /// <summary>Builds a typed array parameter for the keys (PostgreSQL binds it as an array of the key type).</summary>
    private NpgsqlParameter KeyArray(List<object> keys)
    {
        var type = _model.KeyProperty.Type;
        object array = type == typeof(string) ? keys.Select(k => (string)k).ToArray()
            : type == typeof(int) ? keys.Select(k => (int)k).ToArray()
            : type == typeof(long) ? keys.Select(k => (long)k).ToArray()
            : keys.Select(k => (Guid)k).ToArray();
        return new NpgsqlParameter { Value = array };
    }

    private static NpgsqlBatchCommand Command(string sql, List<NpgsqlParameter> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter.Clone());
        }

        return command;
    }

    private async Task<List<(TRecord Record, double? Score)>> QueryAsync(
        NpgsqlConnection connection, string sql, List<NpgsqlParameter> parameters, bool includeVectors, bool withScore, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter.Clone());
        }

        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await ReadRecordsAsync(reader, includeVectors, withScore, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<(TRecord Record, double? Score)>> ReadRecordsAsync(
        NpgsqlDataReader reader, bool includeVectors, bool withScore, CancellationToken cancellationToken)
    {
        var properties = _model.Properties.Where(p => includeVectors || p is not VectorPropertyModel).ToArray();
        var results = new List<(TRecord, double?)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = _model.CreateRecord<TRecord>();
            for (var i = 0; i < properties.Length; i++)
            {
                if (!reader.IsDBNull(i))
                {
                    properties[i].SetValueAsObject(record, PostgresValues.Read(reader, i, properties[i]));
                }
            }

            double? score = withScore && !reader.IsDBNull(properties.Length) ? reader.GetDouble(properties.Length) : null;
            results.Add((record, score));
        }

        return results;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, List<NpgsqlParameter> parameters, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="operation"/> on a pooled connection, turning database errors into <see cref="VectorStoreException"/>.</summary>
    private async Task<T> RunAsync<T>(string operationName, Func<NpgsqlConnection, Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await operation(connection).ConfigureAwait(false);
            }
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            throw Error(operationName, $"Collection '{Name}' does not exist in schema '{Schema}' of the PostgreSQL store; call EnsureCollectionExistsAsync first.", e);
        }
        catch (NpgsqlException e)
        {
            throw Error(operationName, $"PostgreSQL failed during {operationName} on collection '{Name}': {e.Message}", e);
        }
        catch (InvalidCastException e) when (e.Message.Contains(nameof(Vector), StringComparison.Ordinal))
        {
            throw Error(
                operationName,
                $"Npgsql cannot read or write pgvector's 'vector' type ({e.Message}). Build the NpgsqlDataSource with UseVector() " +
                "and do not set 'Server Compatibility Mode=NoTypeLoading'.",
                e);
        }
    }

    private VectorStoreException Error(string operationName, string message, Exception inner) => new(message, inner)
    {
        OperationName = operationName,
        VectorStoreSystemName = PostgresVectorStore.SystemName,
        VectorStoreName = _database.DatabaseName,
        CollectionName = Name,
    };

    private sealed record SearchStatement(string Sql, List<NpgsqlParameter> Parameters, List<(string Name, string Value)> Settings);
}
