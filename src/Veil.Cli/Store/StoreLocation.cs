using Microsoft.Extensions.VectorData;
using Veil.Stores.DuckDb;

namespace Veil.Cli.Store;

/// <summary>The <c>--store</c> option: <c>duckdb:PATH</c> (the embedded default) or <c>postgres:CONNECTION-STRING</c>.</summary>
internal sealed record StoreLocation(string Kind, string Target)
{
    public const string DefaultValue = "duckdb:veil.duckdb";

    private const string DuckDbPrefix = "duckdb:";
    private const string PostgresPrefix = "postgres:";

    public override string ToString() => $"{Kind}:{Target}";

    /// <exception cref="CliUsageException">The value is not <c>duckdb:PATH</c> or <c>postgres:…</c>, or names a store this build lacks.</exception>
    public static StoreLocation Parse(string value)
    {
        if (value.StartsWith(DuckDbPrefix, StringComparison.OrdinalIgnoreCase))
        {
            string path = value[DuckDbPrefix.Length..];
            return string.IsNullOrWhiteSpace(path)
                ? throw new CliUsageException("Invalid options: --store duckdb: needs a file path, as in --store duckdb:veil.duckdb.")
                : new StoreLocation("duckdb", path);
        }

        if (value.StartsWith(PostgresPrefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new CliUsageException(
                "Invalid options: --store postgres:… is not available in this build of veil (the PostgreSQL + pgvector store is not part of it yet); use --store duckdb:PATH.");
        }

        throw new CliUsageException(
            $"Invalid options: --store \"{value}\" is not a store location; use duckdb:PATH (an embedded DuckDB file, default {DefaultValue}) or postgres:\"CONNECTION STRING\".");
    }

    /// <summary>Opens the store; when <paramref name="mustExist"/>, a missing database file is an error instead of being created.</summary>
    /// <exception cref="CliUsageException">The file is missing (and must exist), or the store cannot be opened.</exception>
    public VectorStore Open(bool mustExist)
    {
        if (mustExist && !File.Exists(Target))
        {
            throw new CliUsageException($"There is no store at --store {this}: the file '{Path.GetFullPath(Target)}' does not exist. Create it with veil ingest.");
        }

        try
        {
            return new DuckDbVectorStore(Target);
        }
        catch (VectorStoreException e)
        {
            throw new CliUsageException($"Cannot open --store {this}: {e.Message}", e);
        }
    }
}
