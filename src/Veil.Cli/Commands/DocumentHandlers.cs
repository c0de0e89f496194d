using System.Text.Json;
using Veil.Cli.JsonLines;
using Veil.Documents;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary><c>{"id","edek":"&lt;base64&gt;","fields":{"name":"&lt;base64&gt;"}}</c>; each part optional until validated.</summary>
internal sealed class DocumentRequest : LineRequest
{
    public byte[]? Edek { get; set; }

    /// <summary>The fields in input order (output keeps it).</summary>
    public List<KeyValuePair<string, byte[]>>? Fields { get; set; }

    public Dictionary<string, byte[]> FieldMap() => Fields!.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
}

/// <summary>The client and tenant every document handler uses.</summary>
internal sealed record DocumentContext(VeilClient Client, TenantId Tenant);

/// <summary>Reads the document line shape; subclasses say which parts are required.</summary>
internal abstract class DocumentHandler<TResult>(DocumentContext context, bool needsEdek, bool needsFields) : LineHandler<DocumentRequest, TResult>
{
    protected DocumentContext Context { get; } = context;

    public override bool ReadProperty(ref Utf8JsonReader reader, DocumentRequest request)
    {
        if (reader.ValueTextEquals("edek"u8))
        {
            request.Edek = JsonValues.ReadBase64(ref reader, "edek");
            return true;
        }

        if (reader.ValueTextEquals("fields"u8))
        {
            request.Fields = JsonValues.ReadBase64Map(ref reader, "fields");
            return true;
        }

        return false;
    }

    public override void Validate(DocumentRequest request)
    {
        if (needsEdek && request.Edek is null)
        {
            throw new LineFormatException("The line has no \"edek\".");
        }

        if (needsFields && request.Fields is null)
        {
            throw new LineFormatException("The line has no \"fields\".");
        }
    }

    protected static void WriteFields(Utf8JsonWriter writer, DocumentRequest request, IReadOnlyDictionary<string, byte[]> fields)
    {
        writer.WriteStartObject("fields"u8);
        foreach (KeyValuePair<string, byte[]> field in request.Fields!)
        {
            writer.WriteBase64String(field.Key, fields[field.Key]);
        }

        writer.WriteEndObject();
    }
}

/// <summary><c>veil document encrypt</c>: a fresh data key per document, AES-256-GCM per field.</summary>
internal sealed class DocumentEncryptHandler(DocumentContext context) : DocumentHandler<EncryptedDocument>(context, needsEdek: false, needsFields: true)
{
    public override void Process(IReadOnlyList<DocumentRequest> requests, LineOutcome<EncryptedDocument>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Standard.EncryptBatch(requests.Select(r => (IReadOnlyDictionary<string, byte[]>)r.FieldMap()).ToArray(), Context.Tenant));

    public override void WriteResult(Utf8JsonWriter writer, DocumentRequest request, EncryptedDocument result)
    {
        writer.WriteBase64String("edek"u8, result.Edek);
        WriteFields(writer, request, result.Fields);
    }
}

/// <summary><c>veil document decrypt</c>.</summary>
internal sealed class DocumentDecryptHandler(DocumentContext context) : DocumentHandler<IReadOnlyDictionary<string, byte[]>>(context, needsEdek: true, needsFields: true)
{
    public override void Process(IReadOnlyList<DocumentRequest> requests, LineOutcome<IReadOnlyDictionary<string, byte[]>>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Standard.DecryptBatch(requests.Select(r => new EncryptedDocument(r.Edek!, r.FieldMap())).ToArray(), Context.Tenant));

    public override void WriteResult(Utf8JsonWriter writer, DocumentRequest request, IReadOnlyDictionary<string, byte[]> result) =>
        WriteFields(writer, request, result);
}

/// <summary><c>veil document rekey</c>: re-wraps each EDEK with the primary secret, optionally for another tenant.</summary>
internal sealed class DocumentRekeyHandler(DocumentContext context, TenantId? newTenant) : DocumentHandler<byte[]>(context, needsEdek: true, needsFields: false)
{
    public override void Process(IReadOnlyList<DocumentRequest> requests, LineOutcome<byte[]>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Standard.RekeyEdeks(requests.Select(r => r.Edek!).ToArray(), Context.Tenant, newTenant));

    public override void WriteResult(Utf8JsonWriter writer, DocumentRequest request, byte[] result) =>
        writer.WriteBase64String("edek"u8, result);
}
