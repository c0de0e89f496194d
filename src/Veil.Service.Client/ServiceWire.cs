using System.Text.Json;
using System.Text.Json.Serialization;

namespace Veil.Service.Wire;

/// <summary>
/// A batch request to the key service: the scope of every item plus the items, each shaped like one line of the
/// matching CLI command (<c>{"id","vector":[…]}</c>, <c>{"id","encryptedValue":"…"}</c>, …).
/// </summary>
internal sealed class ServiceRequest
{
    public string? Tenant { get; set; }

    public string? SecretPath { get; set; }

    public string? DerivationPath { get; set; }

    /// <summary>Rotate only: re-encrypt for this tenant.</summary>
    public string? NewTenant { get; set; }

    public List<ServiceItem>? Items { get; set; }
}

/// <summary>The response: one item per request item, in order; a failed item has only <c>id</c> and <c>error</c>.</summary>
internal sealed class ServiceResponse
{
    public List<ServiceItem> Items { get; set; } = [];
}

/// <summary>The union of the CLI line shapes (absent members are omitted on the wire).</summary>
internal sealed class ServiceItem
{
    public JsonElement? Id { get; set; }

    public float[]? Vector { get; set; }

    public float[]? EncryptedVector { get; set; }

    public byte[]? PairedIclInfo { get; set; }

    public byte[]? Value { get; set; }

    public byte[]? EncryptedValue { get; set; }

    public byte[]? Edek { get; set; }

    public Dictionary<string, byte[]>? Fields { get; set; }

    public List<ServiceQuery>? Queries { get; set; }

    public string? Error { get; set; }
}

/// <summary>One query for one live key: <c>{"keyId","encryptedVector"}</c> or <c>{"keyId","encryptedValue"}</c>.</summary>
internal sealed class ServiceQuery
{
    public uint KeyId { get; set; }

    public float[]? EncryptedVector { get; set; }

    public byte[]? EncryptedValue { get; set; }
}

/// <summary>The body of every non-2xx response.</summary>
internal sealed class ServiceError
{
    public string Error { get; set; } = "";
}

/// <summary>The serializer settings both sides use.</summary>
internal static class ServiceJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // NaN/Infinity never appear in valid vectors; the core rejects them, so they are not allowed on the wire.
        NumberHandling = JsonNumberHandling.Strict,
    };
}
