using System.Runtime.CompilerServices;
using DuckDB.NET.Data;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Stores.Sql;

namespace Veil.Stores.DuckDb;

/// <summary>
/// An embedded <see cref="VectorStore"/> over DuckDB: one database file (or an in-memory database), one table per
/// collection, exact k-nearest-neighbour search on <c>FLOAT[d]</c> columns.
/// </summary>
/// <remarks>
/// <para>
/// <b>Network:</b> DuckDB's extension auto-install and auto-load are switched off on every connection, so the store
/// never downloads code. (DuckDB's HNSW extension is therefore unavailable; search is always exact.)
/// </para>
/// <para>
/// <b>Files:</b> DuckDB lets one process at a time open a database file for writing; dispose the store to release it.
/// </para>
/// <para>
/// <b>Security:</b> the store knows nothing about encryption; it stores and searches whatever vectors and values it is
/// given. Collection and property names are quoted and every value is a query parameter.
/// </para>
/// <para><b>Thread safety:</b> the store and its collections are safe for concurrent use.</para>
/// </remarks>
public sealed class DuckDbVectorStore : SqlVectorStore
{
    /// <summary>The data source name DuckDB uses for an in-memory database.</summary>
    public const string InMemoryDataSource = ":memory:";

    private readonly DuckDbDatabase _database;

    /// <summary>Opens (creating it if needed) the DuckDB database file at <paramref name="databasePath"/>.</summary>
    /// <param name="databasePath">A file path, or <see cref="InMemoryDataSource"/> for a database that lives as long as the store.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="databasePath"/> is null or blank.</exception>
    /// <exception cref="VectorStoreException">DuckDB cannot open the file (for example, another process holds it).</exception>
    public DuckDbVectorStore(string databasePath, DuckDbStoreOptions? options = null)
        : this(Open(databasePath, options))
    {
    }

    private DuckDbVectorStore(DuckDbDatabase database)
        : base(DuckDbDialect.Instance, database.DataSource, database)
    {
        _database = database;
    }

    /// <summary>Creates a store over a new, private in-memory DuckDB database.</summary>
    /// <returns>The store; its data is gone once it is disposed.</returns>
    public static DuckDbVectorStore CreateInMemory() => new(InMemoryDataSource);

    /// <summary>Gets the database file path, or <see cref="InMemoryDataSource"/>.</summary>
    public string DatabasePath => _database.DataSource;

    internal DuckDbDatabase Database => _database;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The name is blank, or <typeparamref name="TRecord"/> is a dictionary (use <see cref="GetDynamicCollection"/>).</exception>
    /// <exception cref="NotSupportedException">A key, data or vector property type, or a distance function, is not supported.</exception>
    public override DuckDbCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (typeof(TRecord) == typeof(Dictionary<string, object?>))
        {
            throw new ArgumentException(VectorDataStrings.GetCollectionWithDictionaryNotSupported);
        }

        var model = new SqlModelBuilder(DuckDbDialect.Instance).BuildModel(typeof(TRecord), typeof(TKey), definition);
        return new DuckDbCollection<TKey, TRecord>(_database, name, model);
    }

    /// <inheritdoc />
    public override DuckDbCollection<object, Dictionary<string, object?>> GetDynamicCollection(string name, VectorStoreCollectionDefinition definition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(definition);
        return new DuckDbCollection<object, Dictionary<string, object?>>(_database, name, new SqlModelBuilder(DuckDbDialect.Instance).BuildDynamicModel(definition));
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<string> ListCollectionNamesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var names = new List<string>();
        var connection = _database.Rent();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText =
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() " +
                "AND table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }
        }
        finally
        {
            _database.Return(connection);
        }

        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var name in names)
        {
            yield return name;
        }
    }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        cancellationToken.ThrowIfCancellationRequested();
        var connection = _database.Rent();
        try
        {
            return Task.FromResult(DuckDbCollection<object, Dictionary<string, object?>>.TableExists(connection, name));
        }
        finally
        {
            _database.Return(connection);
        }
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        cancellationToken.ThrowIfCancellationRequested();
        var connection = _database.Rent();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE IF EXISTS " + DuckDbDialect.Instance.Quote(name);
            command.ExecuteNonQuery();
        }
        finally
        {
            _database.Return(connection);
        }

        return Task.CompletedTask;
    }

    private static DuckDbDatabase Open(string databasePath, DuckDbStoreOptions? options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        try
        {
            return new DuckDbDatabase(databasePath, options ?? new DuckDbStoreOptions());
        }
        catch (DuckDBException e)
        {
            throw new VectorStoreException($"DuckDB could not open the database '{databasePath}': {e.Message}", e)
            {
                VectorStoreSystemName = DuckDbDialect.Instance.SystemName,
                VectorStoreName = databasePath,
            };
        }
    }
}
