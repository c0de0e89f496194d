using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using Npgsql;
using Pgvector.Npgsql;
using Veil.Stores.Sql;

namespace Veil.Stores.Postgres;

/// <summary>
/// A <see cref="VectorStore"/> over PostgreSQL with the pgvector extension: one table per collection in one schema,
/// <c>vector(d)</c> columns with HNSW indexes (or exact search), filters translated to parameterised SQL.
/// </summary>
/// <remarks>
/// <para>
/// <b>Set-up:</b> on first use the store runs <c>CREATE EXTENSION IF NOT EXISTS vector</c> (when the extension is not
/// there yet; the role then needs the right to create it) and reloads Npgsql's type information.
/// </para>
/// <para>
/// <b>Data source:</b> a store made from a connection string builds (and disposes) its own
/// <see cref="NpgsqlDataSource"/> with pgvector's type plugin. A data source passed in must have been built with
/// <c>NpgsqlDataSourceBuilder.UseVector()</c> and stays the caller's to dispose. Do not use
/// <c>Server Compatibility Mode=NoTypeLoading</c>: Npgsql then cannot learn the <c>vector</c> type.
/// </para>
/// <para>
/// <b>Citus:</b> nothing here is specific to a single node. To shard a collection, create it, then run
/// <c>SELECT create_distributed_table('schema.collection', 'key column')</c> once; the key is the primary key, so
/// upserts (<c>ON CONFLICT (key)</c>), gets and deletes by key route to one shard, and searches fan out.
/// </para>
/// <para>
/// <b>Security:</b> the store knows nothing about encryption; it stores and searches whatever vectors and values it is
/// given. Schema, collection and property names are quoted, and every value is a query parameter.
/// </para>
/// <para><b>Thread safety:</b> the store and its collections are safe for concurrent use (each operation takes a pooled connection).</para>
/// </remarks>
public sealed class PostgresVectorStore : SqlVectorStore
{
    /// <summary>The schema used when none is given.</summary>
    public const string DefaultSchema = "public";

    internal const string SystemName = "postgresql";

    private readonly PostgresDatabase _database;

    /// <summary>Creates a store over a data source built with pgvector's type plugin (<c>UseVector()</c>).</summary>
    /// <param name="dataSource">The data source; the caller keeps ownership.</param>
    /// <param name="schema">The schema that holds the collections' tables (created if missing).</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is null.</exception>
    public PostgresVectorStore(NpgsqlDataSource dataSource, string schema = DefaultSchema)
        : this(new PostgresDatabase(dataSource ?? throw new ArgumentNullException(nameof(dataSource)), ownsDataSource: false), schema)
    {
    }

    /// <summary>Creates a store from an Npgsql connection string; the store builds and owns its data source.</summary>
    /// <param name="connectionString">For example <c>Host=…;Port=5432;Username=…;Password=…;Database=…</c>.</param>
    /// <param name="schema">The schema that holds the collections' tables (created if missing).</param>
    /// <exception cref="ArgumentException">The connection string is blank or malformed.</exception>
    public PostgresVectorStore(string connectionString, string schema = DefaultSchema)
        : this(new PostgresDatabase(BuildDataSource(connectionString), ownsDataSource: true), schema)
    {
    }

    private PostgresVectorStore(PostgresDatabase database, string schema)
        : base(PostgresDialect.Instance, database.DatabaseName, database)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        _ = PostgresDialect.Instance.Quote(schema);
        _database = database;
        Schema = schema;
    }

    /// <summary>Gets the schema that holds the collections' tables.</summary>
    public string Schema { get; }

    /// <summary>Gets the data source the store uses.</summary>
    public NpgsqlDataSource DataSource => _database.DataSource;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The name is blank or too long for PostgreSQL, or <typeparamref name="TRecord"/> is a dictionary (use <see cref="GetDynamicCollection"/>).</exception>
    /// <exception cref="NotSupportedException">A key, data or vector property type, a distance function or an index kind is not supported.</exception>
    public override PostgresCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null) =>
        GetCollection<TKey, TRecord>(name, new PostgresCollectionOptions { Definition = definition });

    /// <summary>Gets a collection with PostgreSQL-specific options (HNSW parameters, schema, batch size).</summary>
    /// <typeparam name="TKey">The key type: <see cref="string"/>, <see cref="int"/>, <see cref="long"/> or <see cref="Guid"/>.</typeparam>
    /// <typeparam name="TRecord">The record type.</typeparam>
    /// <param name="name">The collection (table) name.</param>
    /// <param name="options">The collection's options.</param>
    /// <returns>The collection; it is not created until <see cref="VectorStoreCollection{TKey, TRecord}.EnsureCollectionExistsAsync"/>.</returns>
    /// <exception cref="ArgumentException">The name is blank or too long, or <typeparamref name="TRecord"/> is a dictionary.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An HNSW parameter or the batch size is out of range.</exception>
    /// <exception cref="NotSupportedException">A property type, distance function or index kind is not supported.</exception>
    public PostgresCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, PostgresCollectionOptions options)
        where TKey : notnull
        where TRecord : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        if (typeof(TRecord) == typeof(Dictionary<string, object?>))
        {
            throw new ArgumentException(VectorDataStrings.GetCollectionWithDictionaryNotSupported);
        }

        var model = new SqlModelBuilder(PostgresDialect.Instance).BuildModel(typeof(TRecord), typeof(TKey), options.Definition);
        return new PostgresCollection<TKey, TRecord>(_database, options.Schema ?? Schema, name, model, options.Validated());
    }

    /// <inheritdoc />
    public override PostgresCollection<object, Dictionary<string, object?>> GetDynamicCollection(string name, VectorStoreCollectionDefinition definition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(definition);
        return new PostgresCollection<object, Dictionary<string, object?>>(
            _database, Schema, name, new SqlModelBuilder(PostgresDialect.Instance).BuildDynamicModel(definition), new PostgresCollectionOptions().Validated());
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<string> ListCollectionNamesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var names = new List<string>();
        try
        {
            var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var command = new NpgsqlCommand(
                    "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = $1 ORDER BY tablename", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = Schema });
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        names.Add(reader.GetString(0));
                    }
                }
            }
        }
        catch (NpgsqlException e)
        {
            throw Wrap(e, "ListCollectionNames");
        }

        foreach (var name in names)
        {
            yield return name;
        }
    }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return GetDynamicStub(name).CollectionExistsAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return GetDynamicStub(name).EnsureCollectionDeletedAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(NpgsqlDataSource) ? _database.DataSource : base.GetService(serviceType, serviceKey);
    }

    private static NpgsqlDataSource BuildDataSource(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlDataSourceBuilder builder;
        try
        {
            builder = new NpgsqlDataSourceBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            // Npgsql's message names the bad keyword; the connection string itself may hold a password, so it is not repeated.
            throw new ArgumentException($"The PostgreSQL connection string is not valid: {e.Message}", nameof(connectionString), e);
        }

        builder.UseVector();
        return builder.Build();
    }

    /// <summary>A key-only dynamic collection, enough for existence checks and drops by name.</summary>
    private PostgresCollection<object, Dictionary<string, object?>> GetDynamicStub(string name) => new(
        _database,
        Schema,
        name,
        new SqlModelBuilder(PostgresDialect.Instance).BuildDynamicModel(new VectorStoreCollectionDefinition { Properties = [new VectorStoreKeyProperty("Key", typeof(string))] }),
        new PostgresCollectionOptions().Validated());

    private VectorStoreException Wrap(NpgsqlException e, string operationName) => new(
        $"PostgreSQL failed during {operationName} in database '{_database.DatabaseName}': {e.Message}", e)
    {
        VectorStoreSystemName = SystemName,
        VectorStoreName = _database.DatabaseName,
        OperationName = operationName,
    };
}
