using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Veil.Protocol;

/// <summary>
/// The compact binary form of the key service's batches (<see cref="ContentType"/>), beside JSON: the same
/// <see cref="BatchRequest"/> and items, with vectors as little-endian float32 and everything length-prefixed, so
/// neither side formats or parses decimal floats. The service answers in the format it was asked in; error bodies
/// (non-2xx) stay JSON.
/// </summary>
/// <remarks>
/// <para>Layout (all integers little-endian u32 unless said otherwise; a "string" is a u32 byte length, 0xFFFFFFFF for
/// null, then UTF-8; "bytes" is a u32 length then the bytes):</para>
/// <para>Request: <c>"VBQ1"</c>, tenant, secretPath, derivationPath, newTenant (strings), item count, items.
/// Response: <c>"VBR1"</c>, item count, items.</para>
/// <para>Item: a u16 of member flags (1 id, 2 vector, 4 encryptedVector, 8 pairedIclInfo, 16 value, 32 encryptedValue,
/// 64 edek, 128 fields, 256 queries, 512 error), then each present member in that order: id (bytes: the id's JSON
/// text), vector and encryptedVector (a count, then that many float32), pairedIclInfo, value, encryptedValue and edek
/// (bytes), fields (a count, then per field a name string and its bytes), queries (a count, then per query its key id,
/// a u8 of flags (1 encryptedVector, 2 encryptedValue) and those members), error (a string and a u8 code, see
/// <see cref="ItemErrorCode"/>).</para>
/// <para>Input is checked as it is read: every length against what remains, vectors at most
/// <see cref="JsonValues.MaxVectorLength"/> long and finite, strings valid UTF-8, field names unique, no trailing bytes.</para>
/// </remarks>
public static class BinaryBatch
{
    /// <summary>The media type of the binary form.</summary>
    public const string ContentType = "application/vnd.veil.batch";

    private const uint NullLength = uint.MaxValue;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [Flags]
    private enum Member : ushort
    {
        Id = 1,
        Vector = 2,
        EncryptedVector = 4,
        PairedIclInfo = 8,
        Value = 16,
        EncryptedValue = 32,
        Edek = 64,
        Fields = 128,
        Queries = 256,
        Error = 512,
    }

    /// <summary>Whether a Content-Type header names the binary form (parameters ignored).</summary>
    public static bool IsContentType(string? contentType) =>
        contentType is not null && contentType.Split(';', 2)[0].Trim().Equals(ContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes a request.</summary>
    public static void WriteRequest(IBufferWriter<byte> output, BatchRequest request)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(request);
        output.Write("VBQ1"u8);
        WriteString(output, request.Tenant);
        WriteString(output, request.SecretPath);
        WriteString(output, request.DerivationPath);
        WriteString(output, request.NewTenant);
        WriteItems(output, request.Items ?? []);
    }

    /// <summary>Writes a response.</summary>
    public static void WriteResponse(IBufferWriter<byte> output, IReadOnlyList<ProtocolItem> items)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(items);
        output.Write("VBR1"u8);
        WriteItems(output, items);
    }

    /// <summary>Reads a request, keeping the item members in <paramref name="members"/>.</summary>
    /// <exception cref="ItemFormatException">The body is not a valid binary request.</exception>
    public static BatchRequest ReadRequest(ReadOnlySpan<byte> body, ItemMembers members)
    {
        var reader = new Reader(body);
        reader.Magic("VBQ1"u8);
        var request = new BatchRequest
        {
            Tenant = reader.String("tenant"),
            SecretPath = reader.String("secretPath"),
            DerivationPath = reader.String("derivationPath"),
            NewTenant = reader.String("newTenant"),
        };
        request.Items = ReadItems(ref reader, members);
        reader.End();
        return request;
    }

    /// <summary>Reads a response, keeping the item members in <paramref name="members"/> (and errors).</summary>
    /// <exception cref="ItemFormatException">The body is not a valid binary response.</exception>
    public static IReadOnlyList<ProtocolItem> ReadResponse(ReadOnlySpan<byte> body, ItemMembers members)
    {
        var reader = new Reader(body);
        reader.Magic("VBR1"u8);
        List<ProtocolItem> items = ReadItems(ref reader, members | ItemMembers.Error);
        reader.End();
        return items;
    }

    private static void WriteItems(IBufferWriter<byte> output, IReadOnlyList<ProtocolItem> items)
    {
        WriteUInt32(output, (uint)items.Count);
        foreach (ProtocolItem item in items)
        {
            WriteItem(output, item);
        }
    }

    private static void WriteItem(IBufferWriter<byte> output, ProtocolItem item)
    {
        Member present = 0;
        present |= item.Id is { IsEmpty: false } ? Member.Id : 0;
        present |= item.Vector is not null ? Member.Vector : 0;
        present |= item.EncryptedVector is not null ? Member.EncryptedVector : 0;
        present |= item.PairedIclInfo is not null ? Member.PairedIclInfo : 0;
        present |= item.Value is not null ? Member.Value : 0;
        present |= item.EncryptedValue is not null ? Member.EncryptedValue : 0;
        present |= item.Edek is not null ? Member.Edek : 0;
        present |= item.Fields is not null ? Member.Fields : 0;
        present |= item.Queries is not null ? Member.Queries : 0;
        present |= item.Error is not null ? Member.Error : 0;
        BinaryPrimitives.WriteUInt16LittleEndian(output.GetSpan(2), (ushort)present);
        output.Advance(2);
        if ((present & Member.Id) != 0)
        {
            WriteBytes(output, item.Id!.Value.Span);
        }

        WriteFloats(output, item.Vector);
        WriteFloats(output, item.EncryptedVector);
        WriteBytes(output, item.PairedIclInfo);
        WriteBytes(output, item.Value);
        WriteBytes(output, item.EncryptedValue);
        WriteBytes(output, item.Edek);
        if (item.Fields is { } fields)
        {
            WriteUInt32(output, (uint)fields.Count);
            foreach (KeyValuePair<string, byte[]> field in fields)
            {
                WriteString(output, field.Key);
                WriteBytes(output, field.Value.AsSpan());
            }
        }

        if (item.Queries is { } queries)
        {
            WriteUInt32(output, (uint)queries.Count);
            foreach (ProtocolQuery query in queries)
            {
                WriteUInt32(output, query.KeyId);
                output.GetSpan(1)[0] = (byte)((query.EncryptedVector is null ? 0 : 1) | (query.EncryptedValue is null ? 0 : 2));
                output.Advance(1);
                WriteFloats(output, query.EncryptedVector);
                WriteBytes(output, query.EncryptedValue);
            }
        }

        if (item.Error is { } error)
        {
            WriteString(output, error);
            output.GetSpan(1)[0] = (byte)(item.ErrorCode == ItemErrorCode.None ? ItemErrorCode.Internal : item.ErrorCode);
            output.Advance(1);
        }
    }

    private static List<ProtocolItem> ReadItems(ref Reader reader, ItemMembers members)
    {
        // Each item takes at least its two flag bytes: a count beyond that is refused before anything is allocated.
        int count = reader.Count("items", minimumSize: 2);
        var items = new List<ProtocolItem>(count);
        for (int i = 0; i < count; i++)
        {
            try
            {
                items.Add(ReadItem(ref reader, members));
            }
            catch (ItemFormatException e)
            {
                throw new ItemFormatException($"items[{i}]: {e.Message}");
            }
        }

        return items;
    }

    private static ProtocolItem ReadItem(ref Reader reader, ItemMembers members)
    {
        var present = (Member)reader.UInt16();
        if (((ushort)present & ~0x3FF) != 0)
        {
            throw new ItemFormatException("The item has unknown member flags.");
        }

        var item = new ProtocolItem();
        if ((present & Member.Id) != 0)
        {
            item.Id = reader.Bytes("id").ToArray();
        }

        float[]? vector = (present & Member.Vector) != 0 ? reader.Floats("vector") : null;
        float[]? encryptedVector = (present & Member.EncryptedVector) != 0 ? reader.Floats("encryptedVector") : null;
        byte[]? paired = (present & Member.PairedIclInfo) != 0 ? reader.Bytes("pairedIclInfo").ToArray() : null;
        byte[]? value = (present & Member.Value) != 0 ? reader.Bytes("value").ToArray() : null;
        byte[]? encryptedValue = (present & Member.EncryptedValue) != 0 ? reader.Bytes("encryptedValue").ToArray() : null;
        byte[]? edek = (present & Member.Edek) != 0 ? reader.Bytes("edek").ToArray() : null;
        List<KeyValuePair<string, byte[]>>? fields = (present & Member.Fields) != 0 ? ReadFields(ref reader) : null;
        List<ProtocolQuery>? queries = (present & Member.Queries) != 0 ? ReadQueries(ref reader) : null;
        if ((present & Member.Error) != 0)
        {
            string error = reader.String("error") ?? throw new ItemFormatException("\"error\" must be a string.");
            byte code = reader.Byte();
            if ((members & ItemMembers.Error) != 0)
            {
                item.Error = error;
                item.ErrorCode = code is >= 1 and <= 4 ? (ItemErrorCode)code : ItemErrorCode.Internal;
            }
        }

        item.Vector = Floats((members & ItemMembers.Vector) != 0, vector);
        item.EncryptedVector = Floats((members & ItemMembers.EncryptedVector) != 0, encryptedVector);
        item.PairedIclInfo = (members & ItemMembers.PairedIclInfo) != 0 ? paired : null;
        item.Value = (members & ItemMembers.Value) != 0 ? value : null;
        item.EncryptedValue = (members & ItemMembers.EncryptedValue) != 0 ? encryptedValue : null;
        item.Edek = (members & ItemMembers.Edek) != 0 ? edek : null;
        item.Fields = (members & ItemMembers.Fields) != 0 ? fields : null;
        item.Queries = (members & ItemMembers.Queries) != 0 ? queries : null;
        return item;
    }

    private static List<KeyValuePair<string, byte[]>> ReadFields(ref Reader reader)
    {
        int count = reader.Count("fields", minimumSize: 8);
        var fields = new List<KeyValuePair<string, byte[]>>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string name = reader.String("fields") ?? throw new ItemFormatException("A field name is null.");
            if (!seen.Add(name))
            {
                throw new ItemFormatException($"\"fields\" names the field \"{name}\" more than once.");
            }

            fields.Add(new(name, reader.Bytes($"fields.{name}").ToArray()));
        }

        return fields;
    }

    // A member the item lacks stays null: the implicit float[] → ReadOnlyMemory<float> conversion would turn a null
    // array (or a bare null in a conditional beside a ReadOnlyMemory) into an empty, present vector.
    private static ReadOnlyMemory<float>? Floats(bool wanted, float[]? values) => wanted && values is not null ? new ReadOnlyMemory<float>(values) : (ReadOnlyMemory<float>?)null;

    private static List<ProtocolQuery> ReadQueries(ref Reader reader)
    {
        int count = reader.Count("queries", minimumSize: 5);
        var queries = new List<ProtocolQuery>(count);
        for (int i = 0; i < count; i++)
        {
            uint keyId = reader.UInt32();
            byte flags = reader.Byte();
            if ((flags & ~3) != 0)
            {
                throw new ItemFormatException("A query has unknown member flags.");
            }

            float[]? vector = (flags & 1) != 0 ? reader.Floats("encryptedVector") : null;
            byte[]? value = (flags & 2) != 0 ? reader.Bytes("encryptedValue").ToArray() : null;
            queries.Add(new ProtocolQuery(keyId, Floats(true, vector), value));
        }

        return queries;
    }

    private static void WriteUInt32(IBufferWriter<byte> output, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    private static void WriteBytes(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        WriteUInt32(output, (uint)bytes.Length);
        output.Write(bytes);
    }

    private static void WriteBytes(IBufferWriter<byte> output, byte[]? bytes)
    {
        if (bytes is not null)
        {
            WriteBytes(output, bytes.AsSpan());
        }
    }

    private static void WriteString(IBufferWriter<byte> output, string? value)
    {
        if (value is null)
        {
            WriteUInt32(output, NullLength);
            return;
        }

        int length = Encoding.UTF8.GetByteCount(value);
        WriteUInt32(output, (uint)length);
        Encoding.UTF8.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }

    private static void WriteFloats(IBufferWriter<byte> output, ReadOnlyMemory<float>? values)
    {
        if (values is not { } memory)
        {
            return;
        }

        ReadOnlySpan<float> span = memory.Span;
        WriteUInt32(output, (uint)span.Length);
        if (BitConverter.IsLittleEndian)
        {
            output.Write(MemoryMarshal.AsBytes(span));
            return;
        }

        foreach (float value in span)
        {
            BinaryPrimitives.WriteSingleLittleEndian(output.GetSpan(4), value);
            output.Advance(4);
        }
    }

    /// <summary>Reads the layout front to back, checking every length against what remains.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public void Magic(ReadOnlySpan<byte> magic)
        {
            if (!_rest.StartsWith(magic))
            {
                throw new ItemFormatException($"The body is not a {Encoding.ASCII.GetString(magic)} binary batch.");
            }

            _rest = _rest[magic.Length..];
        }

        public readonly void End()
        {
            if (!_rest.IsEmpty)
            {
                throw new ItemFormatException($"The body has {_rest.Length} bytes after its last item.");
            }
        }

        public byte Byte() => Take(1)[0];

        public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        /// <summary>A count of elements that each take at least <paramref name="minimumSize"/> bytes.</summary>
        public int Count(string name, int minimumSize)
        {
            uint count = UInt32();
            if (count > (uint)(_rest.Length / minimumSize))
            {
                throw new ItemFormatException($"\"{name}\" claims {count} elements; the body is too short for them.");
            }

            return (int)count;
        }

        public ReadOnlySpan<byte> Bytes(string name)
        {
            uint length = UInt32();
            if (length > (uint)_rest.Length)
            {
                throw new ItemFormatException($"\"{name}\" claims {length} bytes; the body is too short for them.");
            }

            return Take((int)length);
        }

        public string? String(string name)
        {
            uint length = UInt32();
            if (length == NullLength)
            {
                return null;
            }

            if (length > (uint)_rest.Length)
            {
                throw new ItemFormatException($"\"{name}\" claims {length} bytes; the body is too short for them.");
            }

            try
            {
                return s_strictUtf8.GetString(Take((int)length));
            }
            catch (DecoderFallbackException)
            {
                throw new ItemFormatException($"\"{name}\" is not valid UTF-8.");
            }
        }

        public float[] Floats(string name)
        {
            uint count = UInt32();
            if (count > JsonValues.MaxVectorLength)
            {
                throw new ItemFormatException($"\"{name}\" has more than {JsonValues.MaxVectorLength} elements.");
            }

            if (count > (uint)(_rest.Length / 4))
            {
                throw new ItemFormatException($"\"{name}\" claims {count} elements; the body is too short for them.");
            }

            ReadOnlySpan<byte> bytes = Take((int)count * 4);
            var values = new float[count];
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
            }
            else
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                }
            }

            for (int i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                {
                    throw new ItemFormatException($"\"{name}\" element {i} is not a finite 32-bit floating-point number.");
                }
            }

            return values;
        }

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length > _rest.Length)
            {
                throw new ItemFormatException("The body ends in the middle of a value.");
            }

            ReadOnlySpan<byte> taken = _rest[..length];
            _rest = _rest[length..];
            return taken;
        }
    }
}
