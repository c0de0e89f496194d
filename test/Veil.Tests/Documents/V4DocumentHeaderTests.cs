using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Veil.Documents;
using Veil.Formats;
using Veil.Keys;

namespace Veil.Tests.Documents;

public class V4DocumentHeaderTests
{
    private static readonly TenantId s_tenant = TestIds.TenantA;

    [Fact]
    public void Decode_WhenEncodedByVeil_ReturnsSameFields()
    {
        byte[] iv = RandomNumberGenerator.GetBytes(12);
        byte[] ciphertext = RandomNumberGenerator.GetBytes(48);
        byte[] payload = V4DocumentHeader.EncodeSignedPayload(new Aes256GcmEncryptedDek(iv, ciphertext, "42"));
        byte[] signature = RandomNumberGenerator.GetBytes(32);

        V4DocumentHeader header = V4DocumentHeader.Decode(V4DocumentHeader.Encode(payload, signature));

        Assert.Equal(V4DocumentHeader.SignatureTypeHs256, header.SignatureType);
        Assert.Equal(signature, header.Signature);
        Assert.Equal(payload, header.SignedPayload);
        Assert.Equal(1, header.EdekCount);
        Assert.Equal(iv, header.AesEdek!.Iv);
        Assert.Equal(ciphertext, header.AesEdek.Ciphertext);
        Assert.Equal("42", header.AesEdek.Id);
    }

    [Fact]
    public void Decrypt_WhenSignedPayloadHasUserMetadataAndUnknownFields_VerifiesOverRawBytes()
    {
        byte[] dek = RandomNumberGenerator.GetBytes(32);
        byte[] basePayload = DocumentBuilders.SignedPayload(DocumentBuilders.Kek(DocumentTestKeys.SecretFor(1), s_tenant), dek);
        // user_metadata {"k": "v"} (field 3) and an unknown varint field 9, appended after the canonical fields.
        byte[] payload = [.. basePayload, 0x1A, 0x06, 0x0A, 0x01, (byte)'k', 0x12, 0x01, (byte)'v', 0x48, 0x05];
        byte[] header = V4DocumentHeader.Encode(payload, HMACSHA256.HashData(dek, payload));
        byte[] field = StandardDocumentOperations.EncryptField(dek, "meta"u8, Veil.Randomness.SystemRandomSource.Instance);
        var document = new EncryptedDocument(DocumentBuilders.Edek(1, header), new Dictionary<string, byte[]> { ["f"] = field });

        IReadOnlyDictionary<string, byte[]> decrypted = DocumentTestKeys.Standard(1, 1).Decrypt(document, s_tenant);

        Assert.Equal("meta", Encoding.UTF8.GetString(decrypted["f"]));
    }

    [Fact]
    public void Decode_WhenSignedPayloadIsRepeated_ThrowsCryptographicException()
    {
        byte[] payload = V4DocumentHeader.EncodeSignedPayload(new Aes256GcmEncryptedDek(new byte[12], new byte[48], "1"));
        byte[] header = [.. V4DocumentHeader.Encode(payload, new byte[32]), 0x12, (byte)payload.Length, .. payload];

        Assert.ThrowsAny<CryptographicException>(() => V4DocumentHeader.Decode(header));
    }

    [Fact]
    public void Decrypt_WhenHeaderHoldsOnlySaasShieldEdek_ThrowsNamingIt()
    {
        // SignedPayload { encryption_info, edeks[0] = { cmk_edek { encryptedDekData = 01 02 } } }
        byte[] payload = [0x0A, 0x02, 0x08, 0x01, 0x12, 0x06, 0x12, 0x04, 0x0A, 0x02, 0x01, 0x02];
        byte[] header = V4DocumentHeader.Encode(payload, new byte[32]);
        var document = new EncryptedDocument(DocumentBuilders.Edek(1, header), new Dictionary<string, byte[]>());

        CryptographicException error = Assert.ThrowsAny<CryptographicException>(() => DocumentTestKeys.Standard(1, 1).Decrypt(document, s_tenant));
        Assert.Contains("SaaS Shield", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenGivenArbitraryBytes_ThrowsOnlyCryptographicException()
    {
        Gen.Byte.Array.Sample(bytes =>
        {
            try
            {
                V4DocumentHeader.Decode(bytes);
            }
            catch (CryptographicException)
            {
            }
        }, iter: 5000);
    }

    [Fact]
    public void Decrypt_WhenAttachedDocumentIsArbitraryBytes_ThrowsOnlyCryptographicException()
    {
        AttachedDocumentOperations operations = DocumentTestKeys.Attached(1, 1);
        Gen.Byte.Array.Sample(bytes =>
        {
            byte[] document = bytes.Length > 0 && bytes[0] % 2 == 0 ? [0, 0, 0, 1, 0x82, 0, .. bytes] : [0x04, 0x49, 0x52, 0x4F, 0x4E, .. bytes];
            Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(document, s_tenant));
        }, iter: 2000);
    }
}
