using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Veil.Cli.JsonLines;

/// <summary>
/// Streams JSON Lines from input to output with flat memory: reads a chunk of lines, parses them (in parallel),
/// hands the well-formed ones to the command's <see cref="LineHandler{TRequest, TResult}"/> (which uses the core
/// batch APIs), writes one output line per input line in input order, flushes, and repeats. Blank lines are skipped.
/// A line that fails becomes <c>{"id":…,"error":"…"}</c> and the others carry on.
/// </summary>
internal static class JsonLinesPipeline
{
    /// <summary>Lines per chunk: enough to keep every core busy, small enough to bound memory.</summary>
    public const int DefaultChunkSize = 2048;

    // A chunk also ends once it holds this many characters, so that long lines (d = 1536) do not grow it unduly.
    private const long ChunkCharacterBudget = 8L << 20;

    // Output is flushed to the writer whenever this many bytes are pending.
    private const int OutputFlushThreshold = 1 << 20;

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        // Not HTML: keep '+' in base64 and non-ASCII text readable. Quotes, backslashes and controls are still escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = 64 };

    /// <summary>Runs the pipeline and returns the exit code.</summary>
    public static int Run<TRequest, TResult>(
        TextReader input,
        TextWriter output,
        LineHandler<TRequest, TResult> handler,
        int chunkSize = DefaultChunkSize,
        CancellationToken cancellationToken = default)
        where TRequest : LineRequest, new()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        var lines = new string[chunkSize];
        var parsed = new ParsedLine<TRequest>[chunkSize];
        var outcomeIndex = new int[chunkSize];
        var rendered = new RenderedLine[chunkSize];
        var requests = new List<TRequest>(chunkSize);
        var sink = new OutputSink(output);
        FailureKind worst = FailureKind.None;

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = ReadChunk(input, lines);
            if (count == 0)
            {
                break;
            }

            ParseChunk(handler, lines, parsed, count);
            requests.Clear();
            for (int i = 0; i < count; i++)
            {
                outcomeIndex[i] = -1;
                if (parsed[i].Request is { } request)
                {
                    outcomeIndex[i] = requests.Count;
                    requests.Add(request);
                }
            }

            var outcomes = new LineOutcome<TResult>[requests.Count];
            if (requests.Count > 0)
            {
                handler.Process(requests, outcomes);
            }

            RenderChunk(handler, parsed, outcomeIndex, outcomes, rendered, count);
            for (int i = 0; i < count; i++)
            {
                sink.Write(rendered[i].Utf8);
                worst = rendered[i].Kind > worst ? rendered[i].Kind : worst;
                lines[i] = null!;
                parsed[i] = default;
                rendered[i] = default;
            }

            sink.Flush();
        }

        return worst switch
        {
            FailureKind.None => ExitCodes.Success,
            FailureKind.Integrity => ExitCodes.IntegrityFailure,
            _ => ExitCodes.Failed,
        };
    }

    // Formatting floats is a large part of the work, so lines are rendered in parallel and written in order.
    private static void RenderChunk<TRequest, TResult>(
        LineHandler<TRequest, TResult> handler,
        ParsedLine<TRequest>[] parsed,
        int[] outcomeIndex,
        LineOutcome<TResult>[] outcomes,
        RenderedLine[] rendered,
        int count)
        where TRequest : LineRequest, new()
    {
        if (count < 32)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using var writer = new Utf8JsonWriter(buffer, s_writerOptions);
            for (int i = 0; i < count; i++)
            {
                rendered[i] = Render(handler, parsed[i], outcomeIndex[i] < 0 ? default : outcomes[outcomeIndex[i]], buffer, writer);
            }

            return;
        }

        Parallel.For(
            0,
            count,
            () =>
            {
                var buffer = new ArrayBufferWriter<byte>();
                return (Buffer: buffer, Writer: new Utf8JsonWriter(buffer, s_writerOptions));
            },
            (i, _, local) =>
            {
                rendered[i] = Render(handler, parsed[i], outcomeIndex[i] < 0 ? default : outcomes[outcomeIndex[i]], local.Buffer, local.Writer);
                return local;
            },
            local => local.Writer.Dispose());
    }

    private static RenderedLine Render<TRequest, TResult>(
        LineHandler<TRequest, TResult> handler, ParsedLine<TRequest> line, LineOutcome<TResult> outcome, ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer)
        where TRequest : LineRequest, new()
    {
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        writer.WriteStartObject();
        if (line.RawId is { } rawId)
        {
            writer.WritePropertyName("id"u8);
            writer.WriteRawValue(rawId, skipInputValidation: true);
        }

        FailureKind kind;
        if (line.Request is { } request)
        {
            kind = outcome.Kind;
            if (outcome.IsSuccess)
            {
                handler.WriteResult(writer, request, outcome.Value!);
            }
            else
            {
                writer.WriteString("error"u8, outcome.Error);
            }
        }
        else
        {
            kind = FailureKind.Failed;
            writer.WriteString("error"u8, line.Error);
        }

        writer.WriteEndObject();
        writer.Flush();
        buffer.Write("\n"u8);
        return new RenderedLine(buffer.WrittenSpan.ToArray(), kind);
    }

    private static int ReadChunk(TextReader input, string[] lines)
    {
        int count = 0;
        long characters = 0;
        while (count < lines.Length && characters < ChunkCharacterBudget && input.ReadLine() is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                lines[count++] = line;
                characters += line.Length;
            }
        }

        return count;
    }

    private static void ParseChunk<TRequest, TResult>(
        LineHandler<TRequest, TResult> handler, string[] lines, ParsedLine<TRequest>[] parsed, int count)
        where TRequest : LineRequest, new()
    {
        if (count < 32)
        {
            for (int i = 0; i < count; i++)
            {
                parsed[i] = ParseLine(handler, lines[i]);
            }

            return;
        }

        Parallel.For(0, count, i => parsed[i] = ParseLine(handler, lines[i]));
    }

    private static ParsedLine<TRequest> ParseLine<TRequest, TResult>(LineHandler<TRequest, TResult> handler, string line)
        where TRequest : LineRequest, new()
    {
        byte[] bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(line.Length));
        var request = new TRequest();
        try
        {
            int length = Encoding.UTF8.GetBytes(line, bytes);
            var reader = new Utf8JsonReader(bytes.AsSpan(0, length), isFinalBlock: true, new JsonReaderState(s_readerOptions));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new LineFormatException("Each line must be a JSON object.");
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    int start = checked((int)reader.TokenStartIndex);
                    reader.Skip();
                    request.RawId = bytes.AsSpan(start, checked((int)reader.BytesConsumed) - start).ToArray();
                }
                else if (!handler.ReadProperty(ref reader, request))
                {
                    reader.Skip();
                }
            }

            // Trailing content after the object makes the reader throw (it does not allow multiple values).
            _ = reader.Read();
            handler.Validate(request);
            return new ParsedLine<TRequest>(request, request.RawId, null);
        }
        catch (JsonException e)
        {
            // Only the position: the reader's own message can quote the offending text, which may be plaintext.
            return new ParsedLine<TRequest>(null, request.RawId, $"Malformed JSON at byte {e.BytePositionInLine ?? 0} of the line.");
        }
        catch (LineFormatException e)
        {
            return new ParsedLine<TRequest>(null, request.RawId, e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private readonly record struct ParsedLine<TRequest>(TRequest? Request, byte[]? RawId, string? Error);

    private readonly record struct RenderedLine(byte[] Utf8, FailureKind Kind);

    /// <summary>Transcodes the UTF-8 output to the text writer, in blocks, without per-line strings.</summary>
    private sealed class OutputSink(TextWriter output)
    {
        private readonly ArrayBufferWriter<byte> _pending = new(OutputFlushThreshold * 2);
        private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
        private char[] _chars = new char[4096];

        public void Write(ReadOnlySpan<byte> utf8)
        {
            _pending.Write(utf8);
            if (_pending.WrittenCount >= OutputFlushThreshold)
            {
                Drain();
            }
        }

        public void Flush()
        {
            Drain();
            output.Flush();
        }

        private void Drain()
        {
            ReadOnlySpan<byte> bytes = _pending.WrittenSpan;
            if (bytes.IsEmpty)
            {
                return;
            }

            int needed = _decoder.GetCharCount(bytes, flush: false);
            if (needed > _chars.Length)
            {
                _chars = new char[Math.Max(needed, _chars.Length * 2)];
            }

            int written = _decoder.GetChars(bytes, _chars, flush: false);
            output.Write(_chars, 0, written);
            _pending.ResetWrittenCount();
        }
    }
}
