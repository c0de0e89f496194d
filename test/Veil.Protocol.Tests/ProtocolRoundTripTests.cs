using CsCheck;
using Veil.Documents;
using Veil.Fields;
using Veil.Vectors;

namespace Veil.Protocol.Tests;

/// <summary>Properties: what one side writes the other reads back exactly, and a batch through the wire equals the core's own.</summary>
public sealed class ProtocolRoundTripTests
{
    private static readonly Gen<float> s_finiteFloat = Gen.Int.Select(BitConverter.Int32BitsToSingle).Where(float.IsFinite);

    private static readonly Gen<float[]> s_vector = s_finiteFloat.Array[0, 40];

    private static readonly Gen<byte[]> s_bytes = Gen.Byte.Array[0, 48];

    // Ids are any JSON value: numbers, strings with escapes and non-ASCII, nested structures.
    private static readonly Gen<string?> s_id = Gen.OneOf<string?>(null, "1", "-0.5e3", "\"a\"", "\"\\u00e9\\\"\\n\"", "\"ключ\"", "[1,{\"k\":null}]", "true", "{}");

    internal static readonly Gen<ProtocolItem> s_item =
        Gen.Select(s_id, s_vector.Null(), s_vector.Null(), s_bytes.Null(), s_bytes.Null(), s_bytes.Null(), Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 8], s_bytes).Array[0, 5].Null())
            .Select(Gen.Select(Gen.UInt, s_vector.Null(), s_bytes.Null()).Array[0, 3].Null(), Gen.OneOf<string?>(null, "bad \"item\"\n", "é"), Gen.OneOf(ItemErrorCode.InvalidInput, ItemErrorCode.KeyNotAvailable, ItemErrorCode.Integrity, ItemErrorCode.Internal))
            .Select((a, queries, error, code) =>
            {
                (string? id, float[]? vector, float[]? encryptedVector, byte[]? paired, byte[]? value, byte[]? edek, (string, byte[])[]? fields) = a;
                return new ProtocolItem
                {
                    Id = id is null ? default(ReadOnlyMemory<byte>?) : System.Text.Encoding.UTF8.GetBytes(id),
                    Vector = vector,
                    EncryptedVector = encryptedVector,
                    PairedIclInfo = paired,
                    Value = value,
                    EncryptedValue = paired is null ? null : value,
                    Edek = edek,
                    Fields = fields?.DistinctBy(f => f.Item1).Select(f => new KeyValuePair<string, byte[]>(f.Item1, f.Item2)).ToArray(),
                    Queries = queries?.Select(q => new ProtocolQuery(q.Item1, q.Item2, q.Item3)).ToArray(),
                    Error = error,
                    ErrorCode = error is null ? ItemErrorCode.None : code,
                };
            });

    [Fact]
    public void Item_WrittenThenParsedAsALine_IsTheSameItem()
    {
        s_item.Sample(item =>
        {
            byte[] json = ProtocolJson.ToUtf8(writer => ProtocolJson.WriteItem(writer, item));
            ProtocolItem read = ProtocolJson.ParseLine(json, ItemMembers.All);
            AssertSame(item, read);
        });
    }

    [Fact]
    public void Request_WrittenThenRead_IsTheSameRequest()
    {
        Gen.Select(Gen.String.Null(), Gen.String.Null(), Gen.String.Null(), s_item.Where(i => i.Error is null).List[0, 6]).Sample((tenant, secretPath, newTenant, items) =>
        {
            var request = new BatchRequest { Tenant = tenant, SecretPath = secretPath, DerivationPath = "d", NewTenant = newTenant, Items = items };
            BatchRequest read = ProtocolJson.ReadRequest(ProtocolJson.ToUtf8(writer => ProtocolJson.WriteRequest(writer, request)), ItemMembers.All);
            Assert.Equal((tenant, secretPath, "d", newTenant), (read.Tenant, read.SecretPath, read.DerivationPath, read.NewTenant));
            Assert.Equal(items.Count, read.Items!.Count);
            for (int i = 0; i < items.Count; i++)
            {
                AssertSame(items[i], read.Items[i]);
            }
        });
    }

    [Fact]
    public void Response_WrittenThenRead_IsTheSameItems()
    {
        s_item.List[0, 6].Sample(items =>
        {
            IReadOnlyList<ProtocolItem> read = ProtocolJson.ReadResponse(ProtocolJson.ToUtf8(writer => ProtocolJson.WriteResponse(writer, items)), ItemMembers.All);
            Assert.Equal(items.Count, read.Count);
            for (int i = 0; i < items.Count; i++)
            {
                AssertSame(items[i], read[i]);
            }
        });
    }

    [Fact]
    public void FieldEncrypt_ThroughTheWire_GivesTheCoreCiphertexts()
    {
        using VeilClient client = TestClients.Seeded();
        Gen.Byte.Array[0, 64].Array[1, 8].Sample(values =>
        {
            PlaintextField[] inputs = [.. values.Select(v => new PlaintextField(v, TestClients.Scope.SecretPath, TestClients.Scope.DerivationPath))];
            EncryptedField[] outputs = ThroughTheWire(ItemOperations.FieldEncrypt, client, inputs);
            BatchResult<EncryptedField> direct = client.Deterministic.EncryptDeterministicallyBatch(inputs, TestClients.Scope.Tenant);
            Assert.Equal(direct.Select(d => d.Value!.Ciphertext), outputs.Select(o => o.Ciphertext));

            byte[][] decrypted = ThroughTheWire(ItemOperations.FieldDecrypt, client, outputs);
            Assert.Equal(values, decrypted);
        });
    }

    [Fact]
    public void VectorEncryptThenDecrypt_ThroughTheWire_GivesThePlaintextBack()
    {
        using VeilClient client = TestClients.Seeded();
        Gen.Float[-10f, 10f].Array[8].Array[1, 6].Sample(vectors =>
        {
            EncryptedVector[] encrypted = ThroughTheWire(ItemOperations.VectorEncrypt, client, [.. vectors.Select(v => (ReadOnlyMemory<float>)v)]);
            float[][] decrypted = ThroughTheWire(ItemOperations.VectorDecrypt, client, encrypted);
            for (int i = 0; i < vectors.Length; i++)
            {
                for (int j = 0; j < vectors[i].Length; j++)
                {
                    Assert.Equal(vectors[i][j], decrypted[i][j], 1e-3f);
                }
            }
        });
    }

    [Fact]
    public void DocumentEncryptThenDecrypt_ThroughTheWire_KeepsFieldsAndTheirOrder()
    {
        using VeilClient client = TestClients.Seeded();
        Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 6], Gen.Byte.Array[0, 40]).Array[1, 5].Sample(pairs =>
        {
            Dictionary<string, byte[]> document = pairs.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);
            EncryptedDocument[] encrypted = ThroughTheWire(ItemOperations.DocumentEncrypt, client, [document]);
            Assert.Equal(document.Keys, encrypted[0].Fields.Keys);
            IReadOnlyDictionary<string, byte[]>[] decrypted = ThroughTheWire(ItemOperations.DocumentDecrypt, client, encrypted);
            Assert.Equal(document.Keys, decrypted[0].Keys);
            Assert.All(document, f => Assert.Equal(f.Value, decrypted[0][f.Key]));
        });
    }

    [Fact]
    public void Queries_ThroughTheWire_NameEveryLiveKeyCurrentFirst()
    {
        using VeilClient client = TestClients.Seeded();
        IReadOnlyList<QueryVector>[] vectors = ThroughTheWire(ItemOperations.VectorQuery, client, [new float[] { 1f, 2f, 3f }]);
        IReadOnlyList<EncryptedField>[] fields = ThroughTheWire(ItemOperations.FieldQuery, client, [new PlaintextField("x"u8.ToArray(), TestClients.Scope.SecretPath, TestClients.Scope.DerivationPath)]);

        Assert.Equal([2u, 1u], vectors[0].Select(q => q.KeyId.Value));
        Assert.Equal(2, fields[0].Count);
        Assert.Equal(client.Deterministic.EncryptDeterministically("x"u8.ToArray(), TestClients.Scope.SecretPath, TestClients.Scope.DerivationPath, TestClients.Scope.Tenant).Ciphertext, fields[0][0].Ciphertext);
    }

    /// <summary>Client side → request JSON → service side (the one mapping) → response JSON → client side.</summary>
    private static TOut[] ThroughTheWire<TIn, TOut>(ItemOperation<TIn, TOut> operation, VeilClient client, IReadOnlyList<TIn> inputs)
    {
        var request = new BatchRequest { Tenant = "t", SecretPath = "p", DerivationPath = "d", Items = [.. inputs.Select(operation.WriteInput)] };
        BatchRequest received = ProtocolJson.ReadRequest(ProtocolJson.ToUtf8(w => ProtocolJson.WriteRequest(w, request)), operation.RequestMembers);
        OperationScope scope = operation.Name.StartsWith("document", StringComparison.Ordinal) ? OperationScope.ForDocuments(new("t")) : TestClients.Scope;
        IReadOnlyList<ProtocolItem> results = operation.Process(client, received.Items!, scope);
        IReadOnlyList<ProtocolItem> back = ProtocolJson.ReadResponse(ProtocolJson.ToUtf8(w => ProtocolJson.WriteResponse(w, results)), operation.ResultMembers);
        Assert.All(back, item => Assert.Null(item.Error));
        return [.. back.Select(item => operation.ReadOutput(item, scope))];
    }

    internal static void AssertSame(ProtocolItem expected, ProtocolItem actual)
    {
        Assert.Equal(expected.Id?.ToArray(), actual.Id?.ToArray());
        Assert.Equal(Bits(expected.Vector), Bits(actual.Vector));
        Assert.Equal(Bits(expected.EncryptedVector), Bits(actual.EncryptedVector));
        Assert.Equal(expected.PairedIclInfo, actual.PairedIclInfo);
        Assert.Equal(expected.Value, actual.Value);
        Assert.Equal(expected.EncryptedValue, actual.EncryptedValue);
        Assert.Equal(expected.Edek, actual.Edek);
        Assert.Equal(expected.Fields?.Select(f => (f.Key, Convert.ToHexString(f.Value))), actual.Fields?.Select(f => (f.Key, Convert.ToHexString(f.Value))));
        Assert.Equal(expected.Queries?.Count, actual.Queries?.Count);
        for (int i = 0; i < (expected.Queries?.Count ?? 0); i++)
        {
            Assert.Equal(expected.Queries![i].KeyId, actual.Queries![i].KeyId);
            Assert.Equal(Bits(expected.Queries[i].EncryptedVector), Bits(actual.Queries[i].EncryptedVector));
            Assert.Equal(expected.Queries[i].EncryptedValue, actual.Queries[i].EncryptedValue);
        }

        Assert.Equal(expected.Error, actual.Error);
        Assert.Equal(expected.ErrorCode, actual.ErrorCode);
    }

    private static int[]? Bits(ReadOnlyMemory<float>? values) => values?.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
