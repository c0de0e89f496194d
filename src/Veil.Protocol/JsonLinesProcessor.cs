using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;

namespace Veil.Protocol;

/// <summary>
/// JSON Lines framing with flat memory: reads a chunk of lines, parses them (in parallel) into items, processes the
/// chunk as one batch, writes one output line per input line in input order, flushes, and repeats; reading, processing
/// and writing overlap, one chunk each (at most five chunks are held at once). Blank lines are
/// skipped. A line that fails becomes <c>{"id":…,"error":"…","code":"…"}</c> and the others carry on.
/// </summary>
public static class JsonLinesProcessor
{
    /// <summary>Lines per chunk: enough to keep every core busy, small enough to bound memory.</summary>
    public const int DefaultChunkSize = 2048;

    // A chunk also ends once it holds this many characters, so that long lines (d = 1536) do not grow it unduly.
    private const long ChunkCharacterBudget = 8L << 20;

    // Below this many lines a chunk is parsed and rendered on the calling thread.
    private const int ParallelThreshold = 32;

    /// <summary>Runs <paramref name="operation"/> over every line with <paramref name="client"/>; returns the most severe failure met.</summary>
    public static ItemErrorCode Run(
        TextReader input,
        TextWriter output,
        IItemOperation operation,
        VeilClient client,
        OperationScope scope,
        int chunkSize = DefaultChunkSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return Run(input, output, operation.RequestMembers, (items, arena) => operation.Process(client, items, scope, arena), chunkSize, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="process"/> over every chunk of lines (read with <paramref name="requestMembers"/>; lines
    /// that did not parse are passed as failed items) and returns the most severe failure met. When
    /// <paramref name="process"/> throws, every line of the chunk fails with that error (mapped by
    /// <see cref="ItemError.From"/>).
    /// </summary>
    public static ItemErrorCode Run(
        TextReader input,
        TextWriter output,
        ItemMembers requestMembers,
        Func<IReadOnlyList<ProtocolItem>, IReadOnlyList<ProtocolItem>> process,
        int chunkSize = DefaultChunkSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(process);
        return Run(input, output, requestMembers, (items, _) => process(items), chunkSize, cancellationToken);
    }

    private static ItemErrorCode Run(
        TextReader input,
        TextWriter output,
        ItemMembers requestMembers,
        ProcessChunk process,
        int chunkSize,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        var lines = new string[chunkSize];
        var sink = new OutputSink(output);
        return RunChunks(
            () => ReadChunk(input, lines),
            (i, arena) =>
            {
                ProtocolItem item = ParseLine(lines[i], requestMembers, arena);
                lines[i] = null!;
                return item;
            },
            sink.Write,
            sink.Flush,
            process,
            chunkSize,
            cancellationToken);
    }

    /// <summary>
    /// <see cref="Run(TextReader, TextWriter, IItemOperation, VeilClient, OperationScope, int, CancellationToken)"/> on
    /// UTF-8 streams, without decoding lines to text and back (the bulk path): the same output bytes for UTF-8 input.
    /// A leading UTF-8 byte order mark is skipped; invalid UTF-8 is replaced by U+FFFD as a decoding reader does.
    /// </summary>
    public static ItemErrorCode Run(
        Stream input,
        Stream output,
        IItemOperation operation,
        VeilClient client,
        OperationScope scope,
        int chunkSize = DefaultChunkSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return Run(input, output, operation.RequestMembers, (items, arena) => operation.Process(client, items, scope, arena), chunkSize, cancellationToken);
    }

    /// <summary>
    /// <see cref="Run(TextReader, TextWriter, ItemMembers, Func{IReadOnlyList{ProtocolItem}, IReadOnlyList{ProtocolItem}}, int, CancellationToken)"/>
    /// on UTF-8 streams (see <see cref="Run(Stream, Stream, IItemOperation, VeilClient, OperationScope, int, CancellationToken)"/>).
    /// </summary>
    public static ItemErrorCode Run(
        Stream input,
        Stream output,
        ItemMembers requestMembers,
        Func<IReadOnlyList<ProtocolItem>, IReadOnlyList<ProtocolItem>> process,
        int chunkSize = DefaultChunkSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(process);
        return Run(input, output, requestMembers, (items, _) => process(items), chunkSize, cancellationToken);
    }

    private static ItemErrorCode Run(
        Stream input,
        Stream output,
        ItemMembers requestMembers,
        ProcessChunk process,
        int chunkSize,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        var reader = new Utf8LineReader(input);
        var lines = new Memory<byte>[chunkSize];
        return RunChunks(
            () => reader.ReadChunk(lines, ChunkCharacterBudget),
            (i, arena) => ProtocolJson.ParseLine(lines[i].Span, requestMembers, arena),
            output.Write,
            output.Flush,
            process,
            chunkSize,
            cancellationToken);
    }

    /// <summary>Writes rendered output lines (whole lines, in order).</summary>
    private delegate void WriteBytes(ReadOnlySpan<byte> bytes);

    /// <summary>Processes a chunk's items, with the result vectors in the chunk's memory where the operation can.</summary>
    private delegate IReadOnlyList<ProtocolItem> ProcessChunk(IReadOnlyList<ProtocolItem> items, VectorArena arena);

    /// <summary>
    /// The chunk loop shared by both forms, as three overlapping stages with one chunk in hand each: read and parse
    /// the next chunk (in parallel), process this one, render the previous one (in parallel, straight into reused
    /// buffers) and write it in order. Chunks are processed one after another in input order, so a seeded client
    /// draws as a sequential run does. Each chunk's vectors live in its own <see cref="VectorArena"/>, taken back
    /// (and cleared) once the chunk is written.
    /// </summary>
    private static ItemErrorCode RunChunks(
        Func<int> readChunk,
        Func<int, VectorArena, ProtocolItem> parse,
        WriteBytes write,
        Action flush,
        ProcessChunk process,
        int chunkSize,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var parsed = new BlockingCollection<(ProtocolItem[] Items, VectorArena Arena)>(boundedCapacity: 1);
        using var processed = new BlockingCollection<(IReadOnlyList<ProtocolItem> Results, VectorArena Arena)>(boundedCapacity: 1);
        var arenas = new ConcurrentBag<VectorArena>();
        ItemErrorCode worst = ItemErrorCode.None;

        Task reading = Stage(stop, parsed.CompleteAdding, () =>
        {
            while (true)
            {
                stop.Token.ThrowIfCancellationRequested();
                int count = readChunk();
                if (count == 0)
                {
                    return;
                }

                var items = new ProtocolItem[count];
                VectorArena arena = arenas.TryTake(out VectorArena? free) ? free : new VectorArena();
                For(count, i => items[i] = parse(i, arena));
                parsed.Add((items, arena), stop.Token);
            }
        });

        Task writing = Stage(stop, static () => { }, () =>
        {
            using var renderer = new ChunkRenderer(chunkSize);
            foreach ((IReadOnlyList<ProtocolItem> results, VectorArena arena) in processed.GetConsumingEnumerable(stop.Token))
            {
                renderer.Render(results, write);
                arena.Reset();
                arenas.Add(arena);
                for (int i = 0; i < results.Count; i++)
                {
                    worst = results[i].Error is null ? worst : (ItemErrorCode)Math.Max((int)worst, (int)Code(results[i]));
                }

                flush();
            }
        });

        Task processing = Stage(stop, processed.CompleteAdding, () =>
        {
            foreach ((ProtocolItem[] items, VectorArena arena) in parsed.GetConsumingEnumerable(stop.Token))
            {
                IReadOnlyList<ProtocolItem> results = Process(process, items, arena);
                if (results.Count != items.Length)
                {
                    throw new InvalidOperationException($"The chunk's processing returned {results.Count} results for {items.Length} lines.");
                }

                processed.Add((results, arena), stop.Token);
            }
        });

        try
        {
            Task.WaitAll(reading, processing, writing);
        }
        catch (AggregateException e)
        {
            // The first real failure, else the caller's cancellation, else a cancellation thrown by the processing
            // (a stage that stopped because another failed says nothing).
            Exception? failure = e.InnerExceptions.FirstOrDefault(inner => inner is not OperationCanceledException);
            if (failure is null)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            ExceptionDispatchInfo.Capture(failure ?? e.InnerExceptions[0]).Throw();
            throw;
        }

        return worst;
    }

    /// <summary>Runs one stage on its own thread; on failure it stops the others; either way it then calls <paramref name="completed"/>.</summary>
    private static Task Stage(CancellationTokenSource stop, Action completed, Action body) =>
        Task.Factory.StartNew(
            () =>
            {
                try
                {
                    body();
                }
                catch
                {
                    stop.Cancel();
                    throw;
                }
                finally
                {
                    completed();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    private static ItemErrorCode Code(ProtocolItem item) => item.ErrorCode == ItemErrorCode.None ? ItemErrorCode.Internal : item.ErrorCode;

    private static IReadOnlyList<ProtocolItem> Process(ProcessChunk process, ProtocolItem[] items, VectorArena arena)
    {
        try
        {
            return process(items, arena);
        }
#pragma warning disable CA1031 // A failure of the whole batch becomes an error line for each of its items.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            ItemError error = ItemError.From(e);
            return [.. items.Select(item => item.Error is null ? ProtocolItem.Failure(item.Id, error) : item)];
        }
    }

    private static ProtocolItem ParseLine(string line, ItemMembers members, VectorArena arena)
    {
        byte[] bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(line.Length));
        int length = 0;
        try
        {
            length = Encoding.UTF8.GetBytes(line, bytes);
            return ProtocolJson.ParseLine(bytes.AsSpan(0, length), members, arena);
        }
        finally
        {
            // The line may hold a plaintext vector: it does not outlive the call in the shared pool.
            bytes.AsSpan(0, length).Clear();
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static void For(int count, Action<int> body)
    {
        if (count < ParallelThreshold)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        Parallel.For(0, count, body);
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

    /// <summary>
    /// Renders a chunk's result lines in parallel, in contiguous runs of lines each written straight into its own
    /// buffer (kept from chunk to chunk: no per-line allocation), then hands the runs over in order. Formatting
    /// floats is most of the work. The buffers may hold plaintext (decrypted vectors): each is cleared once written.
    /// </summary>
    private sealed class ChunkRenderer : IDisposable
    {
        private readonly ArrayBufferWriter<byte>[] _buffers;
        private readonly Utf8JsonWriter[] _writers;

        public ChunkRenderer(int chunkSize)
        {
            // A few runs per core, so that a core that finishes early takes another; none shorter than the parallel threshold.
            int runs = Math.Clamp(chunkSize / ParallelThreshold, 1, Environment.ProcessorCount * 4);
            _buffers = [.. Enumerable.Range(0, runs).Select(_ => new ArrayBufferWriter<byte>())];
            _writers = [.. _buffers.Select(b => new Utf8JsonWriter(b, ProtocolJson.WriterOptions))];
        }

        public void Render(IReadOnlyList<ProtocolItem> results, WriteBytes write)
        {
            int count = results.Count;
            int runs = Math.Clamp(count / ParallelThreshold, 1, _buffers.Length);
            if (runs == 1)
            {
                RenderRun(results, 0, count, 0);
            }
            else
            {
                Parallel.For(0, runs, run => RenderRun(results, (int)((long)count * run / runs), (int)((long)count * (run + 1) / runs), run));
            }

            for (int run = 0; run < runs; run++)
            {
                write(_buffers[run].WrittenSpan);
                _buffers[run].Clear();
            }
        }

        public void Dispose()
        {
            foreach (Utf8JsonWriter writer in _writers)
            {
                writer.Dispose();
            }
        }

        private void RenderRun(IReadOnlyList<ProtocolItem> results, int start, int end, int run)
        {
            ArrayBufferWriter<byte> buffer = _buffers[run];
            Utf8JsonWriter writer = _writers[run];
            for (int i = start; i < end; i++)
            {
                // One top-level value per line: the writer starts afresh and appends to what the buffer holds.
                writer.Reset(buffer);
                ProtocolJson.WriteItem(writer, results[i]);
                writer.Flush();
                buffer.Write("\n"u8);
            }
        }
    }

    /// <summary>Transcodes the UTF-8 output to the text writer, in blocks, without per-line strings.</summary>
    private sealed class OutputSink(TextWriter output)
    {
        private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
        private char[] _chars = new char[4096];

        public void Write(ReadOnlySpan<byte> bytes)
        {
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
        }

        public void Flush() => output.Flush();
    }
}
