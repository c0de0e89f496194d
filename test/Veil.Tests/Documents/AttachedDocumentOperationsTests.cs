using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Veil.Documents;
using Veil.Keys;
using Veil.Randomness;

namespace Veil.Tests.Documents;

public class AttachedDocumentOperationsTests
{
    private static readonly TenantId s_tenant = TestIds.TenantA;

    [Fact]
    public void Decrypt_WhenRoundTrippingArbitraryPlaintexts_ReturnsPlaintext()
    {
        AttachedDocumentOperations operations = DocumentTestKeys.Attached(1, 1, 2);
        Gen.Byte.Array.Sample(plaintext =>
        {
            byte[] document = operations.Encrypt(plaintext, s_tenant);

            Assert.Equal(plaintext, operations.Decrypt(document, s_tenant));
        }, iter: 200);
    }

    [Fact]
    public void Encrypt_WhenSeeded_WritesHeaderLengthV4HeaderAndSameBodyAsStandardField()
    {
        StandardSecrets secrets = DocumentTestKeys.Secrets(5, 5);
        var attached = new AttachedDocumentOperations(secrets, new SeededRandomSource(1));
        var standard = new StandardDocumentOperations(secrets, new SeededRandomSource(1));
        byte[] plaintext = "attached body"u8.ToArray();

        byte[] document = attached.Encrypt(plaintext, s_tenant);
        EncryptedDocument reference = standard.Encrypt(new Dictionary<string, byte[]> { ["f"] = plaintext }, s_tenant);

        // Same draws (DEK, EDEK IV, data IV) → same V4 header as the standard EDEK and same IV ‖ ct ‖ tag as the V5 field.
        int headerLength = BinaryPrimitives.ReadUInt16BigEndian(document.AsSpan(6));
        Assert.Equal(new byte[] { 0, 0, 0, 5, 0x82, 0 }, document[..6]);
        Assert.Equal(reference.Edek[6..], document[8..(8 + headerLength)]);
        Assert.Equal(reference.Fields["f"][5..], document[(8 + headerLength)..]);
    }

    [Fact]
    public void Decrypt_WhenCloakedSearchAttachedFormat_TriesAllSecretsAndDecrypts()
    {
        byte[] document = DocumentTestKeys.Attached(2, 2).Encrypt("cloaked search"u8, s_tenant);
        byte[] legacy = DocumentBuilders.ToCloakedSearchFormat(document);

        byte[] plaintext = DocumentTestKeys.Attached(null, 1, 2).Decrypt(legacy, s_tenant);

        Assert.Equal("cloaked search", Encoding.UTF8.GetString(plaintext));
    }

    [Fact]
    public void Decrypt_WhenCloakedSearchDocumentUsesLegacyKek_Decrypts()
    {
        byte[] dek = RandomNumberGenerator.GetBytes(32);
        byte[] header = DocumentBuilders.V4Header(DocumentBuilders.LegacyKek(DocumentTestKeys.SecretFor(1), s_tenant), dek);
        byte[] body = DocumentBuilders.BareV4Field(dek, "legacy attached"u8.ToArray());
        byte[] length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)header.Length);
        byte[] legacy = [.. DocumentBuilders.CloakedSearchMagic, .. length, .. header, .. body];

        byte[] plaintext = DocumentTestKeys.Attached(1, 1).Decrypt(legacy, s_tenant);

        Assert.Equal("legacy attached", Encoding.UTF8.GetString(plaintext));
    }

    [Fact]
    public void Decrypt_WhenAnyByteIsFlipped_ThrowsCryptographicException()
    {
        AttachedDocumentOperations operations = DocumentTestKeys.Attached(1, 1);
        byte[] document = operations.Encrypt("tamper"u8, s_tenant);

        for (int i = 0; i < document.Length; i++)
        {
            foreach (byte mask in new byte[] { 0x01, 0x80 })
            {
                byte[] tampered = (byte[])document.Clone();
                tampered[i] ^= mask;
                if (tampered.AsSpan(0, 4).IndexOfAnyExcept((byte)0) < 0)
                {
                    continue; // key id 0 means "try every secret" and still decrypts
                }

                Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(tampered, s_tenant));
            }
        }
    }

    [Fact]
    public void Decrypt_WhenTenantDiffers_ThrowsNoSecretFound()
    {
        AttachedDocumentOperations operations = DocumentTestKeys.Attached(1, 1);
        byte[] document = operations.Encrypt("x"u8, s_tenant);

        CryptographicException error = Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(document, TestIds.TenantB));
        Assert.Equal("No secret could be found to decrypt the EDEK.", error.Message);
    }

    [Fact]
    public void Decrypt_WhenKeyIdIsUnknown_ThrowsKeyNotAvailable()
    {
        byte[] document = DocumentTestKeys.Attached(4, 4).Encrypt("x"u8, s_tenant);

        KeyNotAvailableException error = Assert.Throws<KeyNotAvailableException>(() => DocumentTestKeys.Attached(1, 1).Decrypt(document, s_tenant));
        Assert.Equal(new KeyId(4), error.KeyId);
    }

    public static TheoryData<string> MalformedDocuments => new()
    {
        "",
        "00000001",
        "000000018200",
        "00000001820000",
        "000000018200" + "0010" + "0A00",
        "000000018200" + "FFFF",
        "000000018100" + "0000",
        "000000018200" + "0004" + "FFFFFFFF",
        "000000018200" + "0000" + "000102030405060708090A0B0C0D0E0F101112131415161718191A1B",
        "04494F4E",
        "0449524F4E",
        "0449524F4E00",
        "0449524F4E0100" + "00",
        "0449524F4E0002" + "0B00" + "000102030405060708090A0B0C0D0E0F101112131415161718191A1B",
    };

    [Theory]
    [MemberData(nameof(MalformedDocuments))]
    public void Decrypt_WhenDocumentIsMalformed_ThrowsCryptographicException(string documentHex)
    {
        Assert.ThrowsAny<CryptographicException>(() => DocumentTestKeys.Attached(1, 1).Decrypt(Convert.FromHexString(documentHex), s_tenant));
    }

    [Fact]
    public void Decrypt_WhenBodyIsTruncated_ThrowsCryptographicException()
    {
        AttachedDocumentOperations operations = DocumentTestKeys.Attached(1, 1);
        byte[] document = operations.Encrypt("truncate me"u8, s_tenant);

        for (int length = 0; length < document.Length; length++)
        {
            Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(document.AsSpan(0, length), s_tenant));
        }
    }

    [Fact]
    public void RekeyDocuments_WhenNewTenantGiven_DecryptsOnlyWithNewTenantAndKeepsBody()
    {
        AttachedDocumentOperations operations = DocumentTestKeys.Attached(1, 1);
        byte[] document = operations.Encrypt("moving"u8, s_tenant);
        int bodyOffset = 8 + BinaryPrimitives.ReadUInt16BigEndian(document.AsSpan(6));

        BatchResult<byte[]> result = operations.RekeyDocuments([document], s_tenant, TestIds.TenantB);
        byte[] rekeyed = result[0].Value!;
        int newBodyOffset = 8 + BinaryPrimitives.ReadUInt16BigEndian(rekeyed.AsSpan(6));

        Assert.Equal(document[bodyOffset..], rekeyed[newBodyOffset..]);
        Assert.Equal("moving", Encoding.UTF8.GetString(operations.Decrypt(rekeyed, TestIds.TenantB)));
        Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(rekeyed, s_tenant));
    }

    [Fact]
    public void RekeyDocuments_WhenCloakedSearchFormat_ReturnsCurrentFormatUnderPrimary()
    {
        byte[] legacy = DocumentBuilders.ToCloakedSearchFormat(DocumentTestKeys.Attached(1, 1).Encrypt("old"u8, s_tenant));
        AttachedDocumentOperations operations = DocumentTestKeys.Attached(2, 1, 2);

        byte[] rekeyed = operations.RekeyDocuments([legacy], s_tenant, null)[0].Value!;

        Assert.Equal(new byte[] { 0, 0, 0, 2, 0x82, 0 }, rekeyed[..6]);
        Assert.Equal("old", Encoding.UTF8.GetString(DocumentTestKeys.Attached(null, 2).Decrypt(rekeyed, s_tenant)));
    }

    [Fact]
    public void DecryptBatch_WhenOneDocumentIsBad_FailsOnlyThatItem()
    {
        AttachedDocumentOperations operations = DocumentTestKeys.Attached(1, 1);
        BatchResult<byte[]> encrypted = operations.EncryptBatch(["zero"u8.ToArray(), "one"u8.ToArray(), "two"u8.ToArray()], s_tenant);
        byte[][] documents = encrypted.Select(r => r.Value!).ToArray();
        documents[1] = documents[1][..10];

        BatchResult<byte[]> result = operations.DecryptBatch(documents, s_tenant);

        Assert.Equal(0, encrypted.FailureCount);
        Assert.Equal(1, result.FailureCount);
        Assert.IsAssignableFrom<CryptographicException>(result[1].Error);
        Assert.Equal("zero", Encoding.UTF8.GetString(result[0].Value!));
        Assert.Equal("two", Encoding.UTF8.GetString(result[2].Value!));
    }

    [Fact]
    public void Encrypt_WhenStandardNotConfigured_ThrowsKeyNotAvailable()
    {
        var operations = new AttachedDocumentOperations(null, SystemRandomSource.Instance);

        Assert.Throws<KeyNotAvailableException>(() => operations.Encrypt("x"u8, s_tenant));
    }

    [Fact]
    public void GetSearchableEdekPrefix_WhenDocumentEncrypted_IsPrefixOfDocument()
    {
        AttachedDocumentOperations operations = DocumentTestKeys.Attached(3, 3);

        byte[] document = operations.Encrypt("x"u8, s_tenant);

        Assert.Equal(operations.GetSearchableEdekPrefix(new KeyId(3)), document[..6]);
    }
}
