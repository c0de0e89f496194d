using System.Data.Common;
using System.Globalization;
using System.Linq.Expressions;
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
/// <b>Upserts</b> are multi-row <c>INSERT … ON CONFLICT (key) DO UPDATE</c> statements sent in batches or, from
/// <see cref="PostgresCollectionOptions.CopyFromRows"/> records, binary <c>COPY</c> in rounds (appended to the table, or
/// staged and moved when a key may already be there), in one transaction. Connections come from the data source's pool.
/// </para>
/// <para>Collection names are case-sensitive, as quoted PostgreSQL identifiers are.</para>
/// </remarks>
public sealed partial class PostgresCollection<TKey, TRecord> : SqlCollection<TKey, TRecord, NpgsqlConnection>
    where TKey : notnull
    where TRecord : class
{
    private const int MaxParametersPerStatement = 65_535;
    private const int StatementsPerRoundTrip = 8;
    private const string DistanceColumn = "__veil_distance";

    private readonly PostgresDatabase _database;
    private readonly PostgresCollectionOptions _options;
    private int _efSearch;

    internal PostgresCollection(PostgresDatabase database, string schema, string name, CollectionModel model, PostgresCollectionOptions options)
        : base(PostgresDialect.Instance, database.DatabaseName, name, PostgresDialect.Instance.Quote(schema) + "." + PostgresDialect.Instance.Quote(name), model)
    {
        _database = database;
        Schema = schema;
        _options = options;
        _efSearch = options.HnswEfSearch ?? 0;
    }

    /// <summary>Gets the schema that holds the collection's table.</summary>
    public string Schema { get; }

    /// <summary>
    /// Gets or sets the HNSW <c>ef_search</c> applied (with <c>SET LOCAL</c>) to each search; null leaves the server's
    /// setting. An HNSW scan returns at most this many rows, so a search raises it to its top + skip when smaller; a
    /// <see cref="PostgresVectorSearchOptions{TRecord}.EfSearch"/> overrides it for one search.
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
    public override async Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) =>
        await RunAsync("CollectionExists", async connection =>
        {
            using var command = new NpgsqlCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $2)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = Schema });
            command.Parameters.Add(new NpgsqlParameter { Value = Name });
            return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>
    /// Creates the table and, for each HNSW vector property, its index (with this collection's <c>m</c> and
    /// <c>ef_construction</c>) in one transaction; with <see cref="PostgresCollectionOptions.DeferIndexCreation"/>, only
    /// the table (and its primary key), the indexes waiting for <see cref="CreateIndexesAsync"/>.
    /// </remarks>
    public override async Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default) =>
        await RunAsync("EnsureCollectionExists", async connection =>
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var batch = new NpgsqlBatch(connection, transaction);
                await using (batch.ConfigureAwait(false))
                {
                    if (Schema != PostgresVectorStore.DefaultSchema)
                    {
                        batch.BatchCommands.Add(new NpgsqlBatchCommand("CREATE SCHEMA IF NOT EXISTS " + Dialect.Quote(Schema)));
                    }

                    batch.BatchCommands.Add(new NpgsqlBatchCommand(Dialect.CreateTable(Table, Model)));
                    if (_options.ToastTupleTarget is { } toastTupleTarget)
                    {
                        batch.BatchCommands.Add(new NpgsqlBatchCommand(
                            string.Create(CultureInfo.InvariantCulture, $"ALTER TABLE {Table} SET (toast_tuple_target = {toastTupleTarget})")));
                    }

                    if (!_options.DeferIndexCreation)
                    {
                        AddIndexCommands(batch, Name, Table);
                    }

                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Creates the collection's HNSW vector indexes if they do not exist yet: after a bulk load into a collection created
    /// with <see cref="PostgresCollectionOptions.DeferIndexCreation"/>, building each index once over the loaded rows is
    /// faster than maintaining it row by row (20 000 × 384: about 10 s against 60 s). Searches before this are exact
    /// (sequential scans). The build has no command timeout; cancel it with <paramref name="cancellationToken"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the build.</param>
    /// <returns>A task that completes when every index exists.</returns>
    public async Task CreateIndexesAsync(CancellationToken cancellationToken = default) =>
        await RunAsync("CreateIndexes", async connection =>
        {
            await BuildIndexesAsync(connection, Name, Table, cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Builds the HNSW indexes (those missing) of <paramref name="table"/> (named <paramref name="tableName"/>) in one
    /// transaction, with <see cref="PostgresCollectionOptions.IndexBuildMemoryMegabytes"/> and
    /// <see cref="PostgresCollectionOptions.IndexBuildParallelWorkers"/> set for it.
    /// </summary>
    private async Task BuildIndexesAsync(NpgsqlConnection connection, string tableName, string table, CancellationToken cancellationToken)
    {
        var hnsw = Model.VectorProperties.Where(PostgresDialect.HasHnswIndex).ToList();
        if (hnsw.Count == 0)
        {
            return;
        }

        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            // No command timeout: a build over millions of rows takes minutes; cancellationToken stops it.
            var batch = new NpgsqlBatch(connection, transaction) { Timeout = 0 };
            await using (batch.ConfigureAwait(false))
            {
                NpgsqlBatchCommand memory;
                if (_options.IndexBuildMemoryMegabytes is { } megabytes)
                {
                    memory = new NpgsqlBatchCommand("SELECT set_config('maintenance_work_mem', $1::bigint || 'MB', true)");
                    memory.Parameters.Add(new NpgsqlParameter { Value = (long)megabytes });
                }
                else
                {
                    // The graph's estimated size, in kB, with a quarter's margin: the largest over the indexes (built one after
                    // another). Measured: 64 MB held 28 964 rows of 384-d at m = 16 (2 317 bytes a row; the formula says 2 304).
                    long bytesPerRow = hnsw.Max(v => ((4L * v.Dimensions) + (32L * _options.HnswM) + 256) * 5 / 4);
                    memory = new NpgsqlBatchCommand(
                        $"SELECT set_config('maintenance_work_mem', GREATEST(pg_size_bytes(current_setting('maintenance_work_mem')) / 1024, " +
                        $"LEAST((SELECT count(*) FROM {table}) * $1::bigint / 1024, $2::bigint * 1024))::text || 'kB', true)");
                    memory.Parameters.Add(new NpgsqlParameter { Value = bytesPerRow });
                    memory.Parameters.Add(new NpgsqlParameter { Value = (long)PostgresCollectionOptions.MaxEstimatedIndexBuildMemoryMegabytes });
                }

                batch.BatchCommands.Add(memory);
                if (_options.IndexBuildParallelWorkers is { } workers)
                {
                    var parallel = new NpgsqlBatchCommand("SELECT set_config('max_parallel_maintenance_workers', $1, true)");
                    parallel.Parameters.Add(new NpgsqlParameter { Value = workers.ToString(CultureInfo.InvariantCulture) });
                    batch.BatchCommands.Add(parallel);
                }

                AddIndexCommands(batch, tableName, table);
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Drops the collection's HNSW vector indexes if they exist, ahead of loading or rewriting most of its vectors in
    /// place: one build afterwards with <see cref="CreateIndexesAsync"/> is far cheaper than updating the graph row by
    /// row. Searches until then are exact (sequential scans): correct, only slower. (A bulk key rotation rewrites into a
    /// new table instead, see <see cref="BeginRewriteAsync"/>, and keeps the index meanwhile.)
    /// </summary>
    /// <param name="cancellationToken">Cancels the drop.</param>
    /// <returns>A task that completes when no HNSW index of the collection is left.</returns>
    public async Task DropIndexesAsync(CancellationToken cancellationToken = default) =>
        await RunAsync("DropIndexes", async connection =>
        {
            var batch = new NpgsqlBatch(connection);
            await using (batch.ConfigureAwait(false))
            {
                foreach (var vector in Model.VectorProperties.Where(PostgresDialect.HasHnswIndex))
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(
                        "DROP INDEX IF EXISTS " + Dialect.Quote(Schema) + "." + Dialect.Quote(PostgresDialect.IndexName(Schema, Name, vector.StorageName))));
                }

                if (batch.BatchCommands.Count > 0)
                {
                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Counts the records that match <paramref name="filter"/> in the database (<c>SELECT count(*)</c>), without reading
    /// them: what <see cref="VectorStoreCollection{TKey, TRecord}.GetAsync(Expression{Func{TRecord, bool}}, int, FilteredRecordRetrievalOptions{TRecord}?, CancellationToken)"/>
    /// would return, counted. The filter takes the same expressions.
    /// </summary>
    /// <param name="filter">The records to count (<c>r =&gt; true</c> for all).</param>
    /// <param name="cancellationToken">Cancels the count.</param>
    /// <returns>The number of records that match.</returns>
    /// <exception cref="NotSupportedException">The filter uses an expression the store cannot translate.</exception>
    public async Task<long> CountAsync(Expression<Func<TRecord, bool>> filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var parameters = new List<DbParameter>();
        var sql = $"SELECT count(*) FROM {Table} WHERE {Filter(filter, parameters)}";
        return await RunAsync("Count", async connection =>
        {
            using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            foreach (var parameter in parameters)
            {
                command.Parameters.Add(((NpgsqlParameter)parameter).Clone());
            }

            return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A batch of fewer than <see cref="PostgresCollectionOptions.CopyFromRows"/> records is read and checked whole, then
    /// sent as multi-row inserts. A longer one is written by binary <c>COPY</c> in rounds of
    /// <see cref="PostgresCollectionOptions.CopyRoundRows"/>: each round is read, converted and encoded while the ones
    /// before it are written, so a lazily produced sequence (the encrypting decorator's pipeline) is encrypted while the
    /// server writes, and memory stays bounded (<see cref="PostgresCollectionOptions.CopyRoundsAhead"/> + 1 rounds). A
    /// round none of whose keys is in the table is appended to it when the upsert could take the table's
    /// <c>SHARE ROW EXCLUSIVE</c> lock without waiting (other writers then wait for it to commit); otherwise it is staged
    /// and moved with <c>ON CONFLICT</c>. Either way the batch is one transaction and the last record with a key wins.
    /// </remarks>
    /// <exception cref="ArgumentException">A record has a null key or a vector of the wrong dimension (nothing from the batch is written).</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var source = records.GetEnumerator();
        try
        {
            var head = new List<TRecord>();
            while (head.Count < _options.CopyFromRows && source.MoveNext())
            {
                head.Add(source.Current);
            }

            if (head.Count == 0)
            {
                return;
            }

            if (head.Count == _options.CopyFromRows)
            {
                await RunAsync("Upsert", async connection =>
                {
                    var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    await using (transaction.ConfigureAwait(false))
                    {
                        var table = new BulkUpsertTable(Table, Columns(), KeyColumn, KeySqlType, KeyArray, ConflictClause(), _options.ToastTupleTarget);
                        await PostgresBulkCopy.UpsertAsync(connection, table, _options.CopyRoundRows, _options.CopyRoundsAhead, StorableRows(head, source), cancellationToken).ConfigureAwait(false);
                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    }

                    return 0;
                }, cancellationToken).ConfigureAwait(false);
                return;
            }

            await InsertAsync(head, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            source.Dispose();
        }
    }

    /// <summary>Upserts a small batch with multi-row <c>INSERT … ON CONFLICT</c> statements, every value converted (and checked) first.</summary>
    private async Task InsertAsync(List<TRecord> records, CancellationToken cancellationToken)
    {
        // The last record with a given key wins (ON CONFLICT cannot update one row twice in a statement).
        var batch = DistinctKeyChunks(records, int.MaxValue).First();

        // Convert (and check) every value before anything is sent, so a bad record fails the batch without a round trip.
        var properties = Model.Properties;
        var values = new object[batch.Count * properties.Count];
        var i = 0;
        foreach (var record in batch.Values)
        {
            for (var p = 0; p < properties.Count; p++)
            {
                values[(i * properties.Count) + p] = PostgresValues.ToStorable(properties[p], properties[p].GetValueAsObject(record), i);
            }

            i++;
        }

        var rowsPerStatement = Math.Max(1, Math.Min(_options.RowsPerInsert, MaxParametersPerStatement / properties.Count));
        await RunAsync("Upsert", async connection =>
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
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

    /// <summary>
    /// The records read so far (<paramref name="head"/>) and then the rest of <paramref name="rest"/>, each as its key
    /// and its values in <see cref="Columns"/> order, converted (and checked) as they are read.
    /// </summary>
    private IEnumerable<(object Key, object[] Values)> StorableRows(List<TRecord> head, IEnumerator<TRecord> rest)
    {
        var properties = Model.Properties;
        var index = 0;
        (object, object[]) Convert(TRecord record)
        {
            var key = KeyOf(record, index, "records");
            var values = new object[properties.Count];
            for (var p = 0; p < properties.Count; p++)
            {
                values[p] = PostgresValues.ToStorable(properties[p], properties[p].GetValueAsObject(record), index);
            }

            index++;
            return (key, values);
        }

        foreach (var record in head)
        {
            yield return Convert(record);
        }

        while (rest.MoveNext())
        {
            yield return Convert(rest.Current);
        }
    }

    /// <inheritdoc />
    private protected override ValueTask<List<(TRecord Record, double? Score)>> SearchNearestAsync(
        float[] query, int top, VectorSearchOptions<TRecord> options, VectorPropertyModel vectorProperty, CancellationToken cancellationToken)
    {
        var search = BuildSearch(query, top, options, vectorProperty);
        return RunAsync(
            "Search",
            (Collection: this, Search: search, IncludeVectors: options.IncludeVectors),
            static (connection, state, cancellationToken) => state.Collection.SearchAsync(connection, state.Search, state.IncludeVectors, cancellationToken),
            cancellationToken);
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(NpgsqlDataSource) ? _database.DataSource : base.GetService(serviceType, serviceKey);
    }

    /// <summary>
    /// Runs <c>EXPLAIN</c> on the exact statement a search would run (same settings, same parameters) and returns the
    /// plan's lines; for tests and diagnostics.
    /// </summary>
    internal async Task<List<string>> ExplainSearchAsync(float[] query, int top, VectorSearchOptions<TRecord>? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new VectorSearchOptions<TRecord>();
        var search = BuildSearch(query, top, options, Model.GetVectorPropertyOrSingle(options));
        return await RunAsync("Explain", async connection =>
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
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The search statement: an inner query ordered by the bare distance operator (the form an HNSW index serves)
    /// fetches top + skip rows; the outer query breaks ties by key, applies the score threshold and the skip.
    /// </summary>
    private SearchStatement BuildSearch(float[] query, int top, VectorSearchOptions<TRecord> options, VectorPropertyModel vectorProperty)
    {
        var (op, scoreFormat, higherIsBetter) = PostgresDialect.Distance(Dialect.DistanceFunctionOf(vectorProperty));
        var column = Dialect.Quote(vectorProperty.StorageName);
        var parameters = new List<DbParameter>();
        var distance = $"({column} {op} {Dialect.Parameter(parameters, new Vector(query), Dialect.VectorType(vectorProperty.Dimensions))})";
        var selectList = SelectList(options.IncludeVectors);
        var score = string.Format(CultureInfo.InvariantCulture, scoreFormat, Dialect.Quote(DistanceColumn));
        var sql = new StringBuilder("SELECT ").Append(selectList).Append(", ").Append(score)
            .Append(" FROM (SELECT ").Append(selectList).Append(", ").Append(distance).Append(" AS ").Append(Dialect.Quote(DistanceColumn))
            .Append(" FROM ").Append(Table).Append(" WHERE ").Append(column).Append(" IS NOT NULL");
        if (options.Filter is { } filter)
        {
            sql.Append(" AND ").Append(Filter(filter, parameters));
        }

        var fetch = (long)top + options.Skip;
        sql.Append(" ORDER BY ").Append(distance).Append(CultureInfo.InvariantCulture, $" LIMIT {fetch}) AS nearest");
        if (options.ScoreThreshold is { } threshold)
        {
            Dialect.AddParameter(parameters, threshold);
            sql.Append(" WHERE ").Append(score).Append(higherIsBetter ? " >= " : " <= ");
            Dialect.AppendPlaceholder(sql, parameters.Count, "double precision");
        }

        sql.Append(" ORDER BY ").Append(Dialect.Quote(DistanceColumn)).Append(", ").Append(KeyColumn)
            .Append(CultureInfo.InvariantCulture, $" LIMIT {top} OFFSET {options.Skip}");

        var settings = new List<Setting>();
        if (PostgresDialect.HasHnswIndex(vectorProperty))
        {
            // An HNSW scan returns at most ef_search rows, so ef_search is raised to the rows fetched (top + skip) up to
            // pgvector's 1000; past that, the iterative scan keeps the index yielding rows.
            var needed = (int)Math.Min(fetch, PostgresCollectionOptions.MaxEfSearch);
            if (((options as PostgresVectorSearchOptions<TRecord>)?.EfSearch ?? EfSearch) is { } efSearch)
            {
                settings.Add(new Setting("hnsw.ef_search", Math.Max(efSearch, needed).ToString(CultureInfo.InvariantCulture)));
            }
            else if (needed > PostgresCollectionOptions.DefaultEfSearch)
            {
                settings.Add(new Setting("hnsw.ef_search", needed.ToString(CultureInfo.InvariantCulture), AtLeast: true));
            }

            if ((options.Filter is not null && _options.IterativeScanWhenFiltered) || fetch > PostgresCollectionOptions.MaxEfSearch)
            {
                settings.Add(new Setting("hnsw.iterative_scan", "relaxed_order"));
            }
        }

        return new SearchStatement(sql.ToString(), parameters, settings);
    }

    private async ValueTask<List<(TRecord Record, double? Score)>> SearchAsync(
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

    /// <summary>Adds the commands that create the HNSW indexes (those missing) of <paramref name="table"/>, named after <paramref name="tableName"/>.</summary>
    private void AddIndexCommands(NpgsqlBatch batch, string tableName, string table)
    {
        foreach (var vector in Model.VectorProperties.Where(PostgresDialect.HasHnswIndex))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                PostgresDialect.CreateHnswIndex(Schema, tableName, table, vector, _options.HnswM, _options.HnswEfConstruction)));
        }
    }

    private static void AddSettings(NpgsqlBatch batch, List<Setting> settings)
    {
        foreach (var (name, value, atLeast) in settings)
        {
            // An at-least setting keeps the session's value when that is larger (a server configured above pgvector's default).
            var command = new NpgsqlBatchCommand(atLeast
                ? "SELECT set_config($1, GREATEST(NULLIF(current_setting($1, true), '')::int, $2::int)::text, true)"
                : "SELECT set_config($1, $2, true)");
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            command.Parameters.Add(new NpgsqlParameter { Value = value });
            batch.BatchCommands.Add(command);
        }
    }

    private NpgsqlBatchCommand InsertCommand(object[] values, int firstRow, int rowCount)
    {
        var properties = Model.Properties;
        var types = properties.Select(Dialect.ColumnType).ToArray();
        var sql = new StringBuilder("INSERT INTO ").Append(Table).Append(" (").AppendJoin(", ", Columns()).Append(") VALUES ");
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
    private List<string> Columns() => Model.Properties.Select(p => Dialect.Quote(p.StorageName)).ToList();

    /// <summary><c>ON CONFLICT (key) DO UPDATE SET …</c> (or <c>DO NOTHING</c> for a record with only a key).</summary>
    private string ConflictClause()
    {
        var updates = Model.Properties.Where(p => p is not KeyPropertyModel).Select(p => Dialect.Quote(p.StorageName)).ToList();
        return updates.Count == 0
            ? $"ON CONFLICT ({KeyColumn}) DO NOTHING"
            : $"ON CONFLICT ({KeyColumn}) DO UPDATE SET {string.Join(", ", updates.Select(c => $"{c} = EXCLUDED.{c}"))}";
    }

    private static NpgsqlBatchCommand Command(string sql, List<DbParameter> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(((NpgsqlParameter)parameter).Clone());
        }

        return command;
    }

    /// <summary>Runs <paramref name="operation"/> on a pooled connection, turning database errors into <see cref="VectorStoreException"/>.</summary>
    private protected override async ValueTask<T> RunAsync<TState, T>(
        string operationName, TState state, Func<NpgsqlConnection, TState, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await operation(connection, state, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            throw StoreError(operationName, $"Collection '{Name}' does not exist in schema '{Schema}' of the PostgreSQL store; call EnsureCollectionExistsAsync first.", e);
        }
        catch (NpgsqlException e)
        {
            throw StoreError(operationName, $"PostgreSQL failed during {operationName} on collection '{Name}': {e.Message}", e);
        }
        catch (InvalidCastException e) when (e.Message.Contains(nameof(Vector), StringComparison.Ordinal))
        {
            throw StoreError(
                operationName,
                $"Npgsql cannot read or write pgvector's 'vector' type ({e.Message}). Build the NpgsqlDataSource with UseVector() " +
                "and do not set 'Server Compatibility Mode=NoTypeLoading'.",
                e);
        }
    }

    private sealed record SearchStatement(string Sql, List<DbParameter> Parameters, List<Setting> Settings);

    /// <summary>A setting applied with <c>SET LOCAL</c> semantics; <paramref name="AtLeast"/> only ever raises an integer setting.</summary>
    private sealed record Setting(string Name, string Value, bool AtLeast = false);
}
