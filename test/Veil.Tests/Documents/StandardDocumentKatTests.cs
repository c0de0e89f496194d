using System.Security.Cryptography;
using System.Text;
using Veil.Documents;
using Veil.Keys;
using Veil.Randomness;

namespace Veil.Tests.Documents;

public class StandardDocumentKatTests
{
    private static StandardDocumentOperations SeededAlloyKatOperations()
    {
        var secrets = new StandardSecrets(new KeyId(10), [new IdentifiedSecret(new KeyId(10), new Secret(DocumentTestKeys.AlloyKatSecretBytes))]);
        return new StandardDocumentOperations(secrets, new SeededRandomSource(1));
    }

    [Fact]
    public void Encrypt_WhenSeededLikeAlloyKat_ProducesKnownFieldBytes()
    {
        // ALLOY-COMPAT §5.8 "Standard, seeded" (test_seeded_sdk_standard_encrypt).
        EncryptedDocument document = SeededAlloyKatOperations().Encrypt(DocumentTestKeys.Fields(("foo", "My data")), TestIds.Tenant);

        Assert.Equal("AElST04OFx9g3p5TQTSIGaJrUPuq79Di9DmR0uK5/n6lXAis5Ip45Q==", Convert.ToBase64String(document.Fields["foo"]));
    }

    [Fact]
    public void Decrypt_WhenGivenSeededKatOutput_RoundTrips()
    {
        StandardDocumentOperations operations = SeededAlloyKatOperations();
        EncryptedDocument document = operations.Encrypt(DocumentTestKeys.Fields(("foo", "My data")), TestIds.Tenant);

        IReadOnlyDictionary<string, byte[]> decrypted = operations.Decrypt(document, TestIds.Tenant);

        Assert.Equal("My data", Encoding.UTF8.GetString(decrypted["foo"]));
    }

    [Fact]
    public void Encrypt_WhenSeededLikeAlloyKat_WritesCanonicalSignedEdek()
    {
        // Rebuild the EDEK byte by byte from the spec (Appendix A) without Veil's encoder.
        byte[] stream = DocumentTestKeys.SeedOneStream(44);
        byte[] dek = stream[..32];
        byte[] iv = stream[32..44];
        byte[] kek = HMACSHA256.HashData(DocumentTestKeys.AlloyKatSecretBytes, Encoding.UTF8.GetBytes("tenant-encryption_key"));
        byte[] wrapped = new byte[48];
        using (var aes = new AesGcm(kek, 16))
        {
            aes.Encrypt(iv, dek, wrapped.AsSpan(0, 32), wrapped.AsSpan(32, 16));
        }

        byte[] aesEdek = [0x0A, 0x0C, .. iv, 0x12, 0x30, .. wrapped, 0x1A, 0x02, (byte)'1', (byte)'0'];
        byte[] wrapper = [0x1A, (byte)aesEdek.Length, .. aesEdek];
        byte[] signedPayload = [0x0A, 0x02, 0x08, 0x01, 0x12, (byte)wrapper.Length, .. wrapper];
        byte[] signature = HMACSHA256.HashData(dek, signedPayload);
        byte[] header = [0x0A, 0x24, 0x0A, 0x20, .. signature, 0x10, 0x01, 0x12, (byte)signedPayload.Length, .. signedPayload];
        byte[] expected = [0x00, 0x00, 0x00, 0x0A, 0x82, 0x00, .. header];

        EncryptedDocument document = SeededAlloyKatOperations().Encrypt(DocumentTestKeys.Fields(("foo", "My data")), TestIds.Tenant);

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(document.Edek));
    }

    [Fact]
    public void EncryptField_WhenDekIsZeroAndIvComesFromSeedOne_ProducesKnownBytes()
    {
        // ALLOY-COMPAT §5.8 "Standard core" (encrypt_document_core_works).
        byte[] expected =
        [
            0, 73, 82, 79, 78, 154, 55, 68, 80, 69, 96, 99, 158, 198, 112, 183, 161, 178, 165, 36, 21, 83, 179, 38, 34, 142,
            237, 59, 8, 62, 249, 67, 36, 252,
        ];

        byte[] field = StandardDocumentOperations.EncryptField(new byte[32], [100], new SeededRandomSource(1));

        Assert.Equal(expected, field);
    }

    [Fact]
    public void Encrypt_WhenSeededWithSeveralFields_EncryptsInOrdinalOrderOfName()
    {
        var secrets = DocumentTestKeys.Secrets(1, 1);
        var operations = new StandardDocumentOperations(secrets, new SeededRandomSource(7));
        byte[] stream = new byte[32 + 12 + 36];
        new SeededRandomSource(7).Fill(stream);
        var fields = DocumentTestKeys.Fields(("b", "second"), ("B", "first"), ("c", "third"));

        EncryptedDocument document = operations.Encrypt(fields, new TenantId("t"));

        // Ordinal order is "B" < "b" < "c": IVs are drawn in that order after the DEK and EDEK IV.
        Assert.Equal(stream[44..56], document.Fields["B"][5..17]);
        Assert.Equal(stream[56..68], document.Fields["b"][5..17]);
        Assert.Equal(stream[68..80], document.Fields["c"][5..17]);
    }

    [Fact]
    public void GetSearchableEdekPrefix_WhenGivenId_ReturnsStandaloneStandardEdekHeader()
    {
        byte[] prefix = DocumentTestKeys.Standard(1, 1).GetSearchableEdekPrefix(new KeyId(0x01020304));

        Assert.Equal(new byte[] { 1, 2, 3, 4, 0x82, 0 }, prefix);
    }
}
