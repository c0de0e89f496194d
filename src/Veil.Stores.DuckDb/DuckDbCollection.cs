using System.Data.Common;
using System.Globalization;
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
/// <b>Upserts</b> read the batch in chunks: the existing rows with each chunk's keys are deleted, then the chunk is
/// bulk-loaded through DuckDB's appender (<see cref="DuckDbChunkAppender"/>), all in one transaction.
/// </para>
/// <para>Collection names are matched case-insensitively, as DuckDB matches table names.</para>
/// </remarks>
public sealed class DuckDbCollection<TKey, TRecord> : SqlCollection<TKey, TRecord, DuckDBConnection>
    where TKey : notnull
    where TRecord : class
{
    private const string ScoreColumn = "__veil_score";

    /// <summary>Records per appender (and per key lookup) within one upsert transaction.</summary>
    private const int ChunkRows = 10_000;

    private readonly DuckDbDatabase _database;
    private PropertyModel[]? _appendOrder;

    internal DuckDbCollection(DuckDbDatabase database, string name, CollectionModel model)
        : base(DuckDbDialect.Instance, database.DataSource, name, DuckDbDialect.Instance.Quote(name), model)
    {
        _database = database;
    }

    /// <inheritdoc />
    public override async Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await RunAsync("CollectionExists", connection => new ValueTask<bool>(TableExists(connection, Name)), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _appendOrder = null;
        await RunAsync("EnsureCollectionExists", connection => ExecuteAsync(connection, Dialect.CreateTable(Table, Model), [], cancellationToken), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _appendOrder = null;
        return base.EnsureCollectionDeletedAsync(cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The records are read once, in chunks of <see cref="ChunkRows"/>, and appended as they come, all in one
    /// transaction: a lazily produced sequence of any length is stored with bounded memory, and anything thrown while
    /// reading it (or by DuckDB) rolls the whole call back. Large calls are also the fastest: DuckDB writes the rows of
    /// a transaction past ~120 000 straight to the database file instead of logging them first.
    /// </remarks>
    /// <exception cref="ArgumentException">A record has a null key or a vector of the wrong dimension (nothing from the batch is written).</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        cancellationToken.ThrowIfCancellationRequested();
        await RunAsync(
            "Upsert", (Collection: this, Records: records), static (connection, upsert, cancellationToken) => upsert.Collection.UpsertAsync(connection, upsert.Records, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
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

    /// <inheritdoc />
    /// <remarks>Exact search: every row's score is computed; ties are broken by key.</remarks>
    private protected override ValueTask<List<(TRecord Record, double? Score)>> SearchNearestAsync(
        float[] query, int top, VectorSearchOptions<TRecord> options, VectorPropertyModel vectorProperty, CancellationToken cancellationToken)
    {
        var parameters = new List<DbParameter>();
        var column = Dialect.Quote(vectorProperty.StorageName);
        var (score, higherIsBetter) = DuckDbDialect.Score(
            Dialect.DistanceFunctionOf(vectorProperty), column, Dialect.Parameter(parameters, query, Dialect.VectorType(vectorProperty.Dimensions)));
        var sql = new StringBuilder("SELECT ").Append(SelectList(options.IncludeVectors)).Append(", ").Append(score)
            .Append(" AS ").Append(Dialect.Quote(ScoreColumn)).Append(" FROM ").Append(Table)
            .Append(" WHERE ").Append(column).Append(" IS NOT NULL");
        if (options.Filter is { } filter)
        {
            sql.Append(" AND ").Append(Filter(filter, parameters));
        }

        if (options.ScoreThreshold is { } threshold)
        {
            Dialect.AddParameter(parameters, threshold);
            sql.Append(" AND ").Append(score).Append(higherIsBetter ? " >= " : " <= ");
            Dialect.AppendPlaceholder(sql, parameters.Count, "DOUBLE");
        }

        sql.Append(" ORDER BY ").Append(Dialect.Quote(ScoreColumn)).Append(higherIsBetter ? " DESC, " : " ASC, ")
            .Append(KeyColumn).Append(CultureInfo.InvariantCulture, $" LIMIT {top} OFFSET {options.Skip}");
        return QueryAsync("Search", sql.ToString(), parameters, options.IncludeVectors, withScore: true, cancellationToken);
    }

    /// <summary>Runs <paramref name="operation"/> on a pooled connection, turning DuckDB errors into <see cref="VectorStoreException"/>.</summary>
    private protected override async ValueTask<T> RunAsync<TState, T>(
        string operationName, TState state, Func<DuckDBConnection, TState, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        var connection = _database.Rent();
        try
        {
            return await operation(connection, state, cancellationToken).ConfigureAwait(false);
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

            throw exists
                ? StoreError(operationName, $"DuckDB failed during {operationName} on collection '{Name}': {e.Message}", e)
                : StoreError(operationName, MissingCollectionMessage, e);
        }
        finally
        {
            _database.Return(connection);
        }
    }

    private string MissingCollectionMessage => $"Collection '{Name}' does not exist in the DuckDB store; call EnsureCollectionExistsAsync first.";

    /// <summary>The upsert on one connection (DuckDB's client completes every step synchronously).</summary>
    private async ValueTask<int> UpsertAsync(DuckDBConnection connection, IEnumerable<TRecord> records, CancellationToken cancellationToken)
    {
        var order = _appendOrder ??= ReadAppendOrder(connection);
        using var transaction = connection.BeginTransaction();

        // Into an empty table only keys repeated within this call need deleting; the bulk load of a new collection
        // then never scans the table for them.
        HashSet<object>? written = IsEmpty(connection) ? [] : null;
        var values = new object?[order.Length];
        var index = 0;
        foreach (var chunk in DistinctKeyChunks(records, ChunkRows))
        {
            cancellationToken.ThrowIfCancellationRequested();
            ICollection<object> replaced = written is null ? chunk.Keys : chunk.Keys.Where(k => !written.Add(k)).ToList();
            if (replaced.Count != 0)
            {
                await ExecuteAsync(connection, DeleteKeysSql(out var parameters, replaced), parameters, cancellationToken).ConfigureAwait(false);
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
    }

    private bool IsEmpty(DuckDBConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM (SELECT 1 FROM {Table} LIMIT 1)";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 0;
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
            throw StoreError("Upsert", MissingCollectionMessage, null);
        }

        var byColumn = Model.Properties.ToDictionary(p => p.StorageName, StringComparer.OrdinalIgnoreCase);
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

    private VectorStoreException SchemaMismatch(string detail) =>
        StoreError("Upsert", $"Collection '{Name}' does not match the record definition: {detail}.", null);
}
