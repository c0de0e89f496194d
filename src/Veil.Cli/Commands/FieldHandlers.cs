using System.Text.Json;
using Veil.Cli.JsonLines;
using Veil.Fields;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary><c>{"id","value":"&lt;base64&gt;"}</c>.</summary>
internal sealed class FieldRequest : LineRequest
{
    public byte[]? Value { get; set; }
}

/// <summary><c>{"id","encryptedValue":"&lt;base64&gt;"}</c>.</summary>
internal sealed class EncryptedFieldRequest : LineRequest
{
    public byte[]? EncryptedValue { get; set; }
}

/// <summary>The key material and paths every field handler uses.</summary>
internal sealed record FieldContext(VeilClient Client, SecretPath SecretPath, DerivationPath DerivationPath, TenantId Tenant, IReadOnlyList<KeyId> LiveKeyIds);

/// <summary>Handlers that read plaintext field values.</summary>
internal abstract class PlaintextFieldHandler<TResult>(FieldContext context) : LineHandler<FieldRequest, TResult>
{
    protected FieldContext Context { get; } = context;

    public override bool ReadProperty(ref Utf8JsonReader reader, FieldRequest request)
    {
        if (reader.ValueTextEquals("value"u8))
        {
            request.Value = JsonValues.ReadBase64(ref reader, "value");
            return true;
        }

        return false;
    }

    public override void Validate(FieldRequest request)
    {
        if (request.Value is null)
        {
            throw new LineFormatException("The line has no \"value\".");
        }
    }

    protected IReadOnlyList<PlaintextField> Plaintexts(IReadOnlyList<FieldRequest> requests) =>
        requests.Select(r => new PlaintextField(r.Value, Context.SecretPath, Context.DerivationPath)).ToArray();
}

/// <summary>Handlers that read encrypted field values.</summary>
internal abstract class EncryptedFieldHandler<TResult>(FieldContext context) : LineHandler<EncryptedFieldRequest, TResult>
{
    protected FieldContext Context { get; } = context;

    public override bool ReadProperty(ref Utf8JsonReader reader, EncryptedFieldRequest request)
    {
        if (reader.ValueTextEquals("encryptedValue"u8))
        {
            request.EncryptedValue = JsonValues.ReadBase64(ref reader, "encryptedValue");
            return true;
        }

        return false;
    }

    public override void Validate(EncryptedFieldRequest request)
    {
        if (request.EncryptedValue is null)
        {
            throw new LineFormatException("The line has no \"encryptedValue\".");
        }
    }

    protected IReadOnlyList<EncryptedField> Encrypted(IReadOnlyList<EncryptedFieldRequest> requests) =>
        requests.Select(r => new EncryptedField(r.EncryptedValue!, Context.SecretPath, Context.DerivationPath)).ToArray();
}

/// <summary><c>veil field encrypt</c>: deterministic (AES-SIV) encryption; equal values give equal ciphertexts.</summary>
internal sealed class FieldEncryptHandler(FieldContext context) : PlaintextFieldHandler<EncryptedField>(context)
{
    public override void Process(IReadOnlyList<FieldRequest> requests, LineOutcome<EncryptedField>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Deterministic.EncryptDeterministicallyBatch(Plaintexts(requests), Context.Tenant));

    public override void WriteResult(Utf8JsonWriter writer, FieldRequest request, EncryptedField result) =>
        writer.WriteBase64String("encryptedValue"u8, result.Ciphertext);
}

/// <summary><c>veil field query</c>: the value encrypted with every live key, current first.</summary>
internal sealed class FieldQueryHandler(FieldContext context) : PlaintextFieldHandler<IReadOnlyList<EncryptedField>>(context)
{
    public override void Process(IReadOnlyList<FieldRequest> requests, LineOutcome<IReadOnlyList<EncryptedField>>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Deterministic.GenerateQueryFieldValuesBatch(Plaintexts(requests), Context.Tenant));

    public override void WriteResult(Utf8JsonWriter writer, FieldRequest request, IReadOnlyList<EncryptedField> result)
    {
        writer.WriteStartArray("queries"u8);
        for (int i = 0; i < result.Count; i++)
        {
            writer.WriteStartObject();
            // The core returns one value per live key, in the order of RotatableSecret.Live (current first).
            writer.WriteNumber("keyId"u8, Context.LiveKeyIds[i].Value);
            writer.WriteBase64String("encryptedValue"u8, result[i].Ciphertext);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}

/// <summary><c>veil field decrypt</c>.</summary>
internal sealed class FieldDecryptHandler(FieldContext context) : EncryptedFieldHandler<byte[]>(context)
{
    public override void Process(IReadOnlyList<EncryptedFieldRequest> requests, LineOutcome<byte[]>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Deterministic.DecryptBatch(Encrypted(requests), Context.Tenant));

    public override void WriteResult(Utf8JsonWriter writer, EncryptedFieldRequest request, byte[] result) =>
        writer.WriteBase64String("value"u8, result);
}

/// <summary><c>veil field rotate</c>: re-encrypts with the current key, optionally for another tenant.</summary>
internal sealed class FieldRotateHandler(FieldContext context, TenantId? newTenant) : EncryptedFieldHandler<EncryptedField>(context)
{
    public override void Process(IReadOnlyList<EncryptedFieldRequest> requests, LineOutcome<EncryptedField>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Deterministic.RotateFields(Encrypted(requests), Context.Tenant, newTenant));

    public override void WriteResult(Utf8JsonWriter writer, EncryptedFieldRequest request, EncryptedField result) =>
        writer.WriteBase64String("encryptedValue"u8, result.Ciphertext);
}
