using System.Collections.Concurrent;
using System.Globalization;
using DuckDB.NET.Data;

namespace Veil.Stores.DuckDb;

/// <summary>
/// One open DuckDB database (a file or in-memory) and a pool of connections to it. Every connection has extension
/// auto-install and auto-load switched off, so DuckDB never reaches for the network.
/// </summary>
/// <remarks>
/// DuckDB connections are not safe for concurrent use, so every operation rents its own connection (a duplicate of
/// the root connection, sharing the same database instance) and returns it afterwards.
/// </remarks>
internal sealed class DuckDbDatabase : IDisposable
{
    // checkpoint_threshold: DuckDB checkpoints when the write-ahead log passes it (16 MB by default, about one batch of
    // 10 000 × 384 vectors), and at 10^5 rows and beyond the checkpoints cost seconds each, dominating bulk ingest. At
    // 256 MB a checkpoint comes every ~170 000 logged vectors at d = 384 (and always on close). disabled_compression_methods:
    // ALP and ALP-RD find nothing to compress in embeddings (encrypted ones least of all) yet cost most of a checkpoint's
    // time; without them the floats are stored plain, checkpoints take a third of the CPU time and the file shrinks by a
    // third (10^5 × 384 random unit vectors). memory_limit and threads: see DuckDbStoreOptions.
    private const string SettingsSql =
        "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; SET checkpoint_threshold = '256MB'; " +
        "SET disabled_compression_methods = 'alp,alprd'; SET memory_limit = ";

    private readonly DuckDBConnection _root;
    private readonly string _connectionString;
    private readonly bool _inMemory;
    private readonly string _settingsSql;
    private readonly ConcurrentBag<DuckDBConnection> _idle = [];
    private volatile bool _disposed;

    public DuckDbDatabase(string dataSource, DuckDbStoreOptions options)
    {
        DataSource = dataSource;
        _settingsSql = SettingsSql + "'" + options.MemoryLimit + "';"
            + (options.Threads is { } threads ? string.Create(CultureInfo.InvariantCulture, $" SET threads = {threads};") : string.Empty);
        var builder = new DuckDBConnectionStringBuilder
        {
            DataSource = dataSource,
            AutoinstallKnownExtensions = false,
            AutoloadKnownExtensions = false,
        };
        _connectionString = builder.ConnectionString;
        _inMemory = dataSource == DuckDbVectorStore.InMemoryDataSource;
        _root = new DuckDBConnection(_connectionString);
        try
        {
            _root.Open();
            Configure(_root);
        }
        catch
        {
            _root.Dispose();
            throw;
        }
    }

    /// <summary>Gets the database file path, or <c>:memory:</c>.</summary>
    public string DataSource { get; }

    public DuckDBConnection Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var connection))
        {
            return connection;
        }

        // In-memory databases are private to a connection, so further connections must duplicate the root one; for a
        // file, DuckDB.NET shares one database instance among the connections that open the same path.
        connection = _inMemory ? _root.Duplicate() : new DuckDBConnection(_connectionString);
        try
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                connection.Open();
            }

            Configure(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void Return(DuckDBConnection connection)
    {
        if (_disposed)
        {
            connection.Dispose();
            return;
        }

        _idle.Add(connection);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        while (_idle.TryTake(out var connection))
        {
            connection.Dispose();
        }

        _root.Dispose();
    }

    private void Configure(DuckDBConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _settingsSql;
        command.ExecuteNonQuery();
    }
}
