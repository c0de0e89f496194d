using System.Buffers;

namespace Veil.Protocol;

/// <summary>
/// A growable <see cref="IBufferWriter{T}"/> of bytes on <see cref="ArrayPool{T}.Shared"/>, for the key service's request
/// and response bodies: no large array is allocated per body (a 64-vector JSON batch is ~300 KB, which would otherwise
/// land on the large object heap twice or more per request and drive gen-2 collections). What was written is cleared
/// before an array goes back to the pool, since a body may hold plaintext vectors or values.
/// </summary>
/// <remarks>Not thread-safe. Dispose it once <see cref="WrittenMemory"/> is no longer used.</remarks>
public sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int MinimumCapacity = 256;

    private byte[] _buffer;
    private int _written;

    /// <summary>Rents a buffer of at least <paramref name="initialCapacity"/> bytes (at least 256).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialCapacity"/> is negative.</exception>
    public PooledBufferWriter(int initialCapacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, MinimumCapacity));
    }

    /// <summary>The number of bytes written.</summary>
    public int WrittenCount => _written;

    /// <summary>The bytes written.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>The bytes written; valid until the writer grows or is disposed.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>
    /// Reads <paramref name="stream"/> to its end into a new writer, starting from <paramref name="length"/> (a
    /// Content-Length, trusted only up to <paramref name="initialCapacityLimit"/> before the bytes arrive) and doubling
    /// as needed.
    /// </summary>
    /// <param name="stream">The body.</param>
    /// <param name="length">The announced length, when there is one.</param>
    /// <param name="initialCapacityLimit">The most bytes rented before any arrive.</param>
    /// <param name="maxLength">The most bytes accepted.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="InvalidDataException">The stream holds more than <paramref name="maxLength"/> bytes.</exception>
    public static async Task<PooledBufferWriter> ReadFromAsync(Stream stream, long? length, int initialCapacityLimit, long maxLength, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var writer = new PooledBufferWriter((int)Math.Clamp(length ?? 0, 0, Math.Max(0, initialCapacityLimit)));
        try
        {
            while (true)
            {
                int read = await stream.ReadAsync(writer.GetMemory(MinimumCapacity), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return writer;
                }

                writer.Advance(read);
                if (writer._written > maxLength)
                {
                    throw new InvalidDataException($"The body is longer than {maxLength} bytes.");
                }
            }
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Clears what was written and returns the buffer to the pool.</summary>
    public void Dispose()
    {
        byte[] buffer = _buffer;
        if (buffer.Length == 0)
        {
            return;
        }

        _buffer = [];
        buffer.AsSpan(0, _written).Clear();
        _written = 0;
        ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Makes room for <paramref name="sizeHint"/> more bytes (at least one), doubling the buffer when it is short.</summary>
    private void Reserve(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        int size = (int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)_written + needed));
        if (size - _written < needed)
        {
            throw new InvalidOperationException($"A body cannot grow past {Array.MaxLength} bytes.");
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _written).CopyTo(larger);
        _buffer.AsSpan(0, _written).Clear();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
