using Google.Protobuf;

namespace Veil.Formats;

/// <summary>
/// Helpers over <see cref="CodedOutputStream"/> for the few hand-written messages: callers write fields in
/// field-number order, and proto3 defaults (empty bytes and strings, zero enums) are omitted, as protoc-generated
/// encoders do. Embedded messages are always written (they have presence), even when empty.
/// </summary>
internal static class ProtoWriter
{
    // The messages are headers of a few dozen to a few hundred bytes; a stream-backed CodedOutputStream would allocate a
    // 4 KB buffer for each.
    private const int InitialCapacity = 256;

    /// <summary>
    /// Runs <paramref name="write"/> into a small flat buffer (running it again into a buffer twice as large while it
    /// does not fit) and returns the bytes it wrote.
    /// </summary>
    public static byte[] Build(Action<CodedOutputStream> write)
    {
        for (int capacity = InitialCapacity; ; capacity *= 2)
        {
            byte[] buffer = new byte[capacity];
            var output = new CodedOutputStream(buffer);
            try
            {
                write(output);
            }
            catch (CodedOutputStream.OutOfSpaceException)
            {
                continue;
            }

            return buffer.AsSpan(0, checked((int)output.Position)).ToArray();
        }
    }

    /// <summary>Writes a bytes field, omitted when empty.</summary>
    public static void WriteBytes(CodedOutputStream output, int fieldNumber, ReadOnlySpan<byte> value)
    {
        if (!value.IsEmpty)
        {
            output.WriteTag(fieldNumber, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(value));
        }
    }

    /// <summary>Writes an embedded message field (always present).</summary>
    public static void WriteMessage(CodedOutputStream output, int fieldNumber, ReadOnlySpan<byte> serializedMessage)
    {
        output.WriteTag(fieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(serializedMessage));
    }

    /// <summary>Writes a string field, omitted when empty.</summary>
    public static void WriteString(CodedOutputStream output, int fieldNumber, string value)
    {
        if (value.Length != 0)
        {
            output.WriteTag(fieldNumber, WireFormat.WireType.LengthDelimited);
            output.WriteString(value);
        }
    }

    /// <summary>Writes an enum field, omitted when zero.</summary>
    public static void WriteEnum(CodedOutputStream output, int fieldNumber, int value)
    {
        if (value != 0)
        {
            output.WriteTag(fieldNumber, WireFormat.WireType.Varint);
            output.WriteEnum(value);
        }
    }
}
