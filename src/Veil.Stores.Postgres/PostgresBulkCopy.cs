using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace Veil.Stores.Postgres;

/// <summary>
/// A large upsert through binary <c>COPY</c>: the rows are streamed into a temporary staging table (dropped at commit)
/// as they are produced, and each round of rows staged is moved into the collection's table by one
/// <c>INSERT … SELECT … ON CONFLICT</c>, all inside the caller's transaction. Binary COPY sends each vector as 4·d bytes
/// with no SQL text and no parameter per value, which is what makes bulk loads fast; streaming lets the producer
/// (encryption) run while the server takes in the rows before, and moving in rounds lets it run while the server moves
/// them too.
/// </summary>
internal static class PostgresBulkCopy
{
    private const string StagingTable = "veil_copy_stage";
    private const string OrdinalColumn = "veil_copy_ordinal";

    /// <summary>Upserts <paramref name="rows"/> (each a key and one value per column); of rows with equal keys the last wins.</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="table">The quoted, schema-qualified table.</param>
    /// <param name="columns">The quoted columns, in the order of the values.</param>
    /// <param name="keyColumn">The quoted key column.</param>
    /// <param name="conflictClause">The <c>ON CONFLICT …</c> clause of the final insert.</param>
    /// <param name="toastTupleTarget">The staging table's <c>toast_tuple_target</c> (the collection's), or null for the server's.</param>
    /// <param name="roundRows">The most rows staged at a time; a longer sequence is staged and moved in rounds.</param>
    /// <param name="rows">The rows: keys as <see cref="object.Equals(object)"/> compares them, values as <see cref="PostgresValues.ToStorable"/> makes them.</param>
    /// <param name="cancellationToken">Cancels the load (the transaction then rolls back).</param>
    /// <remarks>
    /// A failure while <paramref name="rows"/> is read (a bad record, a failed encryption) cancels the COPY: nothing is
    /// written, and the exception propagates as it was thrown.
    /// </remarks>
    public static async Task UpsertAsync(
        NpgsqlConnection connection,
        string table,
        IReadOnlyList<string> columns,
        string keyColumn,
        string conflictClause,
        int? toastTupleTarget,
        int roundRows,
        IEnumerable<(object Key, object[] Values)> rows,
        CancellationToken cancellationToken)
    {
        string columnList = string.Join(", ", columns);
        string storage = toastTupleTarget is { } target ? string.Create(CultureInfo.InvariantCulture, $" WITH (toast_tuple_target = {target})") : string.Empty;
        using (var create = new NpgsqlCommand($"CREATE TEMP TABLE {StagingTable} (LIKE {table} INCLUDING DEFAULTS, {OrdinalColumn} bigint){storage} ON COMMIT DROP", connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Keys seen in a round: a repeated key makes its move keep only each key's last row (ON CONFLICT cannot update one
        // row twice in a statement; across rounds, a later round's update simply wins).
        var keys = new HashSet<object>();
        bool repeated = false, more = true;
        using IEnumerator<(object Key, object[] Values)> source = rows.GetEnumerator();
        IEnumerable<(object Key, object[] Values)> Round()
        {
            keys.Clear();
            repeated = false;
            for (int count = 0; count < roundRows; count++)
            {
                if (!(more = source.MoveNext()))
                {
                    yield break;
                }

                repeated |= !keys.Add(source.Current.Key);
                yield return source.Current;
            }
        }

        string copy = $"COPY {StagingTable} ({columnList}, {OrdinalColumn}) FROM STDIN (FORMAT BINARY)";
        for (int round = 0; more; round++)
        {
            if (round > 0)
            {
                using var truncate = new NpgsqlCommand($"TRUNCATE {StagingTable}", connection);
                await truncate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await CopyAsync(connection, copy, Round(), withOrdinal: true, cancellationToken).ConfigureAwait(false);
            if (keys.Count > 0)
            {
                await MoveAsync(connection, table, columnList, keyColumn, conflictClause, repeated, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Moves the staged rows into <paramref name="table"/>: one <c>INSERT … SELECT … ON CONFLICT</c>.</summary>
    private static async Task MoveAsync(
        NpgsqlConnection connection, string table, string columnList, string keyColumn, string conflictClause, bool repeated, CancellationToken cancellationToken)
    {
        var insert = new StringBuilder("INSERT INTO ").Append(table).Append(" (").Append(columnList).Append(") SELECT ");
        if (repeated)
        {
            insert.Append("DISTINCT ON (").Append(keyColumn).Append(") ");
        }

        insert.Append(columnList).Append(" FROM ").Append(StagingTable);
        if (repeated)
        {
            insert.Append(" ORDER BY ").Append(keyColumn).Append(", ").Append(OrdinalColumn).Append(" DESC");
        }

        insert.Append(' ').Append(conflictClause);

        // No command timeout: moving a large batch into a table with an HNSW index takes as long as the index needs
        // (20 000 × 384 took 60 s here, past Npgsql's default 30 s); the cancellation token still stops it.
        using var move = new NpgsqlCommand(insert.ToString(), connection) { CommandTimeout = 0 };
        await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Appends <paramref name="rows"/> to <paramref name="table"/> with one binary <c>COPY</c> straight into it (no
    /// staging table, no conflict handling), inside the caller's transaction: for a table without a primary key yet
    /// (a rewrite's new table, see <see cref="PostgresCollection{TKey, TRecord}.BeginRewriteAsync"/>).
    /// </summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="table">The quoted, schema-qualified table.</param>
    /// <param name="columns">The quoted columns, in the order of the values.</param>
    /// <param name="rows">The rows, values as <see cref="PostgresValues.ToStorable"/> makes them.</param>
    /// <param name="cancellationToken">Cancels the load (the transaction then rolls back).</param>
    public static Task AppendAsync(
        NpgsqlConnection connection, string table, IReadOnlyList<string> columns, IEnumerable<(object Key, object[] Values)> rows, CancellationToken cancellationToken) =>
        CopyAsync(connection, $"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", rows, withOrdinal: false, cancellationToken);

    /// <summary>Streams <paramref name="rows"/> into a binary <c>COPY … FROM STDIN</c>, each followed by its ordinal when <paramref name="withOrdinal"/>.</summary>
    private static async Task CopyAsync(
        NpgsqlConnection connection, string copy, IEnumerable<(object Key, object[] Values)> rows, bool withOrdinal, CancellationToken cancellationToken)
    {
        var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            importer.Timeout = Timeout.InfiniteTimeSpan;
            long ordinal = 0;
            byte[] vectorBytes = [];
            foreach ((_, object[] values) in rows)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                foreach (object value in values)
                {
                    if (value is DBNull)
                    {
                        await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                    }
                    else if (value is Vector vector)
                    {
                        // The field's bytes are whatever the column's binary input reads: pgvector's wire format, written
                        // here in one pass instead of a converter call per float. The importer copies them before it returns.
                        int length = VectorWireLength(vector.Memory.Length);
                        if (vectorBytes.Length < length)
                        {
                            vectorBytes = new byte[length];
                        }

                        WriteVector(vector.Memory.Span, vectorBytes);
                        await importer.WriteAsync(new ReadOnlyMemory<byte>(vectorBytes, 0, length), NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await importer.WriteAsync(value, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (withOrdinal)
                {
                    await importer.WriteAsync(ordinal++, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                }
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The length of a <c>d</c>-dimensional vector in pgvector's binary format.</summary>
    internal static int VectorWireLength(int dimensions) => 4 + (4 * dimensions);

    /// <summary>
    /// Writes <paramref name="vector"/> in pgvector's binary format (what <c>vector_send</c> writes and <c>vector_recv</c>
    /// reads): the dimension and an unused word as big-endian 16-bit integers, then each element as a big-endian float.
    /// </summary>
    internal static void WriteVector(ReadOnlySpan<float> vector, Span<byte> destination)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, checked((short)vector.Length));
        BinaryPrimitives.WriteInt16BigEndian(destination[2..], 0);
        Span<int> elements = MemoryMarshal.Cast<byte, int>(destination.Slice(4, 4 * vector.Length));
        ReadOnlySpan<int> bits = MemoryMarshal.Cast<float, int>(vector);
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(bits, elements);
        }
        else
        {
            bits.CopyTo(elements);
        }
    }
}
