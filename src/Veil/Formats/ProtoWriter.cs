using System.Buffers;
using System.Text;

namespace Veil.Formats;

/// <summary>
/// A hand-written protobuf encoder for the few messages Veil writes (the counterpart of <see cref="ProtoReader"/>):
/// callers write fields in field-number order, and proto3 defaults (empty bytes and strings, zero enums) are omitted,
/// as protoc-generated encoders do. Embedded messages are always written (they have presence), even when empty.
/// </summary>
internal sealed class ProtoWriter
{
    private const int VarintWireType = 0;
    private const int LengthDelimitedWireType = 2;

    // The messages are headers of a few dozen to a few hundred bytes.
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    private ProtoWriter()
    {
    }

    /// <summary>Runs <paramref name="write"/> into a new message and returns its bytes.</summary>
    public static byte[] Build(Action<ProtoWriter> write)
    {
        var output = new ProtoWriter();
        write(output);
        return output._buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes a bytes field, omitted when empty.</summary>
    public static void WriteBytes(ProtoWriter output, int fieldNumber, ReadOnlySpan<byte> value)
    {
        if (!value.IsEmpty)
        {
            output.WriteLengthDelimited(fieldNumber, value);
        }
    }

    /// <summary>Writes an embedded message field (always present).</summary>
    public static void WriteMessage(ProtoWriter output, int fieldNumber, ReadOnlySpan<byte> serializedMessage) =>
        output.WriteLengthDelimited(fieldNumber, serializedMessage);

    /// <summary>Writes a string field (UTF-8), omitted when empty.</summary>
    public static void WriteString(ProtoWriter output, int fieldNumber, string value)
    {
        if (value.Length != 0)
        {
            output.WriteLengthDelimited(fieldNumber, Encoding.UTF8.GetBytes(value));
        }
    }

    /// <summary>Writes an enum field, omitted when zero (negative values as ten-byte varints, as protobuf does).</summary>
    public static void WriteEnum(ProtoWriter output, int fieldNumber, int value)
    {
        if (value != 0)
        {
            output.WriteTag(fieldNumber, VarintWireType);
            output.WriteVarint(unchecked((ulong)(long)value));
        }
    }

    private void WriteLengthDelimited(int fieldNumber, ReadOnlySpan<byte> value)
    {
        WriteTag(fieldNumber, LengthDelimitedWireType);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
    }

    private void WriteTag(int fieldNumber, int wireType) => WriteVarint((ulong)(((uint)fieldNumber << 3) | (uint)wireType));

    private void WriteVarint(ulong value)
    {
        Span<byte> bytes = stackalloc byte[10];
        int length = 0;
        while (value >= 0x80)
        {
            bytes[length++] = (byte)((value & 0x7F) | 0x80);
            value >>= 7;
        }

        bytes[length++] = (byte)value;
        _buffer.Write(bytes[..length]);
    }
}
