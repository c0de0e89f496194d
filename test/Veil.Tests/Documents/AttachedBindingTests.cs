using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Veil.Documents;
using Veil.Keys;

namespace Veil.Tests.Documents;

/// <summary>
/// Veil's opt-in field binding of attached documents (a record whose fields are each an attached document): moving a
/// field to another field or record, or dropping or adding one, is refused when bound; Alloy's format lets it through.
/// </summary>
public class AttachedBindingTests
{
    private static readonly TenantId s_tenant = TestIds.TenantA;
    private static readonly string[] s_names = ["title", "body"];
    private readonly AttachedDocumentOperations _operations = DocumentTestKeys.Attached(1, 1);

    [Fact]
    public void Decrypt_WhenBoundFieldRoundTrips_ReturnsPlaintext()
    {
        byte[] document = _operations.Encrypt("hello"u8, s_tenant, Bind("r1", "title"));

        Assert.Equal("hello", Text(_operations.Decrypt(document, s_tenant, new FieldBinding(DocumentBinding.ForId("r1"), "title", ["body", "title"]))));
        Assert.Equal(_operations.Encrypt("hello"u8, s_tenant).Length, document.Length);
    }

    [Fact]
    public void Decrypt_WhenTwoFieldsOfARecordAreSwapped_RefusesBound()
    {
        byte[] title = _operations.Encrypt("public"u8, s_tenant, Bind("r1", "title"));
        byte[] body = _operations.Encrypt("secret"u8, s_tenant, Bind("r1", "body"));

        // Alloy's format: an unbound body, stored in the title's place, decrypts as the title.
        Assert.Equal("secret", Text(_operations.Decrypt(_operations.Encrypt("secret"u8, s_tenant), s_tenant)));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(body, s_tenant, Bind("r1", "title")));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(title, s_tenant, Bind("r1", "body")));
    }

    [Fact]
    public void Decrypt_WhenAFieldMovesToAnotherRecord_RefusesBound()
    {
        byte[] body = _operations.Encrypt("secret"u8, s_tenant, Bind("r1", "body"));

        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(body, s_tenant, Bind("r2", "body")));
    }

    [Fact]
    public void Decrypt_WhenASiblingFieldIsDroppedOrAdded_RefusesBound()
    {
        byte[] title = _operations.Encrypt("t"u8, s_tenant, Bind("r1", "title"));
        DocumentBinding r1 = DocumentBinding.ForId("r1");

        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(title, s_tenant, new FieldBinding(r1, "title", ["title"])));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(title, s_tenant, new FieldBinding(r1, "title", ["title", "body", "extra"])));
    }

    [Fact]
    public void Decrypt_WhenBoundDecryptedUnboundOrUnboundDecryptedBound_Refuses()
    {
        byte[] bound = _operations.Encrypt("x"u8, s_tenant, Bind("r1", "title"));
        byte[] unbound = _operations.Encrypt("x"u8, s_tenant);

        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(bound, s_tenant));
        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(unbound, s_tenant, Bind("r1", "title")));
    }

    [Fact]
    public void Decrypt_WhenABoundStandardFieldIsReframedAsAnAttachedDocument_Refuses()
    {
        // Same DEK, same id, same names: only the kind byte of the associated data tells the two apart.
        StandardDocumentOperations standard = DocumentTestKeys.Standard(1, 1);
        EncryptedDocument document = standard.Encrypt(
            new Dictionary<string, byte[]> { ["title"] = "t"u8.ToArray(), ["body"] = "b"u8.ToArray() }, s_tenant, DocumentBinding.ForId("r1"));
        byte[] header = document.Edek[6..];
        byte[] length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)header.Length);
        byte[] reframed = [.. document.Edek[..6], .. length, .. header, .. document.Fields["body"][5..]];

        Assert.Throws<AuthenticationTagMismatchException>(() => _operations.Decrypt(reframed, s_tenant, Bind("r1", "body")));
    }

    [Fact]
    public void RekeyDocuments_WhenBound_KeepsTheBinding()
    {
        AttachedDocumentOperations rotated = DocumentTestKeys.Attached(2, 1, 2);
        byte[] bound = DocumentTestKeys.Attached(1, 1, 2).Encrypt("x"u8, s_tenant, Bind("r1", "title"));

        byte[] rekeyed = rotated.RekeyDocuments([bound], s_tenant, null)[0].Value!;

        Assert.Equal("x", Text(rotated.Decrypt(rekeyed, s_tenant, Bind("r1", "title"))));
        Assert.Throws<AuthenticationTagMismatchException>(() => rotated.Decrypt(rekeyed, s_tenant, Bind("r2", "title")));
    }

    [Fact]
    public void DecryptBatch_WhenTwoRecordsTradeAField_FailsThemAloneAndDecryptsTheRest()
    {
        byte[][] plaintexts = Enumerable.Range(0, 20).Select(i => Encoding.UTF8.GetBytes($"body {i}")).ToArray();
        FieldBinding[] bindings = Enumerable.Range(0, 20).Select(i => Bind($"r{i}", "body")).ToArray();
        byte[][] encrypted = _operations.EncryptBatch(plaintexts, s_tenant, bindings).Select(r => r.Value!).ToArray();
        (encrypted[5], encrypted[6]) = (encrypted[6], encrypted[5]);

        BatchResult<byte[]> batch = _operations.DecryptBatch(encrypted, s_tenant, bindings);

        Assert.Equal(2, batch.FailureCount);
        Assert.False(batch[5].IsSuccess);
        Assert.False(batch[6].IsSuccess);
        Assert.All(Enumerable.Range(0, 20).Where(i => i is not 5 and not 6), i => Assert.Equal(plaintexts[i], batch[i].Value));
        Assert.Throws<ArgumentException>(() => _operations.DecryptBatch(encrypted, s_tenant, bindings[1..]));
    }

    [Fact]
    public void FieldBinding_WhenNamesDoNotHoldTheFieldOrRepeatAName_Throws()
    {
        DocumentBinding r1 = DocumentBinding.ForId("r1");

        Assert.Throws<ArgumentException>(() => new FieldBinding(r1, "title", ["body"]));
        Assert.Throws<ArgumentException>(() => new FieldBinding(r1, "title", ["title", "title"]));
        Assert.Throws<ArgumentException>(() => new FieldBinding(r1, "t\uD800", ["t\uD800"]));
    }

    private static FieldBinding Bind(string record, string field) => new(DocumentBinding.ForId(record), field, s_names);

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
