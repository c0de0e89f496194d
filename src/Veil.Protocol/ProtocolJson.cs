using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Veil.Protocol;

/// <summary>
/// The JSON form of the protocol: items (<see cref="ProtocolItem"/>), the key service's request envelope
/// (<see cref="BatchRequest"/>), its response <c>{"items":[…]}</c> and its error body <c>{"error":"…"}</c>.
/// Members are matched by their exact camelCase names; members an operation does not use are skipped unread.
/// </summary>
public static class ProtocolJson
{
    /// <summary>
    /// The writer settings: not HTML-escaped (keeps '+' in base64 and non-ASCII text readable); quotes, backslashes
    /// and control characters are still escaped.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The reader settings: at most 64 levels of nesting.</summary>
    public static JsonReaderOptions ReaderOptions { get; } = new() { MaxDepth = 64 };

    /// <summary>
    /// Parses one JSON Lines line (UTF-8) into an item with the <paramref name="members"/> of its operation. A line
    /// that is not valid gives an item with only its <c>id</c> (when it could be read) and an
    /// <see cref="ItemErrorCode.InvalidInput"/> error; it never throws for bad input.
    /// </summary>
    public static ProtocolItem ParseLine(ReadOnlySpan<byte> line, ItemMembers members) => ParseLine(line, members, arena: null);

    /// <summary>
    /// <see cref="ParseLine(ReadOnlySpan{byte}, ItemMembers)"/> with the vectors in <paramref name="arena"/> when given.
    /// </summary>
    internal static ProtocolItem ParseLine(ReadOnlySpan<byte> line, ItemMembers members, VectorArena? arena)
    {
        var item = new ProtocolItem();
        try
        {
            var reader = new Utf8JsonReader(line, isFinalBlock: true, new JsonReaderState(ReaderOptions));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ItemFormatException("Each line must be a JSON object.");
            }

            ReadItemMembers(ref reader, ref line, members, item, arena);

            // Trailing content after the object makes the reader throw (it does not allow multiple values).
            _ = reader.Read();
            return item;
        }
        catch (JsonException e)
        {
            // Only the position: the reader's own message can quote the offending text, which may be plaintext.
            return ProtocolItem.Failure(item.Id, new(ItemErrorCode.InvalidInput, $"Malformed JSON at byte {e.BytePositionInLine ?? 0} of the line."));
        }
        catch (ItemFormatException e)
        {
            return ProtocolItem.Failure(item.Id, ItemError.From(e));
        }
    }

    /// <summary>
    /// Reads a key service request body. Malformed JSON, a value of the wrong type anywhere or an item that is not an
    /// object fail the whole request; a missing member is left to the operation, which fails that item alone.
    /// </summary>
    /// <exception cref="ItemFormatException">The body is not a valid request (the message names the place, never the value).</exception>
    public static BatchRequest ReadRequest(ReadOnlySpan<byte> body, ItemMembers members)
    {
        try
        {
            var reader = new Utf8JsonReader(body, isFinalBlock: true, new JsonReaderState(ReaderOptions));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ItemFormatException("The body must be a JSON object.");
            }

            var request = new BatchRequest();
            while (JsonValues.Next(ref reader) && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.ValueTextEquals("tenant"u8))
                {
                    request.Tenant = JsonValues.ReadString(ref reader, "tenant");
                }
                else if (reader.ValueTextEquals("secretPath"u8))
                {
                    request.SecretPath = JsonValues.ReadString(ref reader, "secretPath");
                }
                else if (reader.ValueTextEquals("derivationPath"u8))
                {
                    request.DerivationPath = JsonValues.ReadString(ref reader, "derivationPath");
                }
                else if (reader.ValueTextEquals("newTenant"u8))
                {
                    request.NewTenant = JsonValues.ReadString(ref reader, "newTenant");
                }
                else if (reader.ValueTextEquals("items"u8))
                {
                    request.Items = ReadItems(ref reader, ref body, members);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            _ = reader.Read();
            return request;
        }
        catch (JsonException e)
        {
            throw new ItemFormatException($"Malformed JSON at line {(e.LineNumber ?? 0) + 1}, byte {e.BytePositionInLine ?? 0}.");
        }
    }

    /// <summary>Reads a key service response body <c>{"items":[…]}</c>, with the operation's result members.</summary>
    /// <exception cref="ItemFormatException">The body is not a valid response.</exception>
    public static IReadOnlyList<ProtocolItem> ReadResponse(ReadOnlySpan<byte> body, ItemMembers members)
    {
        try
        {
            var reader = new Utf8JsonReader(body, isFinalBlock: true, new JsonReaderState(ReaderOptions));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ItemFormatException("The body must be a JSON object.");
            }

            IReadOnlyList<ProtocolItem>? items = null;
            while (JsonValues.Next(ref reader) && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.ValueTextEquals("items"u8))
                {
                    items = ReadItems(ref reader, ref body, members | ItemMembers.Error);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            _ = reader.Read();
            return items ?? throw new ItemFormatException("The body has no \"items\".");
        }
        catch (JsonException e)
        {
            throw new ItemFormatException($"Malformed JSON at line {(e.LineNumber ?? 0) + 1}, byte {e.BytePositionInLine ?? 0}.");
        }
    }

    /// <summary>Reads the <c>error</c> of an error body <c>{"error":"…"}</c>; null when the body is not one.</summary>
    public static string? ReadError(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, isFinalBlock: true, new JsonReaderState(ReaderOptions));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? error = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("error"u8))
                {
                    error = JsonValues.ReadString(ref reader, "error");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return error;
        }
        catch (Exception e) when (e is JsonException or ItemFormatException)
        {
            return null;
        }
    }

    /// <summary>Writes one item as a JSON object: <c>id</c> first, then its members in a fixed order; null members are omitted.</summary>
    public static void WriteItem(Utf8JsonWriter writer, ProtocolItem item)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(item);
        writer.WriteStartObject();
        // An empty id (a null byte array assigned to Id converts to one) is no id.
        if (item.Id is { IsEmpty: false } id)
        {
            writer.WritePropertyName("id"u8);
            writer.WriteRawValue(id.Span);
        }

        if (item.Vector is { } vector)
        {
            JsonValues.WriteFloatArray(writer, "vector"u8, vector.Span);
        }

        if (item.EncryptedVector is { } encryptedVector)
        {
            JsonValues.WriteFloatArray(writer, "encryptedVector"u8, encryptedVector.Span);
        }

        WriteBase64(writer, "pairedIclInfo"u8, item.PairedIclInfo);
        WriteBase64(writer, "value"u8, item.Value);
        WriteBase64(writer, "encryptedValue"u8, item.EncryptedValue);
        WriteBase64(writer, "edek"u8, item.Edek);
        if (item.Fields is { } fields)
        {
            writer.WriteStartObject("fields"u8);
            foreach (KeyValuePair<string, byte[]> field in fields)
            {
                writer.WriteBase64String(field.Key, field.Value);
            }

            writer.WriteEndObject();
        }

        if (item.Queries is { } queries)
        {
            writer.WriteStartArray("queries"u8);
            foreach (ProtocolQuery query in queries)
            {
                writer.WriteStartObject();
                writer.WriteNumber("keyId"u8, query.KeyId);
                if (query.EncryptedVector is { } queryVector)
                {
                    JsonValues.WriteFloatArray(writer, "encryptedVector"u8, queryVector.Span);
                }

                WriteBase64(writer, "encryptedValue"u8, query.EncryptedValue);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (item.Error is { } error)
        {
            writer.WriteString("error"u8, error);
            if (ItemError.WireName(item.ErrorCode) is { } code)
            {
                writer.WriteString("code"u8, code);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes a key service request body.</summary>
    public static void WriteRequest(Utf8JsonWriter writer, BatchRequest request)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(request);
        writer.WriteStartObject();
        WriteString(writer, "tenant"u8, request.Tenant);
        WriteString(writer, "secretPath"u8, request.SecretPath);
        WriteString(writer, "derivationPath"u8, request.DerivationPath);
        WriteString(writer, "newTenant"u8, request.NewTenant);
        if (request.Items is { } items)
        {
            WriteItems(writer, items);
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes a key service response body <c>{"items":[…]}</c>.</summary>
    public static void WriteResponse(Utf8JsonWriter writer, IReadOnlyList<ProtocolItem> items)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(items);
        writer.WriteStartObject();
        WriteItems(writer, items);
        writer.WriteEndObject();
    }

    /// <summary>Writes an error body <c>{"error":"…"}</c>.</summary>
    public static void WriteError(Utf8JsonWriter writer, string message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("error"u8, message);
        writer.WriteEndObject();
    }

    /// <summary>Serializes with <paramref name="write"/> into a new byte array, with <see cref="WriterOptions"/>.</summary>
    public static byte[] ToUtf8(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static List<ProtocolItem>? ReadItems(ref Utf8JsonReader reader, ref ReadOnlySpan<byte> source, ItemMembers members)
    {
        JsonValues.Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ItemFormatException("\"items\" must be an array of objects.");
        }

        var items = new List<ProtocolItem>();
        while (JsonValues.Next(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ItemFormatException($"items[{items.Count}] must be an object.");
            }

            var item = new ProtocolItem();
            try
            {
                ReadItemMembers(ref reader, ref source, members, item, arena: null);
            }
            catch (ItemFormatException e)
            {
                throw new ItemFormatException($"items[{items.Count}]: {e.Message}");
            }

            items.Add(item);
        }

        return items;
    }

    /// <summary>
    /// Reads the members of the object the reader is on (at its start), leaving the reader on its end.
    /// <paramref name="source"/> is the reader's input: reading a float array may replace both by their rest
    /// (<see cref="JsonValues.ReadFloatArray(ref Utf8JsonReader, ref ReadOnlySpan{byte}, string, VectorArena)"/>).
    /// </summary>
    private static void ReadItemMembers(ref Utf8JsonReader reader, ref ReadOnlySpan<byte> source, ItemMembers members, ProtocolItem item, VectorArena? arena)
    {
        while (JsonValues.Next(ref reader) && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                JsonValues.Next(ref reader);
                int start = checked((int)reader.TokenStartIndex);
                reader.Skip();
                item.Id = source[start..checked((int)reader.BytesConsumed)].ToArray();
            }
            else if (!ReadMember(ref reader, ref source, members, item, arena))
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static bool ReadMember(ref Utf8JsonReader reader, ref ReadOnlySpan<byte> source, ItemMembers members, ProtocolItem item, VectorArena? arena)
    {
        if ((members & ItemMembers.Vector) != 0 && reader.ValueTextEquals("vector"u8))
        {
            item.Vector = JsonValues.ReadFloatArray(ref reader, ref source, "vector", arena);
        }
        else if ((members & ItemMembers.EncryptedVector) != 0 && reader.ValueTextEquals("encryptedVector"u8))
        {
            item.EncryptedVector = JsonValues.ReadFloatArray(ref reader, ref source, "encryptedVector", arena);
        }
        else if ((members & ItemMembers.PairedIclInfo) != 0 && reader.ValueTextEquals("pairedIclInfo"u8))
        {
            item.PairedIclInfo = JsonValues.ReadBase64(ref reader, "pairedIclInfo");
        }
        else if ((members & ItemMembers.Value) != 0 && reader.ValueTextEquals("value"u8))
        {
            item.Value = JsonValues.ReadBase64(ref reader, "value");
        }
        else if ((members & ItemMembers.EncryptedValue) != 0 && reader.ValueTextEquals("encryptedValue"u8))
        {
            item.EncryptedValue = JsonValues.ReadBase64(ref reader, "encryptedValue");
        }
        else if ((members & ItemMembers.Edek) != 0 && reader.ValueTextEquals("edek"u8))
        {
            item.Edek = JsonValues.ReadBase64(ref reader, "edek");
        }
        else if ((members & ItemMembers.Fields) != 0 && reader.ValueTextEquals("fields"u8))
        {
            item.Fields = JsonValues.ReadBase64Map(ref reader, "fields");
        }
        else if ((members & ItemMembers.Queries) != 0 && reader.ValueTextEquals("queries"u8))
        {
            item.Queries = ReadQueries(ref reader, ref source, arena);
        }
        else if ((members & ItemMembers.Error) != 0 && reader.ValueTextEquals("error"u8))
        {
            item.Error = JsonValues.ReadString(ref reader, "error");
            item.ErrorCode = item.ErrorCode == ItemErrorCode.None ? ItemErrorCode.Internal : item.ErrorCode;
        }
        else if ((members & ItemMembers.Error) != 0 && reader.ValueTextEquals("code"u8))
        {
            item.ErrorCode = ItemError.FromWireName(JsonValues.ReadString(ref reader, "code"));
        }
        else
        {
            return false;
        }

        return true;
    }

    private static List<ProtocolQuery> ReadQueries(ref Utf8JsonReader reader, ref ReadOnlySpan<byte> source, VectorArena? arena)
    {
        JsonValues.Next(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ItemFormatException("\"queries\" must be an array of objects.");
        }

        var queries = new List<ProtocolQuery>();
        while (JsonValues.Next(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ItemFormatException("\"queries\" must be an array of objects.");
            }

            uint? keyId = null;
            ReadOnlyMemory<float>? vector = null;
            byte[]? value = null;
            while (JsonValues.Next(ref reader) && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.ValueTextEquals("keyId"u8))
                {
                    JsonValues.Next(ref reader);
                    keyId = reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out uint id)
                        ? id
                        : throw new ItemFormatException("\"keyId\" must be an integer from 0 to 4294967295.");
                }
                else if (reader.ValueTextEquals("encryptedVector"u8))
                {
                    vector = JsonValues.ReadFloatArray(ref reader, ref source, "encryptedVector", arena);
                }
                else if (reader.ValueTextEquals("encryptedValue"u8))
                {
                    value = JsonValues.ReadBase64(ref reader, "encryptedValue");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            queries.Add(new ProtocolQuery(keyId ?? throw new ItemFormatException("A query has no \"keyId\"."), vector, value));
        }

        return queries;
    }

    private static void WriteItems(Utf8JsonWriter writer, IReadOnlyList<ProtocolItem> items)
    {
        writer.WriteStartArray("items"u8);
        foreach (ProtocolItem item in items)
        {
            WriteItem(writer, item);
        }

        writer.WriteEndArray();
    }

    private static void WriteBase64(Utf8JsonWriter writer, ReadOnlySpan<byte> name, byte[]? value)
    {
        if (value is not null)
        {
            writer.WriteBase64String(name, value);
        }
    }

    private static void WriteString(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
