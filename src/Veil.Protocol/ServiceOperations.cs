namespace Veil.Protocol;

/// <summary>The operation names of the key service, used in routes (<c>POST /v1/{kind}/{action}</c>), policies and the audit log.</summary>
public static class ServiceOperations
{
    /// <summary>Encrypt vectors (with paired ICL info, so they can be decrypted).</summary>
    public const string VectorEncrypt = "vector.encrypt";

    /// <summary>Make query vectors, one per live key.</summary>
    public const string VectorQuery = "vector.query";

    /// <summary>Decrypt vectors.</summary>
    public const string VectorDecrypt = "vector.decrypt";

    /// <summary>Re-encrypt vectors with the current key (optionally for a new tenant).</summary>
    public const string VectorRotate = "vector.rotate";

    /// <summary>Deterministically encrypt field values.</summary>
    public const string FieldEncrypt = "field.encrypt";

    /// <summary>Encrypt a field value with every live key.</summary>
    public const string FieldQuery = "field.query";

    /// <summary>Decrypt field values.</summary>
    public const string FieldDecrypt = "field.decrypt";

    /// <summary>Standard (AES-GCM + EDEK) document encryption.</summary>
    public const string DocumentEncrypt = "document.encrypt";

    /// <summary>Standard document decryption.</summary>
    public const string DocumentDecrypt = "document.decrypt";

    /// <summary>Read <c>/metrics</c>.</summary>
    public const string Metrics = "metrics";

    /// <summary>Every operation name.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        VectorEncrypt, VectorQuery, VectorDecrypt, VectorRotate, FieldEncrypt, FieldQuery, FieldDecrypt, DocumentEncrypt, DocumentDecrypt, Metrics,
    };
}
