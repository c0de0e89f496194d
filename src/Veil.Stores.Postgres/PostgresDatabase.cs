using Npgsql;

namespace Veil.Stores.Postgres;

/// <summary>
/// The data source a store and its collections share, and the one-time set-up of the <c>vector</c> extension.
/// </summary>
internal sealed class PostgresDatabase : IAsyncDisposable, IDisposable
{
    private readonly bool _ownsDataSource;
    private readonly SemaphoreSlim _initializing = new(1, 1);
    private volatile bool _initialized;

    public PostgresDatabase(NpgsqlDataSource dataSource, bool ownsDataSource)
    {
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        DatabaseName = builder.Database ?? builder.Username ?? "postgres";
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Gets the database name (for metadata and messages; never a password).</summary>
    public string DatabaseName { get; }

    /// <summary>
    /// Opens a connection, first making sure (once per store) that the <c>vector</c> extension exists and that Npgsql
    /// knows its type.
    /// </summary>
    public async ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        return await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _initializing.Dispose();
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _initializing.Dispose();
        if (_ownsDataSource)
        {
            DataSource.Dispose();
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _initializing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                bool exists;
                using (var check = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'vector')", connection))
                {
                    exists = (bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                }

                if (!exists)
                {
                    using (var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector", connection))
                    {
                        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                // Npgsql loads the database's types when the data source opens its first connection; if that happened
                // before the extension existed, it does not know 'vector' yet.
                await connection.ReloadTypesAsync(cancellationToken).ConfigureAwait(false);
            }

            _initialized = true;
        }
        finally
        {
            _initializing.Release();
        }
    }
}
