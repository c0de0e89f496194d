using System.Text;
using Npgsql;

namespace Veil.Stores.Postgres;

/// <summary>
/// A large upsert through binary <c>COPY</c>: the rows go into a temporary staging table (dropped at commit), then one
/// <c>INSERT … SELECT … ON CONFLICT</c> moves them into the collection's table, inside the caller's transaction. Binary
/// COPY sends each vector as 4·d bytes with no SQL text and no parameter per value, which is what makes bulk loads fast.
/// </summary>
internal static class PostgresBulkCopy
{
    private const string StagingTable = "veil_copy_stage";

    /// <summary>Upserts <paramref name="rowCount"/> rows of <paramref name="values"/> (row-major, one value per column).</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="table">The quoted, schema-qualified table.</param>
    /// <param name="columns">The quoted columns, in the order of the values.</param>
    /// <param name="conflictClause">The <c>ON CONFLICT …</c> clause of the final insert.</param>
    /// <param name="values">Parameter values as <see cref="PostgresValues.ToStorable"/> makes them (<see cref="DBNull"/> for null).</param>
    /// <param name="rowCount">The number of rows; keys must be distinct.</param>
    /// <param name="cancellationToken">Cancels the load (the transaction then rolls back).</param>
    public static async Task UpsertAsync(
        NpgsqlConnection connection, string table, IReadOnlyList<string> columns, string conflictClause, object[] values, int rowCount, CancellationToken cancellationToken)
    {
        string columnList = string.Join(", ", columns);
        using (var create = new NpgsqlCommand($"CREATE TEMP TABLE {StagingTable} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP", connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var importer = await connection.BeginBinaryImportAsync($"COPY {StagingTable} ({columnList}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            importer.Timeout = Timeout.InfiniteTimeSpan;
            int width = columns.Count;
            for (int row = 0; row < rowCount; row++)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                for (int column = 0; column < width; column++)
                {
                    object value = values[(row * width) + column];
                    if (value is DBNull)
                    {
                        await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await importer.WriteAsync(value, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        var insert = new StringBuilder("INSERT INTO ").Append(table).Append(" (").Append(columnList).Append(") SELECT ")
            .Append(columnList).Append(" FROM ").Append(StagingTable).Append(' ').Append(conflictClause);
        // No command timeout: moving a large batch into a table with an HNSW index takes as long as the index needs
        // (20 000 × 384 took 60 s here, past Npgsql's default 30 s); the cancellation token still stops it.
        using var move = new NpgsqlCommand(insert.ToString(), connection) { CommandTimeout = 0 };
        await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
