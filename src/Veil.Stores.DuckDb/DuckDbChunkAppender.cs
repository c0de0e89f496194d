using System.Buffers.Binary;
using System.Data.Common;
using System.Text;
using DuckDBConnection = DuckDB.NET.Data.DuckDBConnection;
using DuckDB.NET.Native;
using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Stores.Sql;

namespace Veil.Stores.DuckDb;

/// <summary>
/// Bulk-loads rows into one table through DuckDB's C appender, a data chunk at a time, writing each value straight
/// into the chunk's column vectors: a vector's floats are one memory copy, where the ADO.NET appender writes them one
/// boxed value at a time (a third of the store's CPU time per row at d = 384).
/// </summary>
/// <remarks>
/// Runs on the connection's current transaction. Column types are checked against the properties before the first
/// row, so a value is never written into a column of another width. Rows are handed to DuckDB when the chunk is full
/// and on <see cref="Close"/>; constraint violations surface there, as <see cref="DuckDbAppendException"/>.
/// </remarks>
internal sealed unsafe class DuckDbChunkAppender : IDisposable
{
    private static readonly long s_unixEpochTicks = DateTime.UnixEpoch.Ticks;

    private readonly DuckDBAppender _appender;
    private readonly DuckDBDataChunk _chunk;
    private readonly Column[] _columns;
    private readonly IntPtr[] _vectors;
    private readonly ulong*[] _validity;
    private readonly void*[] _data;
    private readonly int _capacity;
    private byte[] _utf8 = new byte[256];
    private int _rows;
    private bool _closed;

    /// <param name="connection">An open connection; the rows join its current transaction.</param>
    /// <param name="table">The table's name, unquoted.</param>
    /// <param name="columns">The property stored in each of the table's columns, in column order.</param>
    /// <exception cref="DuckDbAppendException">DuckDB cannot append to the table, or a column's type does not hold its property.</exception>
    public DuckDbChunkAppender(DuckDBConnection connection, string table, IReadOnlyList<PropertyModel> columns)
    {
        if (NativeMethods.Appender.DuckDBAppenderCreate(connection.NativeConnection, null!, table, out _appender) != DuckDBState.Success)
        {
            string message = ErrorMessage();
            _appender.Dispose();
            throw new DuckDbAppendException(message);
        }

        var types = new DuckDBLogicalType[columns.Count];
        try
        {
            _columns = new Column[columns.Count];
            for (int c = 0; c < columns.Count; c++)
            {
                types[c] = NativeMethods.Appender.DuckDBAppenderColumnType(_appender, (ulong)c);
                _columns[c] = Column.For(columns[c], types[c]);
            }

            _chunk = NativeMethods.DataChunks.DuckDBCreateDataChunk([.. types.Select(t => t.DangerousGetHandle())], (ulong)types.Length);
        }
        catch
        {
            _appender.Dispose();
            throw;
        }
        finally
        {
            foreach (DuckDBLogicalType type in types)
            {
                type?.Dispose();
            }
        }

        _capacity = checked((int)NativeMethods.Helpers.DuckDBVectorSize());
        _vectors = new IntPtr[_columns.Length];
        _validity = new ulong*[_columns.Length];
        _data = new void*[_columns.Length];
        StartChunk();
    }

    /// <summary>Appends one row.</summary>
    /// <param name="values">The row's values in column order: null, or the property's type (a vector as <see cref="ReadOnlyMemory{T}"/> of float, of the column's dimension).</param>
    public void AppendRow(ReadOnlySpan<object?> values)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        int row = _rows;
        for (int c = 0; c < _columns.Length; c++)
        {
            ulong* validity = _validity[c];
            ulong bit = 1UL << (row & 63);
            if (values[c] is not { } value)
            {
                validity[row >> 6] &= ~bit;
                continue;
            }

            validity[row >> 6] |= bit;
            void* data = _data[c];
            switch (_columns[c].Kind)
            {
                case Kind.Text:
                    WriteBytes(c, row, Utf8((string)value));
                    break;
                case Kind.Blob:
                    WriteBytes(c, row, (byte[])value);
                    break;
                case Kind.Int32:
                    ((int*)data)[row] = (int)value;
                    break;
                case Kind.Int64:
                    ((long*)data)[row] = (long)value;
                    break;
                case Kind.Float32:
                    ((float*)data)[row] = (float)value;
                    break;
                case Kind.Float64:
                    ((double*)data)[row] = (double)value;
                    break;
                case Kind.Boolean:
                    ((byte*)data)[row] = (bool)value ? (byte)1 : (byte)0;
                    break;
                case Kind.Timestamp:
                    // TIMESTAMPTZ: microseconds since the Unix epoch, UTC.
                    ((long*)data)[row] = Math.DivRem(((DateTimeOffset)value).UtcTicks - s_unixEpochTicks, TimeSpan.TicksPerMicrosecond, out long rest)
                        - (rest < 0 ? 1 : 0);
                    break;
                case Kind.Uuid:
                    WriteUuid((Int128*)data + row, (Guid)value);
                    break;
                default:
                    int dimensions = _columns[c].Dimensions;
                    ReadOnlySpan<float> vector = ((ReadOnlyMemory<float>)value).Span;
                    if (vector.Length != dimensions)
                    {
                        throw new ArgumentException($"A vector of {vector.Length} dimensions cannot go into a FLOAT[{dimensions}] column.", nameof(values));
                    }

                    vector.CopyTo(new Span<float>((float*)data + ((long)row * dimensions), dimensions));
                    break;
            }
        }

        if (++_rows == _capacity)
        {
            Flush();
        }
    }

    /// <summary>Hands the last rows to DuckDB and closes the appender.</summary>
    /// <exception cref="DuckDbAppendException">DuckDB refused the rows (a constraint, for example).</exception>
    public void Close()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_rows != 0)
        {
            Flush();
        }

        _closed = true;
        if (NativeMethods.Appender.DuckDBAppenderClose(_appender) != DuckDBState.Success)
        {
            throw new DuckDbAppendException(ErrorMessage());
        }
    }

    /// <summary>Releases the appender; rows not yet handed over by <see cref="Close"/> are discarded.</summary>
    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            NativeMethods.Appender.DuckDBAppenderClear(_appender);
        }

        _chunk.Dispose();
        _appender.Dispose();
    }

    /// <summary>
    /// UUID is stored as a 128-bit integer: the UUID's bytes in string order, big-endian, with the top bit flipped so
    /// that integer order is the UUIDs' order.
    /// </summary>
    private static void WriteUuid(Int128* destination, Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);
        *destination = BinaryPrimitives.ReadInt128BigEndian(bytes) ^ (Int128.One << 127);
    }

    /// <summary>Writes a VARCHAR or BLOB value; DuckDB copies the bytes.</summary>
    private void WriteBytes(int column, int row, ReadOnlySpan<byte> value)
    {
        fixed (byte* bytes = value)
        {
            NativeMethods.Vectors.DuckDBVectorAssignStringElementLength(_vectors[column], (ulong)row, bytes, value.Length);
        }
    }

    /// <summary>The UTF-8 bytes of <paramref name="value"/>, in a buffer reused from row to row.</summary>
    private ReadOnlySpan<byte> Utf8(string value)
    {
        int length = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_utf8.Length < length)
        {
            _utf8 = new byte[Math.Max(length, _utf8.Length * 2)];
        }

        return _utf8.AsSpan(0, Encoding.UTF8.GetBytes(value, _utf8));
    }

    private void Flush()
    {
        NativeMethods.DataChunks.DuckDBDataChunkSetSize(_chunk, (ulong)_rows);
        if (NativeMethods.Appender.DuckDBAppendDataChunk(_appender, _chunk) != DuckDBState.Success)
        {
            throw new DuckDbAppendException(ErrorMessage());
        }

        NativeMethods.DataChunks.DuckDBDataChunkReset(_chunk);
        _rows = 0;
        StartChunk();
    }

    /// <summary>Finds each column's buffers in the (reset) chunk, with a writable validity mask.</summary>
    private void StartChunk()
    {
        for (int c = 0; c < _columns.Length; c++)
        {
            IntPtr vector = NativeMethods.DataChunks.DuckDBDataChunkGetVector(_chunk, c);
            NativeMethods.Vectors.DuckDBVectorEnsureValidityWritable(vector);
            _vectors[c] = vector;
            _validity[c] = NativeMethods.Vectors.DuckDBVectorGetValidity(vector);
            _data[c] = _columns[c].Kind == Kind.Vector
                ? NativeMethods.Vectors.DuckDBVectorGetData(NativeMethods.Vectors.DuckDBArrayVectorGetChild(vector))
                : NativeMethods.Vectors.DuckDBVectorGetData(vector);
        }
    }

    private string ErrorMessage()
    {
        using DuckDBErrorData error = NativeMethods.Appender.DuckDBAppenderErrorData(_appender);
        return error.IsInvalid ? "the appender failed" : NativeMethods.ErrorData.DuckDBErrorDataMessage(error);
    }

    private enum Kind
    {
        Text,
        Blob,
        Int32,
        Int64,
        Float32,
        Float64,
        Boolean,
        Timestamp,
        Uuid,
        Vector,
    }

    private readonly record struct Column(Kind Kind, int Dimensions)
    {
        /// <summary>How a property is written, after checking that the column's type holds it.</summary>
        public static Column For(PropertyModel property, DuckDBLogicalType type)
        {
            DuckDBType actual = NativeMethods.LogicalType.DuckDBGetTypeId(type);
            if (property is VectorPropertyModel vector)
            {
                if (actual != DuckDBType.Array || NativeMethods.LogicalType.DuckDBArrayVectorGetSize(type) != vector.Dimensions)
                {
                    throw Mismatch(property, DuckDbDialect.Instance.VectorType(vector.Dimensions));
                }

                using DuckDBLogicalType child = NativeMethods.LogicalType.DuckDBArrayTypeChildType(type);
                return NativeMethods.LogicalType.DuckDBGetTypeId(child) == DuckDBType.Float
                    ? new Column(Kind.Vector, vector.Dimensions)
                    : throw Mismatch(property, DuckDbDialect.Instance.VectorType(vector.Dimensions));
            }

            Type clr = Nullable.GetUnderlyingType(property.Type) ?? property.Type;
            (Kind kind, DuckDBType expected) =
                clr == typeof(string) ? (Kind.Text, DuckDBType.Varchar)
                : clr == typeof(byte[]) ? (Kind.Blob, DuckDBType.Blob)
                : clr == typeof(int) ? (Kind.Int32, DuckDBType.Integer)
                : clr == typeof(long) ? (Kind.Int64, DuckDBType.BigInt)
                : clr == typeof(float) ? (Kind.Float32, DuckDBType.Float)
                : clr == typeof(double) ? (Kind.Float64, DuckDBType.Double)
                : clr == typeof(bool) ? (Kind.Boolean, DuckDBType.Boolean)
                : clr == typeof(DateTimeOffset) ? (Kind.Timestamp, DuckDBType.TimestampTz)
                : clr == typeof(Guid) ? (Kind.Uuid, DuckDBType.Uuid)
                : throw new NotSupportedException(
                    $"Property '{property.ModelName}' has type {clr.Name}; the DuckDB store supports {SqlModelBuilder.SupportedDataTypes}.");
            return actual == expected ? new Column(kind, 0) : throw Mismatch(property, DuckDbDialect.Instance.ColumnType(property));
        }

        private static DuckDbAppendException Mismatch(PropertyModel property, string expected) =>
            new($"column '{property.StorageName}' does not have the type {expected} that property '{property.ModelName}' needs");
    }
}

/// <summary>DuckDB refused rows handed to <see cref="DuckDbChunkAppender"/>; the message is DuckDB's.</summary>
internal sealed class DuckDbAppendException(string message) : DbException(message);
