using Microsoft.Extensions.VectorData;
using Veil.Stores.Sql;

#if VEIL_STORE_DUCKDB
namespace Veil.Stores.DuckDb; // each store's own namespace, as SqlCollection.cs explains
#else
namespace Veil.Stores.Postgres;
#endif

/// <summary>What a SQL vector store shares with the other SQL stores: its MEVD metadata, service lookup and the disposal of its database.</summary>
/// <remarks>Only the store's own vector store type derives from this class.</remarks>
public abstract class SqlVectorStore : VectorStore
{
    private readonly VectorStoreMetadata _metadata;
    private readonly IDisposable _database;

    private protected SqlVectorStore(SqlDialect dialect, string storeName, IDisposable database)
    {
        _database = database;
        _metadata = new VectorStoreMetadata { VectorStoreSystemName = dialect.SystemName, VectorStoreName = storeName };
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(VectorStoreMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _database.Dispose();
        }

        base.Dispose(disposing);
    }
}
