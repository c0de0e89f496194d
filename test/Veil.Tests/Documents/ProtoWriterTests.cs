using CsCheck;
using Google.Protobuf;
using Veil.Formats;

namespace Veil.Tests.Documents;

public class ProtoWriterTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(200)]
    [InlineData(253)]
    [InlineData(254)]
    [InlineData(1_000)]
    [InlineData(70_000)]
    public void Build_WhenMessageIsShortOrLongerThanTheFirstBuffer_WritesExactlyTheFields(int length)
    {
        byte[] value = Enumerable.Range(0, length).Select(i => (byte)(i * 31)).ToArray();

        byte[] message = ProtoWriter.Build(output =>
        {
            ProtoWriter.WriteBytes(output, 1, value);
            ProtoWriter.WriteEnum(output, 2, 3);
        });

        byte[] expected = length == 0 ? [0x10, 0x03] : [0x0A, .. Varint(length), .. value, 0x10, 0x03];
        Assert.Equal(expected, message);
    }

    [Fact]
    public void Build_ForAnyFields_MatchesTheReferenceProtobufEncoder()
    {
        Gen.Select(Gen.Byte.Array[0, 300], Gen.String[0, 40], Gen.Int, Gen.Byte.Array[0, 20]).Sample((bytes, text, number, embedded) =>
        {
            byte[] ours = ProtoWriter.Build(output =>
            {
                ProtoWriter.WriteBytes(output, 1, bytes);
                ProtoWriter.WriteString(output, 2, text);
                ProtoWriter.WriteEnum(output, 3, number);
                ProtoWriter.WriteMessage(output, 20, embedded);
            });

            using var stream = new MemoryStream();
            var reference = new CodedOutputStream(stream);
            if (bytes.Length != 0)
            {
                reference.WriteTag(1, WireFormat.WireType.LengthDelimited);
                reference.WriteBytes(ByteString.CopyFrom(bytes));
            }

            if (text.Length != 0)
            {
                reference.WriteTag(2, WireFormat.WireType.LengthDelimited);
                reference.WriteString(text);
            }

            if (number != 0)
            {
                reference.WriteTag(3, WireFormat.WireType.Varint);
                reference.WriteEnum(number);
            }

            reference.WriteTag(20, WireFormat.WireType.LengthDelimited);
            reference.WriteBytes(ByteString.CopyFrom(embedded));
            reference.Flush();
            Assert.Equal(stream.ToArray(), ours);
        });
    }

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        uint v = (uint)value;
        while (v >= 0x80)
        {
            bytes.Add((byte)((v & 0x7F) | 0x80));
            v >>= 7;
        }

        bytes.Add((byte)v);
        return [.. bytes];
    }
}
