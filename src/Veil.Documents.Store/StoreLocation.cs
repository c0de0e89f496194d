using Microsoft.Extensions.VectorData;
using Veil.Stores.DuckDb;
using Veil.Stores.Postgres;

namespace Veil.Documents.Store;

/// <summary>Where a document store lives: <c>duckdb:PATH</c> (an embedded DuckDB file, the default) or <c>postgres:CONNECTION-STRING</c>.</summary>
/// <param name="Kind"><see cref="DuckDbKind"/> or <see cref="PostgresKind"/>.</param>
/// <param name="Target">The DuckDB file path, or the Npgsql connection string.</param>
public sealed record StoreLocation(string Kind, string Target)
{
    /// <summary>The location used when none is given.</summary>
    public const string DefaultValue = "duckdb:veil.duckdb";

    /// <summary>The <see cref="Kind"/> of an embedded DuckDB file.</summary>
    public const string DuckDbKind = "duckdb";

    /// <summary>The <see cref="Kind"/> of a PostgreSQL database (with pgvector).</summary>
    public const string PostgresKind = "postgres";

    private const string DuckDbPrefix = "duckdb:";
    private const string PostgresPrefix = "postgres:";

    /// <summary>Gets DuckDB's memory limit (<see cref="DuckDbStoreOptions.MemoryLimit"/>); null for the default.</summary>
    public string? DuckDbMemoryLimit { get; init; }

    /// <summary>Gets DuckDB's worker threads (<see cref="DuckDbStoreOptions.Threads"/>); null for one per core.</summary>
    public int? DuckDbThreads { get; init; }

    /// <summary>
    /// How the database compares collection (table) names: DuckDB folds case even in quoted identifiers, PostgreSQL
    /// compares quoted identifiers (as its store writes them) exactly, and refuses names beyond its 63-byte limit
    /// rather than truncating them.
    /// </summary>
    public StringComparer CollectionNames => Kind == DuckDbKind ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>What <see cref="CollectionNames"/> does, for messages.</summary>
    public string CollectionNamesDescription => Kind == DuckDbKind
        ? "DuckDB compares table names case-insensitively"
        : "PostgreSQL compares quoted table names exactly";

    /// <summary>The location as the user wrote it, except that a PostgreSQL password is left out.</summary>
    public override string ToString() => Kind == PostgresKind ? $"{Kind}:\"{Redacted(Target)}\"" : $"{Kind}:{Target}";

    /// <summary>Parses a location written as <c>duckdb:PATH</c> or <c>postgres:CONNECTION-STRING</c> (optionally quoted).</summary>
    /// <param name="value">The location.</param>
    /// <returns>The parsed location.</returns>
    /// <exception cref="DocumentStoreException">The value is not <c>duckdb:PATH</c> or <c>postgres:…</c>, or names a store this build lacks.</exception>
    public static StoreLocation Parse(string value)
    {
        if (value.StartsWith(DuckDbPrefix, StringComparison.OrdinalIgnoreCase))
        {
            string path = value[DuckDbPrefix.Length..];
            return string.IsNullOrWhiteSpace(path)
                ? throw new DocumentStoreException("Invalid options: --store duckdb: needs a file path, as in --store duckdb:veil.duckdb.")
                : new StoreLocation(DuckDbKind, path);
        }

        if (value.StartsWith(PostgresPrefix, StringComparison.OrdinalIgnoreCase))
        {
            string connectionString = value[PostgresPrefix.Length..].Trim();
            if (connectionString.Length >= 2 && connectionString[0] == '"' && connectionString[^1] == '"')
            {
                connectionString = connectionString[1..^1];
            }

            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new DocumentStoreException(
                    "Invalid options: --store postgres: needs an Npgsql connection string, as in --store postgres:\"Host=localhost;Username=veil;Password=…;Database=veil\".");
            }

            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            }
            catch (ArgumentException e)
            {
                // The message names the offending keyword, never a value (which could be the password).
                throw new DocumentStoreException($"Invalid options: --store postgres: is not a valid connection string ({e.Message.Split('\n')[0]}).", e);
            }

            return new StoreLocation(PostgresKind, connectionString);
        }

        throw new DocumentStoreException(
            $"Invalid options: --store \"{value}\" is not a store location; use duckdb:PATH (an embedded DuckDB file, default {DefaultValue}) or postgres:\"CONNECTION STRING\".");
    }

    /// <summary>Opens the store; when <paramref name="mustExist"/>, a missing database file is an error instead of being created.</summary>
    /// <param name="mustExist">Whether a missing DuckDB file is an error.</param>
    /// <returns>The store.</returns>
    /// <exception cref="DocumentStoreException">The file is missing (and must exist), or the store cannot be opened.</exception>
    public VectorStore Open(bool mustExist)
    {
        if (Kind == PostgresKind)
        {
            try
            {
                return new PostgresVectorStore(Target);
            }
            catch (ArgumentException e)
            {
                throw new DocumentStoreException($"Cannot open --store {this}: the connection string is not valid ({e.Message.Split('\n')[0]}).", e);
            }
        }

        if (mustExist && !File.Exists(Target))
        {
            throw new DocumentStoreException($"There is no store at --store {this}: the file '{Path.GetFullPath(Target)}' does not exist. Create it with veil ingest.");
        }

        DuckDbStoreOptions options = ValidateSettings();
        try
        {
            return new DuckDbVectorStore(Target, options);
        }
        catch (VectorStoreException e)
        {
            throw new DocumentStoreException($"Cannot open --store {this}: {e.Message}", e);
        }
    }

    /// <summary>This location with DuckDB's memory limit and threads (null: the default); PostgreSQL ignores them.</summary>
    /// <param name="memoryLimit">DuckDB's memory limit, such as 512MB.</param>
    /// <param name="threads">DuckDB's worker threads.</param>
    /// <returns>The location with those settings.</returns>
    public StoreLocation WithDuckDbSettings(string? memoryLimit, int? threads) => this with { DuckDbMemoryLimit = memoryLimit, DuckDbThreads = threads };

    /// <summary>Checks the DuckDB settings without opening anything, so a command can refuse them before its work.</summary>
    /// <returns>The DuckDB options the settings make.</returns>
    /// <exception cref="DocumentStoreException">The memory limit is not a size, or the thread count is below 1.</exception>
    public DuckDbStoreOptions ValidateSettings()
    {
        try
        {
            return new DuckDbStoreOptions { MemoryLimit = DuckDbMemoryLimit ?? DuckDbStoreOptions.DefaultMemoryLimit, Threads = DuckDbThreads };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new DocumentStoreException($"Invalid options: --store-threads must be at least 1.", e);
        }
        catch (ArgumentException e)
        {
            throw new DocumentStoreException($"Invalid options: --store-memory \"{DuckDbMemoryLimit}\" is not a size such as 512MB or 4GB.", e);
        }
    }

    private static string Redacted(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (builder.Password is not null)
        {
            builder.Password = "***";
        }

        return builder.ConnectionString;
    }
}
