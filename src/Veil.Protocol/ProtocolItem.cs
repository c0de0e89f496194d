namespace Veil.Protocol;

/// <summary>
/// One item of the protocol: a JSON Lines line of the CLI or an element of a key service request's or response's
/// <c>items</c>. It is the union of every operation's shapes (<see cref="ItemOperations"/> says which members each
/// operation reads and writes); absent members are null and are not written.
/// </summary>
/// <remarks>Its members may hold plaintext: it has no <see cref="object.ToString"/> of its own and is never logged.</remarks>
public sealed class ProtocolItem
{
    /// <summary>The <c>id</c> exactly as it appeared in the input (any JSON value, UTF-8), echoed in the result; null when absent.</summary>
    public ReadOnlyMemory<byte>? Id { get; set; }

    /// <summary><c>vector</c>: a plaintext vector.</summary>
    public ReadOnlyMemory<float>? Vector { get; set; }

    /// <summary><c>encryptedVector</c>: a Scale-And-Perturb ciphertext.</summary>
    public ReadOnlyMemory<float>? EncryptedVector { get; set; }

    /// <summary><c>pairedIclInfo</c>: the header that lets an encrypted vector be decrypted (base64 on the wire).</summary>
    public byte[]? PairedIclInfo { get; set; }

    /// <summary><c>value</c>: a plaintext field value (base64 on the wire).</summary>
    public byte[]? Value { get; set; }

    /// <summary><c>encryptedValue</c>: a deterministic field ciphertext (base64 on the wire).</summary>
    public byte[]? EncryptedValue { get; set; }

    /// <summary><c>edek</c>: a document's encrypted data key (base64 on the wire).</summary>
    public byte[]? Edek { get; set; }

    /// <summary><c>fields</c>: a document's fields in wire order, each name once (values base64 on the wire).</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>>? Fields { get; set; }

    /// <summary><c>queries</c>: one query per live key, current first.</summary>
    public IReadOnlyList<ProtocolQuery>? Queries { get; set; }

    /// <summary><c>error</c>: why the item failed; its other members (except <see cref="Id"/>) are then absent.</summary>
    public string? Error { get; set; }

    /// <summary><c>code</c>: the kind of failure when <see cref="Error"/> is set, else <see cref="ItemErrorCode.None"/>.</summary>
    public ItemErrorCode ErrorCode { get; set; }

    /// <summary>A failed item with <paramref name="id"/>, the error's message and its code.</summary>
    public static ProtocolItem Failure(ReadOnlyMemory<byte>? id, ItemError error) =>
        new() { Id = id, Error = error.Message, ErrorCode = error.Code };
}

/// <summary>
/// One element of <c>queries</c>: <c>{"keyId","encryptedVector"}</c> (vector query) or <c>{"keyId","encryptedValue"}</c>
/// (field query).
/// </summary>
/// <param name="KeyId">The id of the key the query was made with.</param>
/// <param name="EncryptedVector">The encrypted query vector, for vector queries.</param>
/// <param name="EncryptedValue">The encrypted value, for field queries.</param>
public sealed record ProtocolQuery(uint KeyId, ReadOnlyMemory<float>? EncryptedVector, byte[]? EncryptedValue);

/// <summary>The members of <see cref="ProtocolItem"/> an operation reads or writes (beside <c>id</c>, always read).</summary>
[Flags]
public enum ItemMembers
{
    /// <summary>No member.</summary>
    None = 0,

    /// <summary><c>vector</c>.</summary>
    Vector = 1,

    /// <summary><c>encryptedVector</c>.</summary>
    EncryptedVector = 2,

    /// <summary><c>pairedIclInfo</c>.</summary>
    PairedIclInfo = 4,

    /// <summary><c>value</c>.</summary>
    Value = 8,

    /// <summary><c>encryptedValue</c>.</summary>
    EncryptedValue = 16,

    /// <summary><c>edek</c>.</summary>
    Edek = 32,

    /// <summary><c>fields</c>.</summary>
    Fields = 64,

    /// <summary><c>queries</c>.</summary>
    Queries = 128,

    /// <summary><c>error</c> and <c>code</c>.</summary>
    Error = 256,

    /// <summary>Every member.</summary>
    All = Vector | EncryptedVector | PairedIclInfo | Value | EncryptedValue | Edek | Fields | Queries | Error,
}
