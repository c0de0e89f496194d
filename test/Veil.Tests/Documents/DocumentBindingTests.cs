using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Veil.Documents;
using Veil.Keys;
using Veil.Randomness;

namespace Veil.Tests.Documents;

/// <summary>
/// Veil's opt-in document binding of standard documents: each attack on the field structure of a stored document
/// (which Alloy's format lets through, as the unbound halves show) is refused when the document is bound.
/// </summary>
public class DocumentBindingTests
{
    private static readonly TenantId s_tenant = TestIds.TenantA;
    private static readonly DocumentBinding s_id7 = DocumentBinding.ForId("record-7");
    private readonly StandardDocumentOperations _operations = DocumentTestKeys.Standard(1, 1);

    [Fact]
    public void Decrypt_WhenBoundDocumentRoundTrips_ReturnsEveryField()
    {
        Gen<string> names = Gen.String[Gen.Char.AlphaNumeric, 0, 12];
        Gen.Dictionary(names, Gen.Byte.Array)[1, 6].Select(Gen.String[Gen.Char.AlphaNumeric, 0, 20]).Sample((fields, id) =>
        {
            DocumentBinding binding = DocumentBinding.ForId(id);
            EncryptedDocument document = _operations.Encrypt(fields, s_tenant, binding);
            IReadOnlyDictionary<string, byte[]> decrypted = _operations.Decrypt(document, s_tenant, DocumentBinding.ForId(id));

            Assert.Equal(fields.Count, decrypted.Count);
            foreach (KeyValuePair<string, byte[]> field in fields)
            {
                Assert.Equal(field.Value.Length + 33, document.Fields[field.Key].Length);
                Assert.Equal(StandardPayloads.V5Magic.ToArray(), document.Fields[field.Key][..5]);
                Assert.Equal(field.Value, decrypted[field.Key]);
            }
        }, iter: 100);
    }

    [Fact]
    public void Decrypt_WhenTwoFieldsCiphertextsAreSwapped_RefusesTheBoundDocument()
    {
        Dictionary<string, byte[]> plaintext = Fields(("role", "reader"), ("note", "admin"));
        EncryptedDocument unbound = _operations.Encrypt(plaintext, s_tenant);
        EncryptedDocument bound = _operations.Encrypt(plaintext, s_tenant, s_id7);

        // Alloy's format: the swap goes through and the values trade places.
        Assert.Equal("admin", Text(_operations.Decrypt(Swap(unbound, "role", "note"), s_tenant)["role"]));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(Swap(bound, "role", "note"), s_tenant, s_id7));
    }

    [Fact]
    public void Decrypt_WhenAFieldIsRenamed_RefusesTheBoundDocument()
    {
        Dictionary<string, byte[]> plaintext = Fields(("draft", "not for release"), ("title", "t"));
        EncryptedDocument unbound = _operations.Encrypt(plaintext, s_tenant);
        EncryptedDocument bound = _operations.Encrypt(plaintext, s_tenant, s_id7);

        Assert.Equal("not for release", Text(_operations.Decrypt(Rename(unbound, "draft", "published"), s_tenant)["published"]));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(Rename(bound, "draft", "published"), s_tenant, s_id7));
    }

    [Fact]
    public void Decrypt_WhenAFieldIsDropped_RefusesTheBoundDocument()
    {
        Dictionary<string, byte[]> plaintext = Fields(("body", "text"), ("redactions", "lines 3-9"));
        EncryptedDocument unbound = _operations.Encrypt(plaintext, s_tenant);
        EncryptedDocument bound = _operations.Encrypt(plaintext, s_tenant, s_id7);

        Assert.Single(_operations.Decrypt(Without(unbound, "redactions"), s_tenant));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(Without(bound, "redactions"), s_tenant, s_id7));
    }

    [Fact]
    public void Decrypt_WhenEveryFieldIsDropped_RefusesTheBoundDocument()
    {
        EncryptedDocument bound = _operations.Encrypt(Fields(("body", "text")), s_tenant, s_id7);
        var emptied = new EncryptedDocument(bound.Edek, new Dictionary<string, byte[]>());

        Assert.Empty(_operations.Decrypt(emptied, s_tenant));
        Assert.ThrowsAny<CryptographicException>(() => _operations.Decrypt(emptied, s_tenant, s_id7));
        Assert.Throws<ArgumentException>(() => _operations.Encrypt(new Dictionary<string, byte[]>(), s_tenant, s_id7));
    }

    [Fact]
    public void Decrypt_WhenAFieldCopiedFromAnotherDocumentIsAdded_RefusesTheBoundDocument()
    {
        EncryptedDocument bound = _operations.Encrypt(Fields(("body", "text")), s_tenant, s_id7);
        EncryptedDocument other = _operations.Encrypt(Fields(("body", "other"), ("approved", "yes")), s_tenant, DocumentBinding.ForId("record-8"));

        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(With(bound, "approved", other.Fields["approved"]), s_tenant, s_id7));
    }

    [Fact]
    public void Decrypt_WhenAFieldOfTheSameDocumentIsCopiedUnderANewName_RefusesTheBoundDocument()
    {
        // Same data key: only the binding can tell (Alloy's format accepts the copy).
        Dictionary<string, byte[]> plaintext = Fields(("approved", "yes"), ("body", "text"));
        EncryptedDocument unbound = _operations.Encrypt(plaintext, s_tenant);
        EncryptedDocument bound = _operations.Encrypt(plaintext, s_tenant, s_id7);

        Assert.Equal("yes", Text(_operations.Decrypt(With(unbound, "approved-by-legal", unbound.Fields["approved"]), s_tenant)["approved-by-legal"]));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(With(bound, "approved-by-legal", bound.Fields["approved"]), s_tenant, s_id7));
    }

    [Fact]
    public void Decrypt_WhenTheWholeDocumentIsMovedToAnotherId_RefusesIt()
    {
        EncryptedDocument bound = _operations.Encrypt(Fields(("salary", "100")), s_tenant, s_id7);

        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(bound, s_tenant, DocumentBinding.ForId("record-8")));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(bound, s_tenant, DocumentBinding.ForId("record-7 ")));
        Assert.Equal("100", Text(_operations.Decrypt(bound, s_tenant, DocumentBinding.ForId("record-7"u8))["salary"]));
    }

    [Fact]
    public void Decrypt_WhenBoundDocumentIsDecryptedUnbound_Refuses()
    {
        EncryptedDocument bound = _operations.Encrypt(Fields(("a", "1"), ("b", "2")), s_tenant, s_id7);

        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(bound, s_tenant));
    }

    [Fact]
    public void Decrypt_WhenUnboundDocumentIsDecryptedBound_Refuses()
    {
        EncryptedDocument unbound = _operations.Encrypt(Fields(("a", "1"), ("b", "2")), s_tenant);

        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(unbound, s_tenant, s_id7));
    }

    [Fact]
    public void Decrypt_WhenBoundFieldIsInALegacyLayout_Refuses()
    {
        // A bound field is always V5; Alloy's bare V4 framing of the same bytes is not accepted as bound.
        EncryptedDocument bound = _operations.Encrypt(Fields(("a", "1")), s_tenant, s_id7);

        Assert.ThrowsAny<CryptographicException>(() => _operations.Decrypt(With(bound, "a", bound.Fields["a"][5..]), s_tenant, s_id7));
    }

    [Fact]
    public void Encrypt_WhenBoundFieldNameOrIdIsNotValidUtf16_Throws()
    {
        Assert.Throws<ArgumentException>(() => _operations.Encrypt(Fields(("a\uD800", "1")), s_tenant, s_id7));
        Assert.Throws<ArgumentException>(() => DocumentBinding.ForId("id\uDC00"));
    }

    [Fact]
    public void RekeyEdeks_WhenDocumentIsBound_KeepsTheBinding()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(2, 1, 2);
        EncryptedDocument bound = DocumentTestKeys.Standard(1, 1, 2).Encrypt(Fields(("a", "1")), s_tenant, s_id7);

        byte[] rekeyed = operations.RekeyEdeks([bound.Edek], s_tenant, TestIds.TenantB)[0].Value!;
        var moved = new EncryptedDocument(rekeyed, bound.Fields);

        Assert.Equal("1", Text(operations.Decrypt(moved, TestIds.TenantB, s_id7)["a"]));
        Assert.Throws<AuthenticationTagMismatchException>(() => operations.Decrypt(moved, TestIds.TenantB, DocumentBinding.ForId("record-8")));
    }

    [Fact]
    public void DecryptBatch_WhenTwoBoundDocumentsTradeIds_FailsThemAloneAndDecryptsTheRest()
    {
        IReadOnlyDictionary<string, byte[]>[] plaintexts = Enumerable.Range(0, 30)
            .Select(i => (IReadOnlyDictionary<string, byte[]>)Fields(("text", $"doc {i}"), ("owner", $"user {i % 4}")))
            .ToArray();
        DocumentBinding[] bindings = Enumerable.Range(0, 30).Select(i => DocumentBinding.ForId($"record-{i}")).ToArray();
        EncryptedDocument[] encrypted = _operations.EncryptBatch(plaintexts, s_tenant, bindings).Select(r => r.Value!).ToArray();
        (encrypted[3], encrypted[4]) = (encrypted[4], encrypted[3]);

        BatchResult<IReadOnlyDictionary<string, byte[]>> batch = _operations.DecryptBatch(encrypted, s_tenant, bindings);

        Assert.Equal(2, batch.FailureCount);
        Assert.IsType<AuthenticationTagMismatchException>(batch[3].Error);
        Assert.IsType<AuthenticationTagMismatchException>(batch[4].Error);
        Assert.All(Enumerable.Range(0, 30).Where(i => i is not 3 and not 4), i => Assert.Equal($"doc {i}", Text(batch[i].Value!["text"])));
        Assert.Throws<ArgumentException>(() => _operations.DecryptBatch(encrypted, s_tenant, bindings[1..]));
        Assert.Throws<ArgumentException>(() => _operations.EncryptBatch(plaintexts, s_tenant, bindings[1..]));
    }

    [Fact]
    public void Encrypt_WhenSeeded_AuthenticatesTheAssociatedDataDocumentedInFormatsMd()
    {
        // docs/formats.md: label ‖ kind ‖ u32 id length ‖ id ‖ u32 count ‖ (u32 length ‖ name)* in UTF-8 byte order ‖ u32 length ‖ field.
        var operations = new StandardDocumentOperations(DocumentTestKeys.Secrets(1, 1), new SeededRandomSource(1));
        byte[] dek = DocumentTestKeys.SeedOneStream(32);
        string smile = "\U0001F600";
        EncryptedDocument document = operations.Encrypt(Fields(("\uFFFD", "x"), (smile, "y"), ("b", "z")), s_tenant, DocumentBinding.ForId("id-1"));

        byte[] expected =
        [
            .. "veil.document-binding.v1"u8, 0x01,
            0, 0, 0, 4, .. "id-1"u8,
            0, 0, 0, 3,
            0, 0, 0, 1, .. "b"u8,
            0, 0, 0, 3, 0xEF, 0xBF, 0xBD,
            0, 0, 0, 4, 0xF0, 0x9F, 0x98, 0x80,
            0, 0, 0, 3, 0xEF, 0xBF, 0xBD,
        ];
        byte[] field = document.Fields["\uFFFD"];
        byte[] plaintext = new byte[field.Length - 33];
        using (var aes = new AesGcm(dek, 16))
        {
            aes.Decrypt(field.AsSpan(5, 12), field.AsSpan(17, plaintext.Length), field.AsSpan(field.Length - 16), plaintext, expected);
        }

        Assert.Equal("x", Text(plaintext));
    }

    [Fact]
    public void AssociatedData_IsEqualExactlyWhenIdFieldAndNameSetAreEqual()
    {
        // Length prefixes make the encoding injective: ids and names that concatenate alike still differ.
        Gen<string> text = Gen.String[Gen.Char["ab\u00e9"], 0, 3];
        Gen<(string Id, string[] Names, string Field)> binding = Gen.Select(text, text.Array[1, 4], Gen.Int[0, 3], (id, names, i) =>
        {
            string[] distinct = names.Distinct().ToArray();
            return (id, distinct, distinct[i % distinct.Length]);
        });
        Gen.Select(binding, binding).Sample((left, right) =>
        {
            bool same = left.Id == right.Id && left.Field == right.Field
                && left.Names.Order(StringComparer.Ordinal).SequenceEqual(right.Names.Order(StringComparer.Ordinal));
            Assert.Equal(same, Aad(left.Id, left.Names, left.Field).AsSpan().SequenceEqual(Aad(right.Id, right.Names, right.Field)));
        }, iter: 2000);
        Assert.NotEqual(Aad("a", ["bc"], "bc"), Aad("ab", ["c"], "c"));
        Assert.NotEqual(Aad("", ["a", "b"], "a"), Aad("", ["ab"], "ab"));
        Assert.Equal(Aad("x", ["a", "b"], "a"), Aad("x", ["b", "a"], "a"));
    }

    [Fact]
    public void CompareCodePoints_WhenSurrogatePairMeetsHighBmpCharacter_OrdersAsUtf8Bytes()
    {
        string[] names = ["\uFFFD", "\U0001F600", "\uE000", "z", "\uD7FF"];

        Array.Sort(names, BindingAad.CompareCodePoints);

        byte[][] utf8 = names.Select(Encoding.UTF8.GetBytes).ToArray();
        Assert.True(utf8.Zip(utf8.Skip(1)).All(p => p.First.AsSpan().SequenceCompareTo(p.Second) < 0));
        Assert.Equal("\U0001F600", names[^1]);
    }

    private static byte[] Aad(string id, string[] names, string field) =>
        new BindingAad(BindingAad.Kind.StandardField, DocumentBinding.ForId(id), names.ToArray()).For(field).ToArray();

    private static Dictionary<string, byte[]> Fields(params (string Name, string Value)[] fields) => DocumentTestKeys.Fields(fields);

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static EncryptedDocument Swap(EncryptedDocument document, string a, string b) =>
        new(document.Edek, new Dictionary<string, byte[]>(document.Fields) { [a] = document.Fields[b], [b] = document.Fields[a] });

    private static EncryptedDocument Rename(EncryptedDocument document, string from, string to)
    {
        var fields = new Dictionary<string, byte[]>(document.Fields) { [to] = document.Fields[from] };
        fields.Remove(from);
        return new EncryptedDocument(document.Edek, fields);
    }

    private static EncryptedDocument Without(EncryptedDocument document, string name)
    {
        var fields = new Dictionary<string, byte[]>(document.Fields);
        fields.Remove(name);
        return new EncryptedDocument(document.Edek, fields);
    }

    private static EncryptedDocument With(EncryptedDocument document, string name, byte[] value) =>
        new(document.Edek, new Dictionary<string, byte[]>(document.Fields) { [name] = value });
}
