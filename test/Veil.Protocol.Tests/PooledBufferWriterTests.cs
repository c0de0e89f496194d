using System.Text.Json;
using CsCheck;

namespace Veil.Protocol.Tests;

/// <summary>
/// The pooled body buffer of the key service and its client: whatever sequence of writes or reads fills it, it holds
/// exactly those bytes in order; a stream longer than allowed is refused; a disposed writer refuses further use.
/// </summary>
public sealed class PooledBufferWriterTests
{
    [Fact]
    public void Writes_InAnyChunks_GiveTheirConcatenation()
    {
        Gen.Select(Gen.Byte.Array[0, 5000].Array[0, 12], Gen.Int[0, 70_000]).Sample((chunks, initial) =>
        {
            using var writer = new PooledBufferWriter(initial);
            foreach (byte[] chunk in chunks)
            {
                // Ask for more than needed half the time: Advance by less than what GetSpan gave is the usual pattern.
                Span<byte> span = writer.GetSpan(chunk.Length % 2 == 0 ? chunk.Length : chunk.Length + 100);
                Assert.True(span.Length >= chunk.Length);
                chunk.CopyTo(span);
                writer.Advance(chunk.Length);
            }

            byte[] expected = [.. chunks.SelectMany(c => c)];
            Assert.Equal(expected.Length, writer.WrittenCount);
            Assert.True(writer.WrittenSpan.SequenceEqual(expected));
            Assert.True(writer.WrittenMemory.Span.SequenceEqual(expected));
        });
    }

    [Fact]
    public async Task ReadFromAsync_WithAnyAnnouncedLengthAndReadSizes_ReadsTheWholeStream()
    {
        // An announced length of -1 stands for none; it may be right, short or long.
        await Gen.Select(Gen.Byte.Array[0, 300_000], Gen.Int[-1, 400_000], Gen.Int[1, 70_000]).SampleAsync(async sample =>
        {
            (byte[] bytes, int length, int readSize) = sample;
            long? announced = length < 0 ? null : length;
            using var stream = new TrickleStream(bytes, readSize);
            using PooledBufferWriter body = await PooledBufferWriter.ReadFromAsync(stream, announced, initialCapacityLimit: 1 << 16, maxLength: long.MaxValue);
            Assert.True(body.WrittenSpan.SequenceEqual(bytes));
        }, iter: 50);
    }

    [Fact]
    public async Task ReadFromAsync_WhenLongerThanAllowed_Throws()
    {
        using var stream = new MemoryStream(new byte[10_001]);
        InvalidDataException e = await Assert.ThrowsAsync<InvalidDataException>(() => PooledBufferWriter.ReadFromAsync(stream, 100, 1 << 20, maxLength: 10_000));
        Assert.Contains("10000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFromAsync_WhenExactlyTheLimit_Reads()
    {
        using var stream = new MemoryStream(new byte[10_000]);
        using PooledBufferWriter body = await PooledBufferWriter.ReadFromAsync(stream, null, 1 << 20, maxLength: 10_000);
        Assert.Equal(10_000, body.WrittenCount);
    }

    [Fact]
    public void Utf8JsonWriter_OverIt_WritesTheSameBytesAsToUtf8()
    {
        var request = new BatchRequest
        {
            Tenant = "acme",
            SecretPath = "docs",
            DerivationPath = "embedding",
            Items = [.. Enumerable.Range(0, 64).Select(i => new ProtocolItem { Id = JsonSerializer.SerializeToUtf8Bytes(i), Vector = Enumerable.Range(0, 384).Select(k => MathF.Sin(i + k)).ToArray() })],
        };
        using var body = new PooledBufferWriter();
        using (var writer = new Utf8JsonWriter(body, ProtocolJson.WriterOptions))
        {
            ProtocolJson.WriteRequest(writer, request);
        }

        Assert.True(body.WrittenSpan.SequenceEqual(ProtocolJson.ToUtf8(w => ProtocolJson.WriteRequest(w, request))));
    }

    [Fact]
    public void Dispose_ThenUse_Throws_AndDisposeTwiceIsHarmless()
    {
        var writer = new PooledBufferWriter();
        writer.GetSpan(10)[0] = 1;
        writer.Advance(1);
        writer.Dispose();
        writer.Dispose();
        Assert.Equal(0, writer.WrittenCount);
        Assert.Throws<ObjectDisposedException>(() => writer.GetSpan(1));
    }

    [Fact]
    public void Advance_PastWhatWasGiven_Throws()
    {
        using var writer = new PooledBufferWriter(256);
        int given = writer.GetSpan(1).Length;
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(given + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(-1));
    }

    /// <summary>A stream that returns at most <c>readSize</c> bytes a read, as a socket does.</summary>
    private sealed class TrickleStream(byte[] bytes, int readSize) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], cancellationToken);
    }
}
