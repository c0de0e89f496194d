using System.Threading.Channels;

namespace Veil.Sealed;

/// <summary>A write-only stream that only counts the bytes written (to size a snapshot before sealing its chunks).</summary>
internal sealed class CountingStream : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Position;

    public override long Position { get; set; }

    public override void Write(byte[] buffer, int offset, int count) => Position += count;

    public override void Write(ReadOnlySpan<byte> buffer) => Position += buffer.Length;

    public override void WriteByte(byte value) => Position++;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>
/// A write-only stream that cuts what is written into chunks of a fixed size, seals each one (<paramref name="seal"/>
/// gets the chunk's index and plaintext) and hands it to a bounded channel, blocking while the channel is full: the
/// writer's memory stays bounded by the chunk size and the channel's capacity.
/// </summary>
internal sealed class ChunkSealingStream(ChannelWriter<ReadOnlyMemory<byte>> output, int chunkBytes, Func<int, ReadOnlyMemory<byte>, byte[]> seal) : Stream
{
    private readonly byte[] _buffer = new byte[chunkBytes];
    private int _filled;

    public int Chunks { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int take = Math.Min(buffer.Length, _buffer.Length - _filled);
            buffer[..take].CopyTo(_buffer.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (_filled == _buffer.Length)
            {
                Emit();
            }
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Seals and emits the last, partial chunk (if any bytes remain).</summary>
    public void Finish()
    {
        if (_filled > 0)
        {
            Emit();
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Emit()
    {
        byte[] chunk = seal(Chunks, _buffer.AsMemory(0, _filled));
        _filled = 0;
        Chunks++;
        while (!output.TryWrite(chunk))
        {
            if (!output.WaitToWriteAsync().AsTask().GetAwaiter().GetResult())
            {
                throw new OperationCanceledException("The snapshot's reader stopped.");
            }
        }
    }
}

/// <summary>A read-only stream over byte arrays arriving on a channel (blocking until the next one arrives).</summary>
internal sealed class ChannelReadStream(ChannelReader<byte[]> input, CancellationToken cancellationToken) : Stream
{
    private byte[] _current = [];
    private int _offset;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_offset == _current.Length)
        {
            if (!input.TryRead(out byte[]? next))
            {
                if (!input.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
                {
                    return 0;
                }

                continue;
            }

            _current = next;
            _offset = 0;
        }

        int take = Math.Min(buffer.Length, _current.Length - _offset);
        _current.AsSpan(_offset, take).CopyTo(buffer);
        _offset += take;
        return take;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
