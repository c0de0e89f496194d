using System.Buffers;
using System.Buffers.Binary;
using CsCheck;

namespace Veil.Protocol.Tests;

/// <summary>
/// The bulk binary path: frames round trip (encrypt then decrypt gives back the vectors), each frame's body is the key
/// service's binary response for the same items, byte for byte, and truncated or garbled frames stop the run with an
/// <see cref="InvalidDataException"/> naming the frame.
/// </summary>
public sealed class BinaryBatchFramesTests
{
    [Fact]
    public void EncryptThenDecrypt_OverSeveralFrames_GivesBackEveryVectorAndId()
    {
        float[][] vectors = [.. Enumerable.Range(0, 300).Select(i => Enumerable.Range(0, 16).Select(k => MathF.Sin(i + (k * 0.37f))).ToArray())];
        var input = new MemoryStream();
        foreach (float[][] frame in vectors.Chunk(128))
        {
            BinaryBatchFrames.WriteFrame(input, [.. frame.Select((v, i) => new ProtocolItem { Id = Utf8Id(v), Vector = v })]);
        }

        using VeilClient client = TestClients.Seeded();
        MemoryStream encrypted = Run(input.ToArray(), ItemOperations.VectorEncrypt, client, out ItemErrorCode encryptCode);
        MemoryStream decrypted = Run(encrypted.ToArray(), ItemOperations.VectorDecrypt, client, out ItemErrorCode decryptCode);

        Assert.Equal((ItemErrorCode.None, ItemErrorCode.None), (encryptCode, decryptCode));
        List<ProtocolItem> items = ReadAll(decrypted, ItemMembers.Vector);
        Assert.Equal([128, 128, 44], FrameSizes(decrypted));
        Assert.Equal(vectors.Length, items.Count);
        for (int i = 0; i < vectors.Length; i++)
        {
            Assert.Equal(Utf8Id(vectors[i]), items[i].Id!.Value.ToArray());
            float[] back = items[i].Vector!.Value.ToArray();
            Assert.Equal(vectors[i].Length, back.Length);
            Assert.True(vectors[i].Zip(back).All(p => MathF.Abs(p.First - p.Second) < 1e-3f), $"vector {i} did not round trip");
        }
    }

    [Fact]
    public void ReadFrame_WhenAnItemHasNoVector_KeepsItAbsent_AndEncryptRefusesItAlone()
    {
        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, [new() { Id = "1"u8.ToArray() }, new() { Id = "2"u8.ToArray(), Vector = new float[] { 1f, 2f } }]);

        input.Position = 0;
        IReadOnlyList<ProtocolItem> read = BinaryBatchFrames.ReadFrame(input, ItemMembers.All)!;
        Assert.Null(read[0].Vector);
        Assert.Null(read[0].EncryptedVector);
        Assert.NotNull(read[1].Vector);

        using VeilClient client = TestClients.Seeded();
        List<ProtocolItem> results = ReadAll(Run(input.ToArray(), ItemOperations.VectorEncrypt, client, out ItemErrorCode code), ItemMembers.All);
        Assert.Equal(ItemErrorCode.InvalidInput, code);
        Assert.Equal(ItemErrorCode.InvalidInput, results[0].ErrorCode);
        Assert.Null(results[0].EncryptedVector);
        Assert.NotNull(results[1].EncryptedVector);
    }

    [Fact]
    public void Run_WhenAVectorIsEmpty_RefusesItAloneAsInvalidInput()
    {
        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, [new() { Id = "1"u8.ToArray(), Vector = Array.Empty<float>() }, new() { Id = "2"u8.ToArray(), Vector = new float[] { 0.6f, 0.8f } }]);

        using VeilClient client = TestClients.Seeded();
        List<ProtocolItem> results = ReadAll(Run(input.ToArray(), ItemOperations.VectorEncrypt, client, out ItemErrorCode code), ItemMembers.All);
        Assert.Equal(ItemErrorCode.InvalidInput, code);
        Assert.Equal(ItemErrorCode.InvalidInput, results[0].ErrorCode);
        Assert.Contains("empty", results[0].Error, StringComparison.Ordinal);
        Assert.Null(results[0].EncryptedVector);
        Assert.Equal(2, results[1].EncryptedVector!.Value.Length);
    }

    [Fact]
    public void EachFrame_IsTheServicesBinaryResponse_ByteForByte()
    {
        // The key service answers a binary request with BinaryBatch.WriteResponse(operation.Process(...)): a seeded
        // client makes encryption repeatable, so the stream's frame body must be exactly those bytes.
        ProtocolItem[] items =
        [
            new() { Id = "1"u8.ToArray(), Vector = new float[] { 0.25f, -1f, 3.5f } },
            new() { Id = "\"two\""u8.ToArray(), Vector = new float[] { 1f, 2f } },
        ];
        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, items);

        using VeilClient streamClient = TestClients.Seeded();
        byte[] frame = Run(input.ToArray(), ItemOperations.VectorEncrypt, streamClient, out ItemErrorCode code).ToArray();
        using VeilClient serviceClient = TestClients.Seeded();
        var expected = new ArrayBufferWriter<byte>();
        BinaryBatch.WriteResponse(expected, ItemOperations.VectorEncrypt.Process(serviceClient, items, TestClients.Scope));

        Assert.Equal(ItemErrorCode.None, code);
        Assert.Equal((uint)expected.WrittenCount, BinaryPrimitives.ReadUInt32LittleEndian(frame));
        Assert.Equal(expected.WrittenSpan.ToArray(), frame[4..]);
    }

    [Fact]
    public void Run_WhenAnInputItemCarriesAnError_PassesItThroughAndReportsTheWorstCode()
    {
        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, [new() { Id = "7"u8.ToArray(), Error = "tampered upstream", ErrorCode = ItemErrorCode.Integrity }, new() { Vector = new float[] { 1f } }]);
        using VeilClient client = TestClients.Seeded();

        List<ProtocolItem> results = ReadAll(Run(input.ToArray(), ItemOperations.VectorEncrypt, client, out ItemErrorCode code), ItemMembers.All);

        Assert.Equal(ItemErrorCode.Integrity, code);
        Assert.Equal(("tampered upstream", ItemErrorCode.Integrity), (results[0].Error, results[0].ErrorCode));
        Assert.Equal("7"u8.ToArray(), results[0].Id!.Value.ToArray());
        Assert.NotNull(results[1].EncryptedVector);
    }

    [Fact]
    public void Run_WhenEmpty_WritesNothing_AndAnEmptyFrameGivesAnEmptyFrame()
    {
        using VeilClient client = TestClients.Seeded();
        Assert.Empty(Run([], ItemOperations.VectorEncrypt, client, out _).ToArray());

        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, []);
        Assert.Equal(input.ToArray(), Run(input.ToArray(), ItemOperations.VectorDecrypt, client, out _).ToArray());
    }

    [Fact]
    public void Run_WhenTruncatedAnywhereInsideAFrame_ThrowsNamingTheFrame()
    {
        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, [new() { Id = "1"u8.ToArray(), Vector = new float[] { 0.5f, -2f } }]);
        int first = (int)input.Length;
        BinaryBatchFrames.WriteFrame(input, [new() { Vector = new float[] { 1f, 2f, 3f } }, new() { Vector = new float[] { 4f } }]);
        byte[] bytes = input.ToArray();
        using VeilClient client = TestClients.Seeded();

        for (int length = 1; length < bytes.Length; length++)
        {
            if (length == first)
            {
                Assert.Equal([1], FrameSizes(Run(bytes[..length], ItemOperations.VectorEncrypt, client, out _)));
                continue;
            }

            InvalidDataException e = Assert.Throws<InvalidDataException>(() => Run(bytes[..length], ItemOperations.VectorEncrypt, client, out _));
            Assert.StartsWith(length < first ? "Frame 0: " : "Frame 1: ", e.Message);
        }
    }

    [Fact]
    public void Run_WhenGarbled_ThrowsOnlyInvalidData_AndNeverEchoesAVector()
    {
        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, [new() { Id = "1"u8.ToArray(), Vector = new float[] { 0.5f, -2f, 8f } }, new() { Vector = new float[] { 1f } }]);
        byte[] bytes = input.ToArray();
        using VeilClient client = TestClients.Seeded();

        Gen.Select(Gen.Int[0, bytes.Length - 1].Array[1, 4], Gen.Byte.Array[4]).Sample((positions, values) =>
        {
            byte[] mutated = [.. bytes];
            for (int i = 0; i < positions.Length; i++)
            {
                mutated[positions[i]] = values[i];
            }

            try
            {
                _ = Run(mutated, ItemOperations.VectorEncrypt, client, out _);
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith("Frame ", e.Message);
                Assert.DoesNotContain("0.5", e.Message, StringComparison.Ordinal);
            }
        });
    }

    [Fact]
    public void Run_WhenALengthClaimsTooMuch_RefusesWithoutReadingOn()
    {
        byte[] huge = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(huge, (uint)BinaryBatchFrames.MaxFrameLength + 1);
        byte[] lying = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(lying, (uint)BinaryBatchFrames.MaxFrameLength);
        using VeilClient client = TestClients.Seeded();

        Assert.Contains("is more than", Assert.Throws<InvalidDataException>(() => Run(huge, ItemOperations.VectorEncrypt, client, out _)).Message);
        Assert.Contains("ends after 4 of", Assert.Throws<InvalidDataException>(() => Run(lying, ItemOperations.VectorEncrypt, client, out _)).Message);
    }

    [Fact]
    public void ReadFrame_WhenReadsStopAnywhere_ReadsTheSameItems()
    {
        Gen.Select(ProtocolRoundTripTests.s_item.List[0, 5], Gen.Int[1, 7]).Sample((items, step) =>
        {
            var input = new MemoryStream();
            BinaryBatchFrames.WriteFrame(input, items);
            BinaryBatchFrames.WriteFrame(input, items);
            var trickle = new TrickleStream(input.ToArray(), step);

            for (int frame = 0; frame < 2; frame++)
            {
                IReadOnlyList<ProtocolItem> read = BinaryBatchFrames.ReadFrame(trickle, ItemMembers.All)!;
                Assert.Equal(items.Count, read.Count);
                for (int i = 0; i < items.Count; i++)
                {
                    ProtocolRoundTripTests.AssertSame(items[i], read[i]);
                }
            }

            Assert.Null(BinaryBatchFrames.ReadFrame(trickle, ItemMembers.All));
        });
    }

    private static MemoryStream Run(byte[] input, IItemOperation operation, VeilClient client, out ItemErrorCode code)
    {
        var output = new MemoryStream();
        code = BinaryBatchFrames.Run(new MemoryStream(input), output, operation, client, TestClients.Scope);
        output.Position = 0;
        return output;
    }

    private static List<ProtocolItem> ReadAll(Stream stream, ItemMembers members)
    {
        stream.Position = 0;
        var items = new List<ProtocolItem>();
        while (BinaryBatchFrames.ReadFrame(stream, members) is { } frame)
        {
            items.AddRange(frame);
        }

        return items;
    }

    private static List<int> FrameSizes(Stream stream)
    {
        stream.Position = 0;
        var sizes = new List<int>();
        while (BinaryBatchFrames.ReadFrame(stream, ItemMembers.All) is { } frame)
        {
            sizes.Add(frame.Count);
        }

        return sizes;
    }

    private static byte[] Utf8Id(float[] vector) => System.Text.Encoding.UTF8.GetBytes($"\"v{vector[0].GetHashCode():x8}\"");

    /// <summary>A stream whose reads return at most <c>step</c> bytes.</summary>
    private sealed class TrickleStream(byte[] data, int step) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, step));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, step)]);
    }
}
