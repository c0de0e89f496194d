using System.Text.Json;
using Veil.Cli.JsonLines;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Cli.Commands;

/// <summary><c>{"id","vector":[…]}</c>.</summary>
internal sealed class VectorRequest : LineRequest
{
    public float[]? Vector { get; set; }
}

/// <summary><c>{"id","encryptedVector":[…],"pairedIclInfo":"…"}</c>.</summary>
internal sealed class EncryptedVectorRequest : LineRequest
{
    public float[]? EncryptedVector { get; set; }

    public byte[]? PairedIclInfo { get; set; }
}

/// <summary>The key material and paths every vector handler uses.</summary>
internal sealed record VectorContext(VeilClient Client, SecretPath SecretPath, DerivationPath DerivationPath, TenantId Tenant);

/// <summary>Handlers that read plaintext vectors.</summary>
internal abstract class PlaintextVectorHandler<TResult>(VectorContext context) : LineHandler<VectorRequest, TResult>
{
    protected VectorContext Context { get; } = context;

    public override bool ReadProperty(ref Utf8JsonReader reader, VectorRequest request)
    {
        if (reader.ValueTextEquals("vector"u8))
        {
            request.Vector = JsonValues.ReadFloatArray(ref reader, "vector");
            return true;
        }

        return false;
    }

    public override void Validate(VectorRequest request)
    {
        if (request.Vector is null)
        {
            throw new LineFormatException("The line has no \"vector\".");
        }
    }

    protected static IReadOnlyList<ReadOnlyMemory<float>> Plaintexts(IReadOnlyList<VectorRequest> requests) =>
        requests.Select(r => (ReadOnlyMemory<float>)r.Vector!).ToArray();
}

/// <summary>Handlers that read encrypted vectors.</summary>
internal abstract class EncryptedVectorHandler<TResult>(VectorContext context) : LineHandler<EncryptedVectorRequest, TResult>
{
    protected VectorContext Context { get; } = context;

    public override bool ReadProperty(ref Utf8JsonReader reader, EncryptedVectorRequest request)
    {
        if (reader.ValueTextEquals("encryptedVector"u8))
        {
            request.EncryptedVector = JsonValues.ReadFloatArray(ref reader, "encryptedVector");
            return true;
        }

        if (reader.ValueTextEquals("pairedIclInfo"u8))
        {
            request.PairedIclInfo = JsonValues.ReadBase64(ref reader, "pairedIclInfo");
            return true;
        }

        return false;
    }

    public override void Validate(EncryptedVectorRequest request)
    {
        if (request.EncryptedVector is null)
        {
            throw new LineFormatException("The line has no \"encryptedVector\".");
        }

        if (request.PairedIclInfo is null)
        {
            throw new LineFormatException("The line has no \"pairedIclInfo\".");
        }
    }

    protected IReadOnlyList<EncryptedVector> Encrypted(IReadOnlyList<EncryptedVectorRequest> requests) =>
        requests.Select(r => new EncryptedVector(r.EncryptedVector!, r.PairedIclInfo!, Context.SecretPath, Context.DerivationPath)).ToArray();

}

/// <summary>Writes encrypt-shaped output.</summary>
internal static class VectorJson
{
    public static void WriteEncrypted(Utf8JsonWriter writer, EncryptedVector result)
    {
        JsonValues.WriteFloatArray(writer, "encryptedVector", result.Ciphertext.Span);
        writer.WriteBase64String("pairedIclInfo"u8, result.PairedIclInfo.Span);
    }
}

/// <summary><c>veil vector encrypt</c>: the core's <c>EncryptBatch</c> (IVs drawn in input order).</summary>
internal sealed class VectorEncryptHandler(VectorContext context) : PlaintextVectorHandler<EncryptedVector>(context)
{
    public override void Process(IReadOnlyList<VectorRequest> requests, LineOutcome<EncryptedVector>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Vector.EncryptBatch(Plaintexts(requests), Context.SecretPath, Context.DerivationPath, Context.Tenant));

    public override void WriteResult(Utf8JsonWriter writer, VectorRequest request, EncryptedVector result) =>
        VectorJson.WriteEncrypted(writer, result);
}

/// <summary><c>veil vector encrypt --one-way</c>: no paired ICL info, so nobody can decrypt.</summary>
internal sealed class VectorEncryptOneWayHandler(VectorContext context) : PlaintextVectorHandler<float[]>(context)
{
    public override void Process(IReadOnlyList<VectorRequest> requests, LineOutcome<float[]>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Vector.EncryptOneWayBatch(Plaintexts(requests), Context.SecretPath, Context.DerivationPath, Context.Tenant));

    public override void WriteResult(Utf8JsonWriter writer, VectorRequest request, float[] result) =>
        JsonValues.WriteFloatArray(writer, "encryptedVector", result);
}

/// <summary><c>veil vector query</c>: one encrypted query per live key, current first.</summary>
internal sealed class VectorQueryHandler(VectorContext context) : PlaintextVectorHandler<IReadOnlyList<QueryVector>>(context)
{
    public override void Process(IReadOnlyList<VectorRequest> requests, LineOutcome<IReadOnlyList<QueryVector>>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Vector.GenerateQueryVectorsBatch(Plaintexts(requests), Context.SecretPath, Context.DerivationPath, Context.Tenant));

    public override void WriteResult(Utf8JsonWriter writer, VectorRequest request, IReadOnlyList<QueryVector> result)
    {
        writer.WriteStartArray("queries"u8);
        foreach (QueryVector query in result)
        {
            writer.WriteStartObject();
            writer.WriteNumber("keyId"u8, query.KeyId.Value);
            JsonValues.WriteFloatArray(writer, "encryptedVector", query.Ciphertext.Span);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}

/// <summary><c>veil vector decrypt</c>.</summary>
internal sealed class VectorDecryptHandler(VectorContext context) : EncryptedVectorHandler<float[]>(context)
{
    public override void Process(IReadOnlyList<EncryptedVectorRequest> requests, LineOutcome<float[]>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Vector.DecryptBatch(Encrypted(requests), Context.Tenant));

    public override void WriteResult(Utf8JsonWriter writer, EncryptedVectorRequest request, float[] result) =>
        JsonValues.WriteFloatArray(writer, "vector", result);
}

/// <summary><c>veil vector rotate</c>: re-encrypts with the current key, optionally for another tenant.</summary>
internal sealed class VectorRotateHandler(VectorContext context, TenantId? newTenant) : EncryptedVectorHandler<EncryptedVector>(context)
{
    public override void Process(IReadOnlyList<EncryptedVectorRequest> requests, LineOutcome<EncryptedVector>[] outcomes) =>
        LineBatch.FromBatch(outcomes, () => Context.Client.Vector.RotateBatch(Encrypted(requests), Context.Tenant, newTenant));

    public override void WriteResult(Utf8JsonWriter writer, EncryptedVectorRequest request, EncryptedVector result) =>
        VectorJson.WriteEncrypted(writer, result);
}
