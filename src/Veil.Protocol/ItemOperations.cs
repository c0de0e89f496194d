using System.Runtime.InteropServices;
using Veil.Documents;
using Veil.Fields;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Protocol;

/// <summary>
/// Every operation of the protocol and its item shapes. Request → result:
/// vector encrypt <c>{"vector"}</c> → <c>{"encryptedVector","pairedIclInfo"}</c>; vector query <c>{"vector"}</c> →
/// <c>{"queries":[{"keyId","encryptedVector"}]}</c>; vector decrypt <c>{"encryptedVector","pairedIclInfo"}</c> →
/// <c>{"vector"}</c>; vector rotate: encrypt-shaped both ways; field encrypt <c>{"value"}</c> →
/// <c>{"encryptedValue"}</c>; field query <c>{"value"}</c> → <c>{"queries":[{"keyId","encryptedValue"}]}</c>;
/// field decrypt <c>{"encryptedValue"}</c> → <c>{"value"}</c>; document encrypt <c>{"fields"}</c> →
/// <c>{"edek","fields"}</c>; document decrypt <c>{"edek","fields"}</c> → <c>{"fields"}</c>. Every item may carry an
/// <c>id</c> (any JSON value, echoed); a failed item is <c>{"id","error","code"}</c>.
/// </summary>
public static class ItemOperations
{
    /// <summary><c>vector.encrypt</c>: Scale-And-Perturb encryption with paired ICL info (decryptable).</summary>
    public static ItemOperation<ReadOnlyMemory<float>, EncryptedVector> VectorEncrypt { get; } = new(
        ServiceOperations.VectorEncrypt,
        ItemMembers.Vector,
        ItemMembers.EncryptedVector | ItemMembers.PairedIclInfo,
        (item, scope) => Sized(Need(item.Vector, "vector"), scope.Dimension),
        vector => new ProtocolItem { Vector = vector },
        (client, inputs, scope) => client.Vector.EncryptBatch(inputs, scope.SecretPath, scope.DerivationPath, scope.Tenant),
        static (_, _) => static (encrypted, _) => EncryptedVectorItem(encrypted),
        (item, scope) => ReadEncryptedVector(item, scope),
        (client, inputs, scope, arena) => Items(
            client.Vector.EncryptBatch(inputs, Allocate(arena, inputs, static v => v.Length), scope.SecretPath, scope.DerivationPath, scope.Tenant),
            EncryptedVectorItem));

    /// <summary><c>vector.encrypt-one-way</c> (the CLI's <c>--one-way</c>): no paired ICL info, so nobody can decrypt.</summary>
    public static ItemOperation<ReadOnlyMemory<float>, float[]> VectorEncryptOneWay { get; } = new(
        "vector.encrypt-one-way",
        ItemMembers.Vector,
        ItemMembers.EncryptedVector,
        (item, scope) => Sized(Need(item.Vector, "vector"), scope.Dimension),
        vector => new ProtocolItem { Vector = vector },
        (client, inputs, scope) => client.Vector.EncryptOneWayBatch(inputs, scope.SecretPath, scope.DerivationPath, scope.Tenant),
        static (_, _) => static (encrypted, _) => new ProtocolItem { EncryptedVector = encrypted },
        (item, _) => AsArray(Need(item.EncryptedVector, "encryptedVector")));

    /// <summary><c>vector.query</c>: one encrypted query per live key, current first.</summary>
    public static ItemOperation<ReadOnlyMemory<float>, IReadOnlyList<QueryVector>> VectorQuery { get; } = new(
        ServiceOperations.VectorQuery,
        ItemMembers.Vector,
        ItemMembers.Queries,
        (item, scope) => Sized(Need(item.Vector, "vector"), scope.Dimension),
        vector => new ProtocolItem { Vector = vector },
        (client, inputs, scope) => client.Vector.GenerateQueryVectorsBatch(inputs, scope.SecretPath, scope.DerivationPath, scope.Tenant),
        static (_, _) => static (queries, _) => new ProtocolItem { Queries = [.. queries.Select(q => new ProtocolQuery(q.KeyId.Value, q.Ciphertext, null))] },
        (item, _) => [.. Need(item.Queries, "queries").Select(q => new QueryVector(new KeyId(q.KeyId), Need(q.EncryptedVector, "encryptedVector")))]);

    /// <summary><c>vector.decrypt</c>.</summary>
    public static ItemOperation<EncryptedVector, float[]> VectorDecrypt { get; } = new(
        ServiceOperations.VectorDecrypt,
        ItemMembers.EncryptedVector | ItemMembers.PairedIclInfo,
        ItemMembers.Vector,
        ReadEncryptedVectorInput,
        EncryptedVectorItem,
        (client, inputs, scope) => client.Vector.DecryptBatch(inputs, scope.Tenant),
        static (_, _) => static (plaintext, _) => new ProtocolItem { Vector = plaintext },
        (item, _) => AsArray(Need(item.Vector, "vector")),
        (client, inputs, scope, arena) => Items(
            client.Vector.DecryptBatch(inputs, Allocate(arena, inputs, static v => v.Ciphertext.Length), scope.Tenant),
            static plaintext => new ProtocolItem { Vector = plaintext }));

    /// <summary><c>vector.rotate</c>: re-encrypts with the current key, optionally for another tenant (lossy: adds drift).</summary>
    public static ItemOperation<EncryptedVector, EncryptedVector> VectorRotate { get; } = new(
        ServiceOperations.VectorRotate,
        ItemMembers.EncryptedVector | ItemMembers.PairedIclInfo,
        ItemMembers.EncryptedVector | ItemMembers.PairedIclInfo,
        ReadEncryptedVectorInput,
        EncryptedVectorItem,
        (client, inputs, scope) => client.Vector.RotateBatch(inputs, scope.Tenant, scope.NewTenant),
        static (_, _) => static (encrypted, _) => EncryptedVectorItem(encrypted),
        (item, scope) => ReadEncryptedVector(item, scope));

    /// <summary><c>field.encrypt</c>: deterministic (AES-SIV) encryption; equal values give equal ciphertexts.</summary>
    public static ItemOperation<PlaintextField, EncryptedField> FieldEncrypt { get; } = new(
        ServiceOperations.FieldEncrypt,
        ItemMembers.Value,
        ItemMembers.EncryptedValue,
        (item, scope) => new PlaintextField(Need(item.Value, "value"), scope.SecretPath, scope.DerivationPath),
        field => new ProtocolItem { Value = field.Plaintext.ToArray() },
        (client, inputs, scope) => client.Deterministic.EncryptDeterministicallyBatch(inputs, scope.Tenant),
        static (_, _) => static (encrypted, _) => new ProtocolItem { EncryptedValue = encrypted.Ciphertext },
        (item, scope) => new EncryptedField(Need(item.EncryptedValue, "encryptedValue"), scope.SecretPath, scope.DerivationPath));

    /// <summary><c>field.query</c>: the value encrypted with every live key, current first.</summary>
    public static ItemOperation<PlaintextField, IReadOnlyList<EncryptedField>> FieldQuery { get; } = new(
        ServiceOperations.FieldQuery,
        ItemMembers.Value,
        ItemMembers.Queries,
        (item, scope) => new PlaintextField(Need(item.Value, "value"), scope.SecretPath, scope.DerivationPath),
        field => new ProtocolItem { Value = field.Plaintext.ToArray() },
        (client, inputs, scope) => client.Deterministic.GenerateQueryFieldValuesBatch(inputs, scope.Tenant),
        static (client, scope) =>
        {
            // The core returns one value per live key, in the order of RotatableSecret.Live (current first).
            uint[] live = LiveKeyIds(client, scope.SecretPath);
            return (values, _) => new ProtocolItem { Queries = [.. values.Select((v, k) => new ProtocolQuery(live[k], null, v.Ciphertext))] };
        },
        (item, scope) => [.. Need(item.Queries, "queries").Select(q => new EncryptedField(Need(q.EncryptedValue, "encryptedValue"), scope.SecretPath, scope.DerivationPath))]);

    /// <summary><c>field.decrypt</c>.</summary>
    public static ItemOperation<EncryptedField, byte[]> FieldDecrypt { get; } = new(
        ServiceOperations.FieldDecrypt,
        ItemMembers.EncryptedValue,
        ItemMembers.Value,
        (item, scope) => new EncryptedField(Need(item.EncryptedValue, "encryptedValue"), scope.SecretPath, scope.DerivationPath),
        field => new ProtocolItem { EncryptedValue = field.Ciphertext },
        (client, inputs, scope) => client.Deterministic.DecryptBatch(inputs, scope.Tenant),
        static (_, _) => static (plaintext, _) => new ProtocolItem { Value = plaintext },
        (item, _) => Need(item.Value, "value"));

    /// <summary><c>field.rotate</c> (CLI only): re-encrypts with the current key, optionally for another tenant.</summary>
    public static ItemOperation<EncryptedField, EncryptedField> FieldRotate { get; } = new(
        "field.rotate",
        ItemMembers.EncryptedValue,
        ItemMembers.EncryptedValue,
        (item, scope) => new EncryptedField(Need(item.EncryptedValue, "encryptedValue"), scope.SecretPath, scope.DerivationPath),
        field => new ProtocolItem { EncryptedValue = field.Ciphertext },
        (client, inputs, scope) => client.Deterministic.RotateFields(inputs, scope.Tenant, scope.NewTenant),
        static (_, _) => static (encrypted, _) => new ProtocolItem { EncryptedValue = encrypted.Ciphertext },
        (item, scope) => new EncryptedField(Need(item.EncryptedValue, "encryptedValue"), scope.SecretPath, scope.DerivationPath));

    /// <summary><c>document.encrypt</c>: a fresh data key per document, AES-256-GCM per field; fields keep the request's order.</summary>
    public static ItemOperation<IReadOnlyDictionary<string, byte[]>, EncryptedDocument> DocumentEncrypt { get; } = new(
        ServiceOperations.DocumentEncrypt,
        ItemMembers.Fields,
        ItemMembers.Edek | ItemMembers.Fields,
        (item, _) => ToDictionary(Need(item.Fields, "fields")),
        document => new ProtocolItem { Fields = [.. document] },
        (client, inputs, scope) => client.Standard.EncryptBatch(inputs, scope.Tenant),
        static (_, _) => static (document, request) => new ProtocolItem { Edek = document.Edek, Fields = InRequestOrder(request, document.Fields) },
        (item, _) => new EncryptedDocument(Need(item.Edek, "edek"), ToDictionary(Need(item.Fields, "fields"))));

    /// <summary><c>document.decrypt</c>; fields keep the request's order.</summary>
    public static ItemOperation<EncryptedDocument, IReadOnlyDictionary<string, byte[]>> DocumentDecrypt { get; } = new(
        ServiceOperations.DocumentDecrypt,
        ItemMembers.Edek | ItemMembers.Fields,
        ItemMembers.Fields,
        (item, _) => new EncryptedDocument(Need(item.Edek, "edek"), ToDictionary(Need(item.Fields, "fields"))),
        document => new ProtocolItem { Edek = document.Edek, Fields = [.. document.Fields] },
        (client, inputs, scope) => client.Standard.DecryptBatch(inputs, scope.Tenant),
        static (_, _) => static (fields, request) => new ProtocolItem { Fields = InRequestOrder(request, fields) },
        (item, _) => ToDictionary(Need(item.Fields, "fields")));

    /// <summary><c>document.rekey</c> (CLI only): re-wraps each EDEK with the primary secret, optionally for another tenant.</summary>
    public static ItemOperation<byte[], byte[]> DocumentRekey { get; } = new(
        "document.rekey",
        ItemMembers.Edek,
        ItemMembers.Edek,
        (item, _) => Need(item.Edek, "edek"),
        edek => new ProtocolItem { Edek = edek },
        (client, inputs, scope) => client.Standard.RekeyEdeks(inputs, scope.Tenant, scope.NewTenant),
        static (_, _) => static (edek, _) => new ProtocolItem { Edek = edek },
        (item, _) => Need(item.Edek, "edek"));

    /// <summary>Every operation, by <see cref="IItemOperation.Name"/>.</summary>
    public static IReadOnlyDictionary<string, IItemOperation> ByName { get; } = new IItemOperation[]
    {
        VectorEncrypt, VectorEncryptOneWay, VectorQuery, VectorDecrypt, VectorRotate,
        FieldEncrypt, FieldQuery, FieldDecrypt, FieldRotate,
        DocumentEncrypt, DocumentDecrypt, DocumentRekey,
    }.ToDictionary(o => o.Name, StringComparer.Ordinal);

    /// <summary>
    /// Checks, before any item is read, that <paramref name="configuration"/> has what <paramref name="operation"/> needs
    /// in <paramref name="scope"/> (<see cref="VeilConfiguration.EnsureConfigured"/>): the secret path in the vector or
    /// deterministic section, or the standard section, with its primary secret for document encrypt and rekey.
    /// </summary>
    /// <param name="operation">A protocol operation (its name's prefix, <c>vector.</c>, <c>field.</c> or <c>document.</c>, picks the section).</param>
    /// <param name="configuration">The keys it will run with.</param>
    /// <param name="scope">The scope it will run in.</param>
    /// <exception cref="ArgumentException">The configuration lacks it; the message names the path and section, never a secret.</exception>
    public static void EnsureConfigured(this IItemOperation operation, VeilConfiguration configuration, OperationScope scope)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(scope);
        string kind = operation.Name[..Math.Max(0, operation.Name.IndexOf('.', StringComparison.Ordinal))];
        KeysetSection section = kind switch
        {
            "vector" => KeysetSection.Vector,
            "field" => KeysetSection.Deterministic,
            "document" => KeysetSection.Standard,
            _ => throw new ArgumentException($"'{operation.Name}' is not a protocol operation.", nameof(operation)),
        };
        configuration.EnsureConfigured(section, scope.SecretPath, encrypts: operation.Name != ServiceOperations.DocumentDecrypt);
    }

    /// <summary>The length of an item's vector or encrypted vector, or null when it has neither.</summary>
    public static int? VectorLength(ProtocolItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return (item.Vector ?? item.EncryptedVector)?.Length;
    }

    private static T Need<T>(T? value, string name)
        where T : class =>
        value ?? throw new ItemFormatException($"The item has no \"{name}\".");

    private static ReadOnlyMemory<float> Need(ReadOnlyMemory<float>? value, string name) =>
        value ?? throw new ItemFormatException($"The item has no \"{name}\".");

    /// <summary>
    /// The vector when it has coordinates and the scope's dimension; refused before any key work otherwise. An empty
    /// array (<c>[]</c>) is refused whatever the dimension: a zero-length embedding is a bug upstream, and encrypting it
    /// would hand back a ciphertext that matches nothing.
    /// </summary>
    private static ReadOnlyMemory<float> Sized(ReadOnlyMemory<float> vector, int? dimension) =>
        vector.IsEmpty ? throw new ItemFormatException("The vector is empty; it needs at least one coordinate.")
        : dimension is not { } d || vector.Length == d ? vector
        : throw new ItemFormatException($"The vector has {vector.Length} coordinates; this secret path holds {d}-dimensional vectors.");

    private static EncryptedVector ReadEncryptedVectorInput(ProtocolItem item, OperationScope scope) =>
        new(Sized(Need(item.EncryptedVector, "encryptedVector"), scope.Dimension), Need(item.PairedIclInfo, "pairedIclInfo"), scope.SecretPath, scope.DerivationPath);

    private static EncryptedVector ReadEncryptedVector(ProtocolItem item, OperationScope scope) =>
        new(Need(item.EncryptedVector, "encryptedVector"), Need(item.PairedIclInfo, "pairedIclInfo"), scope.SecretPath, scope.DerivationPath);

    private static ProtocolItem EncryptedVectorItem(EncryptedVector encrypted) =>
        new() { EncryptedVector = encrypted.Ciphertext, PairedIclInfo = AsArray(encrypted.PairedIclInfo) };

    /// <summary>One destination in <paramref name="arena"/> per input, as long as <paramref name="length"/> says.</summary>
    private static Memory<float>[] Allocate<T>(VectorArena arena, IReadOnlyList<T> inputs, Func<T, int> length)
    {
        var destinations = new Memory<float>[inputs.Count];
        for (int i = 0; i < destinations.Length; i++)
        {
            destinations[i] = arena.Allocate(length(inputs[i]));
        }

        return destinations;
    }

    /// <summary>A batch's results as result items.</summary>
    private static BatchResult<ProtocolItem> Items<T>(BatchResult<T> results, Func<T, ProtocolItem> write) =>
        new(results.Select(r => r.IsSuccess ? BatchItemResult.Success(write(r.Value!)) : BatchItemResult.Failure<ProtocolItem>(r.Error!)));

    /// <summary>The array behind <paramref name="memory"/> when it is a whole array (as read), else a copy.</summary>
    private static T[] AsArray<T>(ReadOnlyMemory<T> memory) =>
        MemoryMarshal.TryGetArray(memory, out ArraySegment<T> segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : memory.ToArray();

    private static Dictionary<string, byte[]> ToDictionary(IReadOnlyList<KeyValuePair<string, byte[]>> fields) =>
        fields.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);

    /// <summary>The result's fields in the order the request named them (the result has the same names).</summary>
    private static KeyValuePair<string, byte[]>[] InRequestOrder(ProtocolItem request, IReadOnlyDictionary<string, byte[]> fields) =>
        request.Fields is { } named ? [.. named.Select(f => new KeyValuePair<string, byte[]>(f.Key, fields[f.Key]))] : [.. fields];

    private static uint[] LiveKeyIds(VeilClient client, SecretPath secretPath) =>
        client.Configuration.Deterministic.TryGetValue(secretPath, out RotatableSecret? secret)
            ? [.. secret.Live.Select(s => s.Id.Value)]
            : throw new ArgumentException($"The secret path '{secretPath}' is not configured for deterministic encryption.");
}
