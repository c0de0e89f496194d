using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Veil.Stores.Postgres;

/// <summary>A rewrite of a collection's rows into a new table (see <see cref="PostgresCollection{TKey, TRecord}.BeginRewriteAsync"/>).</summary>
/// <typeparam name="TKey">The collection's key type.</typeparam>
/// <param name="Rows">The rows already appended (by this run or an interrupted one).</param>
/// <param name="LastKey">The largest key appended, the point to resume after; meaningless when <paramref name="Rows"/> is 0.</param>
public sealed record PostgresRewrite<TKey>(long Rows, TKey? LastKey);

/// <content>Rewriting every row into a new table that replaces the collection's in one transaction.</content>
public sealed partial class PostgresCollection<TKey, TRecord>
{
    /// <summary>
    /// Starts, or resumes, a rewrite of the collection: every row is to be appended, changed or not, in ascending key
    /// order, by <see cref="AppendRewriteAsync"/> into a new table with no index, which
    /// <see cref="CompleteRewriteAsync"/> indexes and swaps in for the collection's table in one transaction. Writing new
    /// rows into a table with no index is about twice as cheap for the server as upserting them in place (no staging
    /// table, no conflict check, no index entry, no dead row left behind), and the HNSW index is built once, over the new
    /// table, while the old one keeps serving searches with its own.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>What an interrupted rewrite already appended: resume with the rows after its <see cref="PostgresRewrite{TKey}.LastKey"/>.</returns>
    /// <remarks>
    /// <para>
    /// <b>Resumable:</b> the new table is the checkpoint. Each append is one transaction, so after a crash the new table
    /// holds whole appends, and a re-run continues after its largest key.
    /// </para>
    /// <para>
    /// <b>Writes during the rewrite</b> go to the collection's table as before, and readers see that table until the
    /// swap. A trigger records the key of every row inserted, updated or deleted there from the start of the rewrite;
    /// the swap, with the old table locked against writes, replaces those rows in the new table by their latest version
    /// (or removes them), so no write is lost. <c>TRUNCATE</c> is not recorded. Privileges granted on the table itself
    /// are not carried over to the new one.
    /// </para>
    /// </remarks>
    public async Task<PostgresRewrite<TKey>> BeginRewriteAsync(CancellationToken cancellationToken = default)
    {
        var names = RewriteNames();
        var storage = _options.ToastTupleTarget is { } target ? FormattableString.Invariant($" WITH (toast_tuple_target = {target})") : string.Empty;
        var function = new StringBuilder("CREATE OR REPLACE FUNCTION ").Append(names.Function).Append("() RETURNS trigger LANGUAGE plpgsql AS ")
            .Append(names.BodyQuote).Append(" BEGIN ")
            .Append("IF TG_OP <> 'INSERT' THEN INSERT INTO ").Append(names.Log).Append(" VALUES (OLD.").Append(KeyColumn).Append("); END IF; ")
            .Append("IF TG_OP <> 'DELETE' THEN INSERT INTO ").Append(names.Log).Append(" VALUES (NEW.").Append(KeyColumn).Append("); END IF; ")
            .Append("RETURN NULL; END ").Append(names.BodyQuote).ToString();
        return await RunAsync("BeginRewrite", async connection =>
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var batch = new NpgsqlBatch(connection, transaction);
                await using (batch.ConfigureAwait(false))
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand($"CREATE TABLE IF NOT EXISTS {names.Table} (LIKE {Table} INCLUDING DEFAULTS INCLUDING STORAGE){storage}"));
                    batch.BatchCommands.Add(new NpgsqlBatchCommand($"CREATE TABLE IF NOT EXISTS {names.Log} (key {KeySqlType} NOT NULL)"));
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(function));
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(
                        $"CREATE OR REPLACE TRIGGER {names.Trigger} AFTER INSERT OR UPDATE OR DELETE ON {Table} FOR EACH ROW EXECUTE FUNCTION {names.Function}()"));
                    await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                PostgresRewrite<TKey> rewrite;
                using (var state = new NpgsqlCommand($"SELECT count(*), max({KeyColumn}) FROM {names.Table}", connection, transaction) { CommandTimeout = 0 })
                {
                    var reader = await state.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                        rewrite = new PostgresRewrite<TKey>(reader.GetInt64(0), reader.IsDBNull(1) ? default : (TKey)reader.GetValue(1));
                    }
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return rewrite;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gets whether the collection's table can be rewritten into a new one (<see cref="BeginRewriteAsync"/>): an ordinary
    /// table nothing else depends on. A partitioned table, or one distributed by Citus, cannot: the new table would be a
    /// single plain table on one server. Nor can a table a view or another table's foreign key refers to: the swap
    /// drops the old table. Callers update such a table in place instead.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>True when the table exists, is an ordinary table, no view or foreign key refers to it, and it is not a Citus distributed or reference table.</returns>
    public async Task<bool> CanRewriteAsync(CancellationToken cancellationToken = default) =>
        await RunAsync("CanRewrite", async connection =>
        {
            bool citus;
            using (var table = new NpgsqlCommand("SELECT c.relkind = 'r' " +
                "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid WHERE d.refobjid = c.oid AND r.ev_class <> c.oid) " +
                "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint f WHERE f.contype = 'f' AND f.confrelid = c.oid AND f.conrelid <> c.oid), " +
                "to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL FROM pg_catalog.pg_class c WHERE c.oid = to_regclass($1)", connection))
            {
                table.Parameters.Add(new NpgsqlParameter { Value = Table });
                var reader = await table.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || !reader.GetBoolean(0))
                    {
                        return false;
                    }

                    citus = reader.GetBoolean(1);
                }
            }

            if (!citus)
            {
                return true;
            }

            using var distributed = new NpgsqlCommand("SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = to_regclass($1))", connection);
            distributed.Parameters.Add(new NpgsqlParameter { Value = Table });
            return (bool)(await distributed.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>Gets whether a rewrite was begun (<see cref="BeginRewriteAsync"/>) and not yet completed.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>True when the rewrite's new table exists.</returns>
    public async Task<bool> RewriteExistsAsync(CancellationToken cancellationToken = default) =>
        await RunAsync("RewriteExists", async connection =>
        {
            using var command = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = RewriteNames().Table });
            return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Appends <paramref name="records"/> to the rewrite's new table with one binary <c>COPY</c>, in one transaction
    /// committed with <c>synchronous_commit = off</c>: a server crash may lose the last appends committed, never part of
    /// one, and a re-run appends them again (the rows after the new table's largest key).
    /// </summary>
    /// <param name="records">Rows whose keys are all larger than every key appended before, none repeated.</param>
    /// <param name="cancellationToken">Cancels the append (nothing of it is kept).</param>
    /// <returns>A task that completes when the rows are committed.</returns>
    /// <exception cref="ArgumentException">A record has a null key or a vector of the wrong dimension (nothing is written).</exception>
    public async Task AppendRewriteAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var names = RewriteNames();
        using var source = records.GetEnumerator();
        await RunAsync("AppendRewrite", async connection =>
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                using (var setting = new NpgsqlCommand("SET LOCAL synchronous_commit = off", connection, transaction))
                {
                    await setting.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await PostgresBulkCopy.AppendAsync(connection, names.Table, Columns(), _options.CopyRoundRows, _options.CopyRoundsAhead, StorableRows([], source), cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes a rewrite every row has been appended to: builds the new table's primary key and HNSW indexes (the old
    /// table still serving reads and writes), then, in one transaction that locks the old table against writes, brings
    /// the rows written there since the rewrite began up to date, drops the old table and gives the new one its name.
    /// </summary>
    /// <param name="cancellationToken">Cancels the completion (an index build or the swap); a re-run picks it up.</param>
    /// <returns>False when no rewrite was begun (nothing done).</returns>
    public async Task<bool> CompleteRewriteAsync(CancellationToken cancellationToken = default)
    {
        if (!await RewriteExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var names = RewriteNames();
        var schema = Dialect.Quote(Schema);
        var hnsw = Model.VectorProperties.Where(PostgresDialect.HasHnswIndex).ToList();
        await RunAsync("CompleteRewrite", async connection =>
        {
            // The primary key (named after the new table, so it never collides with the old one's), then the HNSW indexes.
            var build = new NpgsqlBatch(connection) { Timeout = 0 };
            await using (build.ConfigureAwait(false))
            {
                build.BatchCommands.Add(new NpgsqlBatchCommand(
                    $"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '{names.Table.Replace("'", "''", StringComparison.Ordinal)}'::regclass AND contype = 'p') " +
                    $"THEN ALTER TABLE {names.Table} ADD CONSTRAINT {Dialect.Quote(names.Name + "_pkey")} PRIMARY KEY ({KeyColumn}); END IF; END $$"));
                await build.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await BuildIndexesAsync(connection, names.Name, names.Table, cancellationToken).ConfigureAwait(false);

            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                string primaryKey;
                using (var lockTable = new NpgsqlCommand($"LOCK TABLE {Table} IN EXCLUSIVE MODE", connection, transaction) { CommandTimeout = 0 })
                {
                    await lockTable.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                using (var find = new NpgsqlCommand(
                    $"SELECT conname FROM pg_constraint WHERE conrelid = '{Table.Replace("'", "''", StringComparison.Ordinal)}'::regclass AND contype = 'p'",
                    connection,
                    transaction))
                {
                    primaryKey = (string)(await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                }

                var columns = string.Join(", ", Columns());
                var swap = new NpgsqlBatch(connection, transaction) { Timeout = 0 };
                await using (swap.ConfigureAwait(false))
                {
                    swap.BatchCommands.Add(new NpgsqlBatchCommand($"DELETE FROM {names.Table} WHERE {KeyColumn} IN (SELECT key FROM {names.Log})"));
                    swap.BatchCommands.Add(new NpgsqlBatchCommand(
                        $"INSERT INTO {names.Table} ({columns}) SELECT {columns} FROM {Table} WHERE {KeyColumn} IN (SELECT key FROM {names.Log})"));
                    swap.BatchCommands.Add(new NpgsqlBatchCommand($"DROP TABLE {Table}"));
                    swap.BatchCommands.Add(new NpgsqlBatchCommand($"DROP TABLE {names.Log}"));
                    swap.BatchCommands.Add(new NpgsqlBatchCommand($"DROP FUNCTION {names.Function}()"));
                    swap.BatchCommands.Add(new NpgsqlBatchCommand($"ALTER TABLE {names.Table} RENAME TO {Dialect.Quote(Name)}"));
                    swap.BatchCommands.Add(new NpgsqlBatchCommand($"ALTER TABLE {Table} RENAME CONSTRAINT {Dialect.Quote(names.Name + "_pkey")} TO {Dialect.Quote(primaryKey)}"));
                    foreach (var vector in hnsw)
                    {
                        swap.BatchCommands.Add(new NpgsqlBatchCommand(
                            $"ALTER INDEX {schema}.{Dialect.Quote(PostgresDialect.IndexName(Schema, names.Name, vector.StorageName))} " +
                            $"RENAME TO {Dialect.Quote(PostgresDialect.IndexName(Schema, Name, vector.StorageName))}"));
                    }

                    await swap.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    /// <remarks>Also drops what an unfinished rewrite left (its new table, change log and trigger function).</remarks>
    public override async Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        var names = RewriteNames();
        await RunAsync("EnsureCollectionDeleted", async connection =>
        {
            var batch = new NpgsqlBatch(connection);
            await using (batch.ConfigureAwait(false))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("DROP TABLE IF EXISTS " + Table));
                batch.BatchCommands.Add(new NpgsqlBatchCommand("DROP TABLE IF EXISTS " + names.Table));
                batch.BatchCommands.Add(new NpgsqlBatchCommand("DROP TABLE IF EXISTS " + names.Log));
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"DROP FUNCTION IF EXISTS {names.Function}()"));
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The rewrite's objects, named from a hash of the schema and collection (any collection name fits in 63 bytes).</summary>
    private RewriteObjects RewriteNames()
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Schema + "\0" + Name)))[..16];
        var schema = Dialect.Quote(Schema) + ".";
        var name = "veil_rewrite_" + hash;
        return new RewriteObjects(
            name,
            schema + Dialect.Quote(name),
            schema + Dialect.Quote("veil_rewrite_log_" + hash),
            schema + Dialect.Quote("veil_rewrite_trigger_" + hash),
            Dialect.Quote(name),
            "$veil_" + hash + "$");
    }

    /// <summary>A rewrite's new table (bare and qualified name), change log, trigger function and trigger, and the function body's dollar quote.</summary>
    private sealed record RewriteObjects(string Name, string Table, string Log, string Function, string Trigger, string BodyQuote);
}
