using Microsoft.Extensions.VectorData;
using Veil.Stores.Postgres;
using Veil.Stores.Tests.Conformance;

namespace Veil.Stores.Tests;

/// <summary>
/// One <see cref="PostgresVectorStore"/> on the pgvector server named by <see cref="ConnectionVariable"/>, shared by
/// every PostgreSQL test class (they run one after another, so the pool never exceeds the server's connection limit).
/// </summary>
public sealed class PostgresStoreFixture : IDisposable
{
    /// <summary>The environment variable holding the Npgsql connection string of a PostgreSQL server with pgvector.</summary>
    public const string ConnectionVariable = "VEIL_PGVECTOR_CONNECTION";

    /// <summary>What the variable holds, for skip reasons.</summary>
    public const string Purpose = "the Npgsql connection string of a PostgreSQL server with pgvector";

    private readonly PostgresVectorStore? _store;

    public PostgresStoreFixture()
    {
        ConnectionString = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            _store = new PostgresVectorStore(ConnectionString);
        }
    }

    /// <summary>Gets the connection string, or null when the variable is not set (the tests are then skipped).</summary>
    public string? ConnectionString { get; }

    /// <summary>Gets the store.</summary>
    public PostgresVectorStore Store => _store ?? throw new InvalidOperationException($"{ConnectionVariable} is not set.");

    public void Dispose() => _store?.Dispose();
}

/// <summary>The PostgreSQL test classes share one store and run serially.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollectionDefinition : ICollectionFixture<PostgresStoreFixture>
{
    public const string Name = "pgvector";
}

/// <summary>The conformance suite against a real PostgreSQL + pgvector server (HNSW-indexed collections).</summary>
[Collection(PostgresCollectionDefinition.Name)]
[RequiresEnvironmentVariable(PostgresStoreFixture.ConnectionVariable, PostgresStoreFixture.Purpose)]
public sealed class PostgresConformanceTests(PostgresStoreFixture fixture) : VectorStoreConformanceTests
{
    protected override VectorStore Store => fixture.Store;
}

/// <summary>
/// The conformance suite again with every upsert going through binary COPY and a staging table
/// (<see cref="PostgresCollectionOptions.CopyFromRows"/> = 1), so both write paths meet the same expectations.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
[RequiresEnvironmentVariable(PostgresStoreFixture.ConnectionVariable, PostgresStoreFixture.Purpose)]
public sealed class PostgresCopyConformanceTests(PostgresStoreFixture fixture) : VectorStoreConformanceTests
{
    protected override VectorStore Store => fixture.Store;

    protected override VectorStoreCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null) =>
        fixture.Store.GetCollection<TKey, TRecord>(name, new PostgresCollectionOptions { Definition = definition, CopyFromRows = 1 });
}

/// <summary>
/// The conformance suite again through binary COPY moved in rounds of two rows
/// (<see cref="PostgresCollectionOptions.CopyRoundRows"/> = 2): batches span several rounds, and a key may repeat within
/// a round or across rounds.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
[RequiresEnvironmentVariable(PostgresStoreFixture.ConnectionVariable, PostgresStoreFixture.Purpose)]
public sealed class PostgresCopyRoundsConformanceTests(PostgresStoreFixture fixture) : VectorStoreConformanceTests
{
    protected override VectorStore Store => fixture.Store;

    protected override VectorStoreCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null) =>
        fixture.Store.GetCollection<TKey, TRecord>(name, new PostgresCollectionOptions { Definition = definition, CopyFromRows = 1, CopyRoundRows = 2 });
}
