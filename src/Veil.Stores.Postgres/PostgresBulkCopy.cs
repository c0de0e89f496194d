using Npgsql;

namespace Veil.Stores.Postgres;

/// <summary>The table a <see cref="PostgresBulkCopy.UpsertAsync"/> writes: quoted names and how to bind its keys.</summary>
/// <param name="Table">The quoted, schema-qualified table.</param>
/// <param name="Columns">The quoted columns, in the order of the values.</param>
/// <param name="KeyColumn">The quoted key column.</param>
/// <param name="KeySqlType">The key column's SQL type (the element type of the key array parameter).</param>
/// <param name="KeyArray">Makes the typed array parameter of a set of keys.</param>
/// <param name="ConflictClause">The <c>ON CONFLICT …</c> clause of a staged round's move.</param>
/// <param name="ToastTupleTarget">The staging table's <c>toast_tuple_target</c> (the collection's), or null for the server's.</param>
internal sealed record BulkUpsertTable(
    string Table, IReadOnlyList<string> Columns, string KeyColumn, string KeySqlType, Func<ICollection<object>, object> KeyArray, string ConflictClause, int? ToastTupleTarget);

/// <summary>
/// Large writes through binary <c>COPY</c>, in rounds, inside the caller's transaction. Binary COPY sends each vector
/// as 4·d bytes with no SQL text and no parameter per value, which is what makes bulk loads fast. Each round is read
/// (and, from the encrypting decorator, encrypted) and encoded (<see cref="PostgresCopyRound"/>) while the rounds before
/// it are written, so the client's work and the server's overlap.
/// </summary>
/// <remarks>
/// <para>An upsert writes each round one of two ways:</para>
/// <list type="bullet">
/// <item><b>Appended:</b> one <c>COPY</c> straight into the table, when none of the round's keys is in it. That is known
/// only while no other transaction can write the table, so the upsert first tries to take the table's
/// <c>SHARE ROW EXCLUSIVE</c> lock without waiting; with it, other writers wait for this transaction (readers do not).</item>
/// <item><b>Staged:</b> a <c>COPY</c> into a temporary table (dropped at commit), then one
/// <c>INSERT … SELECT … ON CONFLICT</c> into the table: when a key of the round is already there, or when another
/// transaction was writing the table as the upsert began (it then locks no more than the rows it writes).</item>
/// </list>
/// <para>
/// Appending writes each row once instead of three times (into the staging table, out of it, into the table): on a
/// PostgreSQL 15 server, 100 000 rows of 384-d took 1.1–1.4 s appended against 1.6–3.0 s staged and moved. Of rows with
/// equal keys in one round only the last is written; a later round's row updates an earlier round's.
/// </para>
/// </remarks>
internal static class PostgresBulkCopy
{
    private const string StagingTable = "veil_copy_stage";
    private const string LockSavepoint = "veil_copy_lock";

    /// <summary>Upserts <paramref name="rows"/> (each a key and one value per column); of rows with equal keys the last wins.</summary>
    /// <param name="connection">An open connection, in a transaction that has not yet run a statement.</param>
    /// <param name="table">The table.</param>
    /// <param name="roundRows">The most rows read (and held, encoded) at a time; a longer sequence is written in rounds.</param>
    /// <param name="roundsAhead">The most rounds read and waiting for (or in) the server while the next is read.</param>
    /// <param name="rows">The rows: keys as <see cref="object.Equals(object)"/> compares them, values as <see cref="PostgresValues.ToStorable"/> makes them.</param>
    /// <param name="cancellationToken">Cancels the load (the transaction then rolls back).</param>
    /// <remarks>
    /// A failure while <paramref name="rows"/> is read (a bad record, a failed encryption) propagates as it was thrown,
    /// once the rounds queued for the server have been written; the caller's transaction then rolls back, and nothing is
    /// written. A round the server refuses stops the reading within <paramref name="roundsAhead"/> rounds, and its error
    /// propagates.
    /// </remarks>
    public static async Task UpsertAsync(
        NpgsqlConnection connection, BulkUpsertTable table, int roundRows, int roundsAhead, IEnumerable<(object Key, object[] Values)> rows, CancellationToken cancellationToken)
    {
        bool appendable = await TryLockAsync(connection, table.Table, cancellationToken).ConfigureAwait(false);
        string columnList = string.Join(", ", table.Columns);
        string append = CopyFrom(table.Table, columnList);
        bool staged = false;
        await InRoundsAsync(rows, roundRows, roundsAhead, async round =>
        {
            if (appendable && !await AnyKeyExistsAsync(connection, table, round.Keys, cancellationToken).ConfigureAwait(false))
            {
                await round.WriteAsync(connection, append, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await StageAndMoveAsync(connection, table, columnList, create: !staged, round, cancellationToken).ConfigureAwait(false);
                staged = true;
            }
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Appends <paramref name="rows"/> to <paramref name="table"/> by binary <c>COPY</c> straight into it (no staging
    /// table, no conflict handling), inside the caller's transaction: for a table without a primary key yet (a
    /// rewrite's new table, see <see cref="PostgresCollection{TKey, TRecord}.BeginRewriteAsync"/>).
    /// </summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="table">The quoted, schema-qualified table.</param>
    /// <param name="columns">The quoted columns, in the order of the values.</param>
    /// <param name="roundRows">The most rows read (and held, encoded) at a time.</param>
    /// <param name="roundsAhead">The most rounds read and waiting for (or in) the server while the next is read.</param>
    /// <param name="rows">The rows, values as <see cref="PostgresValues.ToStorable"/> makes them.</param>
    /// <param name="cancellationToken">Cancels the load (the transaction then rolls back).</param>
    public static Task AppendAsync(
        NpgsqlConnection connection, string table, IReadOnlyList<string> columns, int roundRows, int roundsAhead, IEnumerable<(object Key, object[] Values)> rows, CancellationToken cancellationToken)
    {
        string copy = CopyFrom(table, string.Join(", ", columns));
        return InRoundsAsync(rows, roundRows, roundsAhead, round => round.WriteAsync(connection, copy, cancellationToken));
    }

    /// <summary>
    /// Reads <paramref name="rows"/> into rounds of up to <paramref name="roundRows"/> and writes each with
    /// <paramref name="write"/>, in order, one at a time. Reading goes on while rounds are written: up to
    /// <paramref name="roundsAhead"/> rounds wait for (or are in) the write while the next is read.
    /// </summary>
    /// <remarks>
    /// One round ahead (reading the next round while the last is written) leaves both sides idle in turns: the reader
    /// stops as soon as its round is full and the writer has not finished, and the server stops when the writer's round is
    /// done and the next is not. Their speeds vary round to round (the encrypting decorator's chunks, the server's page
    /// writes), so a few rounds of slack keep both working; docs/scale.md §3 has the measurements.
    /// </remarks>
    private static async Task InRoundsAsync(
        IEnumerable<(object Key, object[] Values)> rows, int roundRows, int roundsAhead, Func<PostgresCopyRound, Task> write)
    {
        var queued = new Queue<(PostgresCopyRound Round, Task Written)>();
        PostgresCopyRound? spare = null;
        Task written = Task.CompletedTask;
        using IEnumerator<(object Key, object[] Values)> source = rows.GetEnumerator();
        try
        {
            while (true)
            {
                // Reuse the oldest round once it is written (and surface its failure before reading on); wait for it only
                // when roundsAhead rounds are queued.
                PostgresCopyRound round;
                if (queued.Count > 0 && (queued.Count == roundsAhead || queued.Peek().Written.IsCompleted))
                {
                    (round, Task oldest) = queued.Dequeue();
                    spare = round;
                    await oldest.ConfigureAwait(false);
                }
                else
                {
                    spare = round = new PostgresCopyRound();
                }

                Read(source, roundRows, round);
                if (round.Count == 0)
                {
                    break;
                }

                spare = null;
                written = WriteAfterAsync(written, round, write);
                queued.Enqueue((round, written));
            }

            await written.ConfigureAwait(false);
        }
        catch
        {
            // The connection is busy until the queued rounds are written: let them finish (their outcome no longer matters,
            // the transaction will roll back) before the exception reaches the caller.
            try
            {
                await written.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
            {
            }

            throw;
        }
        finally
        {
            spare?.Dispose();
            foreach ((PostgresCopyRound round, _) in queued)
            {
                round.Dispose();
            }
        }
    }

    /// <summary>Writes <paramref name="round"/> once <paramref name="previous"/> has been written; not at all if it failed.</summary>
    private static async Task WriteAfterAsync(Task previous, PostgresCopyRound round, Func<PostgresCopyRound, Task> write)
    {
        await previous.ConfigureAwait(false);
        await write(round).ConfigureAwait(false);
    }

    /// <summary>The binary <c>COPY … FROM STDIN</c> into <paramref name="table"/>'s <paramref name="columnList"/>.</summary>
    private static string CopyFrom(string table, string columnList) => $"COPY {table} ({columnList}) FROM STDIN (FORMAT BINARY)";

    private static void Read(IEnumerator<(object Key, object[] Values)> source, int count, PostgresCopyRound round)
    {
        round.Clear();
        for (int read = 0; read < count && source.MoveNext(); read++)
        {
            round.Add(source.Current.Key, source.Current.Values);
        }
    }

    /// <summary>
    /// Takes <paramref name="table"/>'s <c>SHARE ROW EXCLUSIVE</c> lock for the transaction if no other transaction
    /// holds a conflicting one (is writing it) and the role may take it (it needs <c>UPDATE</c>, <c>DELETE</c> or
    /// <c>TRUNCATE</c> on the table): true if taken. The attempt runs under a savepoint, so that a refusal leaves the
    /// transaction usable.
    /// </summary>
    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        using (var savepoint = new NpgsqlCommand($"SAVEPOINT {LockSavepoint}", connection))
        {
            await savepoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        bool taken;
        try
        {
            using var take = new NpgsqlCommand($"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE NOWAIT", connection);
            await take.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            taken = true;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.InsufficientPrivilege)
        {
            taken = false;
        }

        using var end = new NpgsqlCommand(
            taken ? $"RELEASE SAVEPOINT {LockSavepoint}" : $"ROLLBACK TO SAVEPOINT {LockSavepoint}; RELEASE SAVEPOINT {LockSavepoint}", connection);
        await end.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return taken;
    }

    /// <summary>Whether any of <paramref name="keys"/> is the key of a row of the table (an index probe per key).</summary>
    private static async Task<bool> AnyKeyExistsAsync(NpgsqlConnection connection, BulkUpsertTable table, ICollection<object> keys, CancellationToken cancellationToken)
    {
        using var exists = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {table.Table} WHERE {table.KeyColumn} = ANY($1::{table.KeySqlType}[]))", connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = table.KeyArray(keys) });
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Copies <paramref name="round"/> into the staging table (made by the first staged round, emptied by each later one),
    /// then moves it into the table with one <c>INSERT … SELECT … ON CONFLICT</c>.
    /// </summary>
    private static async Task StageAndMoveAsync(
        NpgsqlConnection connection, BulkUpsertTable table, string columnList, bool create, PostgresCopyRound round, CancellationToken cancellationToken)
    {
        string storage = table.ToastTupleTarget is { } target ? FormattableString.Invariant($" WITH (toast_tuple_target = {target})") : string.Empty;
        using (var prepare = new NpgsqlCommand(
            create ? $"CREATE TEMP TABLE {StagingTable} (LIKE {table.Table} INCLUDING DEFAULTS){storage} ON COMMIT DROP" : $"TRUNCATE {StagingTable}",
            connection))
        {
            await prepare.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await round.WriteAsync(connection, CopyFrom(StagingTable, columnList), cancellationToken).ConfigureAwait(false);

        // No command timeout: moving a large batch into a table with an HNSW index takes as long as the index needs
        // (20 000 × 384 took 60 s here, past Npgsql's default 30 s); the cancellation token still stops it.
        using var move = new NpgsqlCommand(
            $"INSERT INTO {table.Table} ({columnList}) SELECT {columnList} FROM {StagingTable} {table.ConflictClause}", connection)
        { CommandTimeout = 0 };
        await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
