using System.Buffers;
using System.Buffers.Binary;

namespace Veil.Protocol;

/// <summary>
/// The bulk binary path beside JSON Lines (the CLI's <c>--format binary</c>): a stream of frames, each a u32
/// little-endian byte length followed by one item batch in <see cref="BinaryBatch"/>'s response layout (<c>"VBR1"</c>,
/// item count, items), exactly the bytes the key service answers a binary request with. Vectors cross as float32, so
/// nothing is formatted or parsed as decimal text.
/// </summary>
/// <remarks>
/// <para>Each input frame becomes one output frame with as many items, in the same order, each carrying its item's
/// <c>id</c>; an item that fails carries an error and a code instead, and the others carry on (as a JSON line does).
/// An input item that already carries an error (a failure upstream) passes through as that failure. The output of an
/// encryption is the input of its decryption.</para>
/// <para>A frame is at most <see cref="MaxFrameLength"/> bytes; split larger inputs into several frames. A frame that
/// is truncated, longer than that or not a valid batch stops the run with an <see cref="InvalidDataException"/> naming
/// the frame; the frames before it have been written.</para>
/// </remarks>
public static class BinaryBatchFrames
{
    /// <summary>The largest frame body read (256 MiB: about 170 000 vectors of d = 384 with their paired ICL info).</summary>
    public const int MaxFrameLength = 256 << 20;

    // The read buffer starts at this size and grows as a frame's bytes arrive, never ahead of them.
    private const int InitialBufferLength = 1 << 20;

    /// <summary>Writes one frame holding <paramref name="items"/>.</summary>
    public static void WriteFrame(Stream output, IReadOnlyList<ProtocolItem> items)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(items);
        var body = new ArrayBufferWriter<byte>();
        WriteFrame(output, items, body);
    }

    /// <summary>
    /// Reads the next frame's items, keeping the members in <paramref name="members"/> (and errors); null at the end of
    /// the stream.
    /// </summary>
    /// <exception cref="InvalidDataException">The frame is truncated, too long or not a valid batch.</exception>
    public static IReadOnlyList<ProtocolItem>? ReadFrame(Stream input, ItemMembers members)
    {
        ArgumentNullException.ThrowIfNull(input);
        byte[] buffer = [];
        return ReadFrame(input, members, ref buffer, frame: 0);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> over every frame of <paramref name="input"/> with <paramref name="client"/>,
    /// writing one frame per frame to <paramref name="output"/>; returns the most severe item failure met.
    /// </summary>
    /// <exception cref="InvalidDataException">A frame is truncated, too long or not a valid batch.</exception>
    public static ItemErrorCode Run(
        Stream input,
        Stream output,
        IItemOperation operation,
        VeilClient client,
        OperationScope scope,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(scope);
        byte[] buffer = [];
        var body = new ArrayBufferWriter<byte>();
        ItemErrorCode worst = ItemErrorCode.None;
        for (long frame = 0; ; frame++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ReadFrame(input, operation.RequestMembers, ref buffer, frame) is not { } items)
            {
                break;
            }

            IReadOnlyList<ProtocolItem> results = operation.Process(client, items, scope);
            WriteFrame(output, results, body);
            foreach (ProtocolItem result in results)
            {
                if (result.Error is not null)
                {
                    ItemErrorCode code = result.ErrorCode == ItemErrorCode.None ? ItemErrorCode.Internal : result.ErrorCode;
                    worst = (ItemErrorCode)Math.Max((int)worst, (int)code);
                }
            }
        }

        output.Flush();
        return worst;
    }

    private static void WriteFrame(Stream output, IReadOnlyList<ProtocolItem> items, ArrayBufferWriter<byte> body)
    {
        body.ResetWrittenCount();
        BinaryBatch.WriteResponse(body, items);
        if (body.WrittenCount > MaxFrameLength)
        {
            throw new InvalidOperationException($"The frame is {body.WrittenCount} bytes long, more than {MaxFrameLength}: write fewer items per frame.");
        }

        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)body.WrittenCount);
        output.Write(length);
        output.Write(body.WrittenSpan);
    }

    private static IReadOnlyList<ProtocolItem>? ReadFrame(Stream input, ItemMembers members, ref byte[] buffer, long frame)
    {
        Span<byte> header = stackalloc byte[4];
        int got = input.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got == 0)
        {
            return null;
        }

        if (got < header.Length)
        {
            throw new InvalidDataException($"Frame {frame}: the input ends inside the frame's length ({got} of 4 bytes).");
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length > MaxFrameLength)
        {
            throw new InvalidDataException($"Frame {frame}: its length, {length} bytes, is more than {MaxFrameLength}.");
        }

        // Grow the buffer only as bytes arrive, so a false length allocates nothing the input does not back.
        int read = 0;
        while (read < length)
        {
            if (read == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(length, Math.Max(InitialBufferLength, (long)buffer.Length * 2)));
            }

            int n = input.Read(buffer, read, (int)Math.Min(length, (uint)buffer.Length) - read);
            if (n == 0)
            {
                throw new InvalidDataException($"Frame {frame}: the input ends after {read} of the frame's {length} bytes.");
            }

            read += n;
        }

        try
        {
            return BinaryBatch.ReadResponse(buffer.AsSpan(0, (int)length), members);
        }
        catch (ItemFormatException e)
        {
            throw new InvalidDataException($"Frame {frame}: {e.Message}", e);
        }
    }
}
