using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;
using Pgvector;

namespace Veil.Stores.Postgres;

/// <summary>
/// Up to a round's rows of a bulk load, one per key (of rows with equal keys, the last read), held as the bytes of
/// PostgreSQL's binary <c>COPY</c> format in a pooled buffer. The records and their values are garbage as soon as a row
/// is encoded, so a round held while the one before it is written costs the collector nothing; and one raw write of
/// the buffer replaces a driver call per value.
/// </summary>
/// <remarks>
/// Each value is encoded as the column type's binary input function reads it, as Npgsql writes the same value as a
/// parameter: <c>text</c> as strict UTF-8, integers and floats big-endian, <c>bool</c> as one byte, <c>bytea</c> as
/// is, <c>uuid</c> in RFC 4122 order, <c>timestamptz</c> as microseconds from 2000-01-01 UTC (truncated; the
/// extreme <see cref="DateTimeOffset"/> values as ±infinity unless Npgsql's
/// <c>Npgsql.DisableDateTimeInfinityConversions</c> switch is on), and vectors in pgvector's format.
/// </remarks>
internal sealed class PostgresCopyRound : IDisposable
{
    private const long PostgresEpochTicks = 630_822_816_000_000_000;
    private const int FirstBufferBytes = 64 * 1024;

    private static readonly byte[] s_header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] s_trailer = [0xFF, 0xFF];
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly bool s_infinityConversions =
        !(AppContext.TryGetSwitch("Npgsql.DisableDateTimeInfinityConversions", out bool disabled) && disabled);

    private readonly Dictionary<object, int> _rowOfKey = [];
    private readonly List<int> _rowStarts = [];
    private readonly List<bool> _superseded = [];
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(FirstBufferBytes);
    private int _length;

    /// <summary>Gets the distinct keys of the round's rows.</summary>
    public ICollection<object> Keys => _rowOfKey.Keys;

    /// <summary>Gets the number of rows in the round (one per key).</summary>
    public int Count => _rowOfKey.Count;

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

    /// <summary>Empties the round, keeping its buffer.</summary>
    public void Clear()
    {
        _rowOfKey.Clear();
        _rowStarts.Clear();
        _superseded.Clear();
        _length = 0;
    }

    /// <summary>Encodes a row: its key and one value per column, as <see cref="PostgresValues.ToStorable"/> makes them.</summary>
    /// <exception cref="NotSupportedException">A value has a type no column of the store has.</exception>
    /// <exception cref="EncoderFallbackException">A string is not valid UTF-16 (a lone surrogate).</exception>
    public void Add(object key, object[] values)
    {
        int start = _length;
        Reserve(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), checked((short)values.Length));
        _length += 2;
        foreach (object value in values)
        {
            Encode(value);
        }

        if (_rowOfKey.TryGetValue(key, out int earlier))
        {
            // A COPY cannot insert a key twice, nor ON CONFLICT update a row twice in one statement: the later row replaces it.
            _superseded[earlier] = true;
        }

        _rowOfKey[key] = _rowStarts.Count;
        _rowStarts.Add(start);
        _superseded.Add(false);
    }

    /// <summary>Writes the round with one binary <c>COPY … FROM STDIN</c> (<paramref name="copy"/>).</summary>
    /// <exception cref="PostgresException">The server refused a row (the COPY is then cancelled).</exception>
    public async Task WriteAsync(NpgsqlConnection connection, string copy, CancellationToken cancellationToken)
    {
        NpgsqlRawCopyStream stream = await connection.BeginRawBinaryCopyAsync(copy, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            stream.WriteTimeout = Timeout.Infinite;
            stream.ReadTimeout = Timeout.Infinite;
            try
            {
                await stream.WriteAsync(s_header, cancellationToken).ConfigureAwait(false);
                int row = 0;
                while (row < _rowStarts.Count)
                {
                    // Runs of rows still current, each written in one call.
                    for (; row < _rowStarts.Count && _superseded[row]; row++)
                    {
                    }

                    int first = row;
                    for (; row < _rowStarts.Count && !_superseded[row]; row++)
                    {
                    }

                    if (row > first)
                    {
                        int end = row < _rowStarts.Count ? _rowStarts[row] : _length;
                        await stream.WriteAsync(_buffer.AsMemory(_rowStarts[first], end - _rowStarts[first]), cancellationToken).ConfigureAwait(false);
                    }
                }

                await stream.WriteAsync(s_trailer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Without this the disposal would end the COPY with the stream cut short.
                await stream.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
    }

    private void Encode(object value)
    {
        switch (value)
        {
            case DBNull:
                Field(-1);
                break;
            case Vector vector:
                ReadOnlySpan<float> elements = vector.Memory.Span;
                WriteVector(elements, Field(VectorWireLength(elements.Length)));
                break;
            case string text:
                int length = s_utf8.GetByteCount(text);
                s_utf8.GetBytes(text, Field(length));
                break;
            case int number:
                BinaryPrimitives.WriteInt32BigEndian(Field(4), number);
                break;
            case long number:
                BinaryPrimitives.WriteInt64BigEndian(Field(8), number);
                break;
            case float number:
                BinaryPrimitives.WriteSingleBigEndian(Field(4), number);
                break;
            case double number:
                BinaryPrimitives.WriteDoubleBigEndian(Field(8), number);
                break;
            case bool flag:
                Field(1)[0] = flag ? (byte)1 : (byte)0;
                break;
            case byte[] bytes:
                bytes.CopyTo(Field(bytes.Length));
                break;
            case Guid guid:
                guid.TryWriteBytes(Field(16), bigEndian: true, out _);
                break;
            case DateTimeOffset time:
                BinaryPrimitives.WriteInt64BigEndian(Field(8), Timestamp(time.UtcTicks));
                break;
            default:
                throw new NotSupportedException($"The PostgreSQL store has no column type for values of type {value.GetType().Name}.");
        }
    }

    /// <summary>A <c>timestamptz</c> from UTC ticks: microseconds from 2000-01-01, or ±infinity for the extreme values.</summary>
    private static long Timestamp(long utcTicks) =>
        s_infinityConversions && utcTicks == DateTime.MaxValue.Ticks ? long.MaxValue
        : s_infinityConversions && utcTicks == DateTime.MinValue.Ticks ? long.MinValue
        : (utcTicks - PostgresEpochTicks) / 10;

    /// <summary>Appends a field's length word (−1 for null) and returns the span for its bytes.</summary>
    private Span<byte> Field(int length)
    {
        Reserve(4 + Math.Max(0, length));
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), length);
        _length += 4;
        Span<byte> bytes = _buffer.AsSpan(_length, Math.Max(0, length));
        _length += Math.Max(0, length);
        return bytes;
    }

    private void Reserve(int bytes)
    {
        if (_buffer.Length - _length >= bytes)
        {
            return;
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(checked(_length + bytes), checked(_buffer.Length * 2)));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
