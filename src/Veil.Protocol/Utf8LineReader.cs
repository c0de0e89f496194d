using System.Text;
using System.Text.Unicode;

namespace Veil.Protocol;

/// <summary>
/// Splits a UTF-8 stream into lines without decoding it: a chunk of lines at a time, each a slice of one buffer that
/// stays valid until the next chunk is read. Lines end at <c>\n</c>, <c>\r\n</c> or <c>\r</c> (as
/// <see cref="TextReader.ReadLine"/>); a leading UTF-8 byte order mark is skipped; blank lines (white space only, as
/// <see cref="string.IsNullOrWhiteSpace"/>) are dropped.
/// </summary>
internal sealed class Utf8LineReader(Stream input)
{
    private static readonly byte[] s_byteOrderMark = [0xEF, 0xBB, 0xBF];

    private byte[] _buffer = new byte[1 << 20];
    private int _start;
    private int _end;
    private bool _endOfStream;
    private bool _started;

    /// <summary>
    /// Reads up to <c>lines.Length</c> lines, stopping early once they hold <paramref name="byteBudget"/> bytes;
    /// returns how many (0 at the end). The previous chunk's lines are invalid afterwards.
    /// </summary>
    public int ReadChunk(Memory<byte>[] lines, long byteBudget)
    {
        // The previous chunk is done with: keep only the unread rest, at the front.
        _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
        _end -= _start;
        _start = 0;
        if (!_started)
        {
            while (_end < s_byteOrderMark.Length && Fill())
            {
            }

            _start = _buffer.AsSpan(0, _end).StartsWith(s_byteOrderMark) ? s_byteOrderMark.Length : 0;
            _started = true;
        }

        int count = 0;
        long bytes = 0;
        while (count < lines.Length && bytes < byteBudget)
        {
            Span<byte> rest = _buffer.AsSpan(_start, _end - _start);
            int terminator = rest.IndexOfAny((byte)'\n', (byte)'\r');

            // A line is complete at a terminator, except a final \r that may start \r\n; or at the end of the stream.
            if (terminator >= 0 && (rest[terminator] == (byte)'\n' || terminator + 1 < rest.Length || _endOfStream))
            {
                int skip = rest[terminator] == (byte)'\r' && terminator + 1 < rest.Length && rest[terminator + 1] == (byte)'\n' ? 2 : 1;
                count += Add(lines, count, _start, terminator, ref bytes);
                _start += terminator + skip;
                continue;
            }

            if (_endOfStream)
            {
                if (rest.Length > 0)
                {
                    count += Add(lines, count, _start, rest.Length, ref bytes);
                    _start = _end;
                }

                break;
            }

            if (_end == _buffer.Length)
            {
                if (count > 0)
                {
                    // Lines of this chunk point into the buffer: it moves only between chunks.
                    break;
                }

                if (_buffer.Length == Array.MaxLength)
                {
                    throw new InvalidDataException("A line is longer than the largest buffer.");
                }

                byte[] larger = new byte[(int)Math.Min((long)_buffer.Length * 2, Array.MaxLength)];
                _buffer.AsSpan(_start, _end - _start).CopyTo(larger);
                _end -= _start;
                _start = 0;
                _buffer = larger;
            }

            Fill();
        }

        return count;
    }

    private int Add(Memory<byte>[] lines, int index, int start, int length, ref long bytes)
    {
        Memory<byte> line = _buffer.AsMemory(start, length);
        if (IsBlank(line.Span))
        {
            return 0;
        }

        // Invalid UTF-8 becomes U+FFFD, as a decoding reader gives it.
        lines[index] = Utf8.IsValid(line.Span) ? line : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(line.Span));
        bytes += length;
        return 1;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        ReadOnlySpan<byte> trimmed = line.TrimStart(" \t\v\f"u8);
        return trimmed.IsEmpty || (trimmed[0] is not (byte)'{' && string.IsNullOrWhiteSpace(Encoding.UTF8.GetString(line)));
    }

    private bool Fill()
    {
        int read = input.Read(_buffer, _end, _buffer.Length - _end);
        _end += read;
        _endOfStream = read == 0;
        return read > 0;
    }
}
