using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Veil.Documents;
using Veil.Keys;

namespace Veil.Tests.Documents;

public class StandardDocumentOperationsTests
{
    private static readonly TenantId s_tenant = TestIds.TenantA;

    [Fact]
    public void Decrypt_WhenRoundTrippingArbitraryDocuments_ReturnsOriginalFields()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1, 2);
        Gen.Dictionary(Gen.String, Gen.Byte.Array).Select(Gen.String).Sample((fields, tenant) =>
        {
            EncryptedDocument document = operations.Encrypt(fields, new TenantId(tenant));
            IReadOnlyDictionary<string, byte[]> decrypted = operations.Decrypt(document, new TenantId(tenant));

            Assert.Equal(fields.Count, document.Fields.Count);
            Assert.Equal(fields.Count, decrypted.Count);
            foreach (KeyValuePair<string, byte[]> field in fields)
            {
                Assert.Equal(field.Value.Length + 33, document.Fields[field.Key].Length);
                Assert.Equal(field.Value, decrypted[field.Key]);
            }
        }, iter: 200);
    }

    [Fact]
    public void Encrypt_WhenCalledTwiceOnSameDocument_ProducesDifferentCiphertexts()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        var fields = DocumentTestKeys.Fields(("a", "same"));

        EncryptedDocument first = operations.Encrypt(fields, s_tenant);
        EncryptedDocument second = operations.Encrypt(fields, s_tenant);

        Assert.NotEqual(first.Edek, second.Edek);
        Assert.NotEqual(first.Fields["a"], second.Fields["a"]);
    }

    [Fact]
    public void Decrypt_WhenAnyFieldByteIsFlipped_ThrowsCryptographicException()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        EncryptedDocument document = operations.Encrypt(DocumentTestKeys.Fields(("a", "some secret text")), s_tenant);
        byte[] original = document.Fields["a"];

        for (int i = 0; i < original.Length; i++)
        {
            byte[] tampered = (byte[])original.Clone();
            tampered[i] ^= 0x01;
            var tamperedDocument = new EncryptedDocument(document.Edek, new Dictionary<string, byte[]> { ["a"] = tampered });

            Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(tamperedDocument, s_tenant));
        }
    }

    [Fact]
    public void Decrypt_WhenAnyEdekByteIsFlipped_ThrowsCryptographicException()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        EncryptedDocument document = operations.Encrypt(DocumentTestKeys.Fields(("a", "text")), s_tenant);

        for (int i = 0; i < document.Edek.Length; i++)
        {
            foreach (byte mask in new byte[] { 0x01, 0x80 })
            {
                byte[] edek = (byte[])document.Edek.Clone();
                edek[i] ^= mask;
                var tampered = new EncryptedDocument(edek, document.Fields);
                if (edek.AsSpan(0, 4).IndexOfAnyExcept((byte)0) < 0)
                {
                    // Key id 0 legitimately means "try every secret" (Alloy), so this flip still decrypts.
                    Assert.Equal("text", Encoding.UTF8.GetString(operations.Decrypt(tampered, s_tenant)["a"]));
                    continue;
                }

                Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(tampered, s_tenant));
            }
        }
    }

    [Fact]
    public void Decrypt_WhenTamperedWithFieldFromAnotherDocument_ThrowsAuthenticationTagMismatch()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        EncryptedDocument first = operations.Encrypt(DocumentTestKeys.Fields(("a", "one")), s_tenant);
        EncryptedDocument second = operations.Encrypt(DocumentTestKeys.Fields(("a", "two")), s_tenant);
        var mixed = new EncryptedDocument(first.Edek, second.Fields);

        Assert.Throws<AuthenticationTagMismatchException>(() => operations.Decrypt(mixed, s_tenant));
    }

    [Fact]
    public void Decrypt_WhenTenantDiffers_ThrowsNoSecretFound()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        EncryptedDocument document = operations.Encrypt(DocumentTestKeys.Fields(("a", "text")), s_tenant);

        CryptographicException error = Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(document, TestIds.TenantB));
        Assert.Equal("No secret could be found to decrypt the EDEK.", error.Message);
    }

    [Fact]
    public void Decrypt_WhenEdekWrappedWithLegacyKek_Decrypts()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        byte[] dek = RandomNumberGenerator.GetBytes(32);
        byte[] kek = DocumentBuilders.LegacyKek(DocumentTestKeys.SecretFor(1), s_tenant);
        byte[] edek = DocumentBuilders.Edek(1, DocumentBuilders.V4Header(kek, dek));
        byte[] field = StandardDocumentOperations.EncryptField(dek, "legacy"u8, Veil.Randomness.SystemRandomSource.Instance);

        IReadOnlyDictionary<string, byte[]> decrypted = operations.Decrypt(new EncryptedDocument(edek, new Dictionary<string, byte[]> { ["f"] = field }), s_tenant);

        Assert.Equal("legacy", Encoding.UTF8.GetString(decrypted["f"]));
    }

    [Fact]
    public void Decrypt_WhenKeyIdIsZero_TriesEveryConfiguredSecret()
    {
        EncryptedDocument document = DocumentTestKeys.Standard(3, 3).Encrypt(DocumentTestKeys.Fields(("a", "text")), s_tenant);
        byte[] edek = (byte[])document.Edek.Clone();
        edek.AsSpan(0, 4).Clear();
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1, 2, 3);

        IReadOnlyDictionary<string, byte[]> decrypted = operations.Decrypt(new EncryptedDocument(edek, document.Fields), s_tenant);

        Assert.Equal("text", Encoding.UTF8.GetString(decrypted["a"]));
    }

    [Fact]
    public void Decrypt_WhenKeyIdIsZeroAndNoSecretMatches_ThrowsNoSecretFound()
    {
        EncryptedDocument document = DocumentTestKeys.Standard(3, 3).Encrypt(DocumentTestKeys.Fields(("a", "text")), s_tenant);
        byte[] edek = (byte[])document.Edek.Clone();
        edek.AsSpan(0, 4).Clear();

        CryptographicException error = Assert.ThrowsAny<CryptographicException>(
            () => DocumentTestKeys.Standard(1, 1, 2).Decrypt(new EncryptedDocument(edek, document.Fields), s_tenant));
        Assert.Equal("No secret could be found to decrypt the EDEK.", error.Message);
    }

    [Fact]
    public void Decrypt_WhenKeyIdIsUnknown_ThrowsKeyNotAvailableNamingId()
    {
        EncryptedDocument document = DocumentTestKeys.Standard(7, 7).Encrypt(DocumentTestKeys.Fields(("a", "text")), s_tenant);

        KeyNotAvailableException error = Assert.Throws<KeyNotAvailableException>(
            () => DocumentTestKeys.Standard(1, 1).Decrypt(document, s_tenant));
        Assert.Equal(new KeyId(7), error.KeyId);
        Assert.Contains("7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_WhenSignatureIsWrong_ThrowsSignatureVerificationFailed()
    {
        byte[] dek = RandomNumberGenerator.GetBytes(32);
        byte[] kek = DocumentBuilders.Kek(DocumentTestKeys.SecretFor(1), s_tenant);
        byte[] edek = DocumentBuilders.Edek(1, DocumentBuilders.V4Header(kek, dek, signature: new byte[32]));
        byte[] field = StandardDocumentOperations.EncryptField(dek, "x"u8, Veil.Randomness.SystemRandomSource.Instance);

        CryptographicException error = Assert.ThrowsAny<CryptographicException>(() => DocumentTestKeys.Standard(1, 1)
            .Decrypt(new EncryptedDocument(edek, new Dictionary<string, byte[]> { ["f"] = field }), s_tenant));
        Assert.Equal("EDEK signature verification failed.", error.Message);
    }

    [Fact]
    public void Decrypt_WhenHeaderIsUnsigned_ThrowsCryptographicException()
    {
        byte[] dek = RandomNumberGenerator.GetBytes(32);
        byte[] payload = DocumentBuilders.SignedPayload(DocumentBuilders.Kek(DocumentTestKeys.SecretFor(1), s_tenant), dek);
        // signature_info present but empty (signature_type NONE), then the payload.
        byte[] header = [0x0A, 0x00, 0x12, (byte)payload.Length, .. payload];
        var document = new EncryptedDocument(DocumentBuilders.Edek(1, header), new Dictionary<string, byte[]>());

        Assert.ThrowsAny<CryptographicException>(() => DocumentTestKeys.Standard(1, 1).Decrypt(document, s_tenant));
    }

    [Fact]
    public void Decrypt_WhenFieldIsV3WithSaasShieldSignature_Decrypts()
    {
        (StandardDocumentOperations operations, byte[] edek, byte[] dek) = ExistingDocumentKey();
        byte[] field = DocumentBuilders.V3Field(dek, "v3 data"u8.ToArray(), "tenant-a");

        IReadOnlyDictionary<string, byte[]> decrypted = operations.Decrypt(new EncryptedDocument(edek, new Dictionary<string, byte[]> { ["f"] = field }), s_tenant);

        Assert.Equal("v3 data", Encoding.UTF8.GetString(decrypted["f"]));
    }

    [Fact]
    public void Decrypt_WhenFieldIsV3WithoutHeader_SkipsSignatureCheckAndDecrypts()
    {
        (StandardDocumentOperations operations, byte[] edek, byte[] dek) = ExistingDocumentKey();
        byte[] field = DocumentBuilders.V3Field(dek, "old java"u8.ToArray(), tenant: null);

        IReadOnlyDictionary<string, byte[]> decrypted = operations.Decrypt(new EncryptedDocument(edek, new Dictionary<string, byte[]> { ["f"] = field }), s_tenant);

        Assert.Equal("old java", Encoding.UTF8.GetString(decrypted["f"]));
    }

    [Fact]
    public void Decrypt_WhenV3SignatureIsWrong_ThrowsCryptographicException()
    {
        (StandardDocumentOperations operations, byte[] edek, byte[] dek) = ExistingDocumentKey();
        byte[] field = DocumentBuilders.V3Field(dek, "v3 data"u8.ToArray(), "tenant-a", corruptSignature: true);

        Assert.ThrowsAny<CryptographicException>(
            () => operations.Decrypt(new EncryptedDocument(edek, new Dictionary<string, byte[]> { ["f"] = field }), s_tenant));
    }

    [Fact]
    public void Decrypt_WhenFieldIsBareV4_Decrypts()
    {
        (StandardDocumentOperations operations, byte[] edek, byte[] dek) = ExistingDocumentKey();
        byte[] field = DocumentBuilders.BareV4Field(dek, "bare v4"u8.ToArray());

        IReadOnlyDictionary<string, byte[]> decrypted = operations.Decrypt(new EncryptedDocument(edek, new Dictionary<string, byte[]> { ["f"] = field }), s_tenant);

        Assert.Equal("bare v4", Encoding.UTF8.GetString(decrypted["f"]));
    }

    public static TheoryData<string> MalformedEdeks => new()
    {
        "",
        "000000",
        "0000000182",
        "000000018200",
        "000000018100" + "0A00",
        "000000018201" + "0A00",
        "000000018200" + "FFFFFFFF",
        "000000018200" + "0A24",
        "000000018200" + "12FF01",
        "000000018200" + "0A0012020A00",
        "000000018200" + "0A02100112001200",
        "000000018200" + "0B00",
        "000000018200" + "08FFFFFFFFFFFFFFFFFFFF01",
        "000000018200" + "0A0210011204120212000A00",
    };

    [Theory]
    [MemberData(nameof(MalformedEdeks))]
    public void Decrypt_WhenEdekIsMalformed_ThrowsCryptographicException(string edekHex)
    {
        var document = new EncryptedDocument(Convert.FromHexString(edekHex), new Dictionary<string, byte[]>());

        Assert.ThrowsAny<CryptographicException>(() => DocumentTestKeys.Standard(1, 1).Decrypt(document, s_tenant));
    }

    [Fact]
    public void Decrypt_WhenEdekIsRandomBytesAfterValidHeader_ThrowsOnlyCryptographicException()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        Gen.Byte.Array.Sample(garbage =>
        {
            byte[] edek = [0, 0, 0, 1, 0x82, 0, .. garbage];
            var document = new EncryptedDocument(edek, new Dictionary<string, byte[]>());
            Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(document, s_tenant));
        }, iter: 2000);
    }

    public static TheoryData<string> MalformedFields => new()
    {
        "",
        "00",
        "0049524F4E",
        "0049524F4E" + "000102030405060708090A0B",
        "0349524F4E",
        "0349524F4E00",
        "0349524F4E0010",
        "0349524F4E0002FFFF",
        "0349524F4E00020B00" + "000102030405060708090A0B0C0D0E0F101112131415161718191A1B",
        "000102030405060708090A0B0C0D0E0F101112131415161718191A",
    };

    [Theory]
    [MemberData(nameof(MalformedFields))]
    public void Decrypt_WhenFieldIsMalformed_ThrowsCryptographicException(string fieldHex)
    {
        (StandardDocumentOperations operations, byte[] edek, _) = ExistingDocumentKey();
        var document = new EncryptedDocument(edek, new Dictionary<string, byte[]> { ["f"] = Convert.FromHexString(fieldHex) });

        Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(document, s_tenant));
    }

    [Fact]
    public void Decrypt_WhenEdekIsForAnotherPayloadType_ThrowsCryptographicException()
    {
        EncryptedDocument document = DocumentTestKeys.Standard(1, 1).Encrypt(DocumentTestKeys.Fields(("a", "text")), s_tenant);
        byte[] edek = (byte[])document.Edek.Clone();
        edek[4] = 0x02; // SaaS Shield StandardEdek

        CryptographicException error = Assert.ThrowsAny<CryptographicException>(
            () => DocumentTestKeys.Standard(1, 1).Decrypt(new EncryptedDocument(edek, document.Fields), s_tenant));
        Assert.Contains("0x02", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encrypt_WhenNoPrimarySecret_ThrowsKeyNotAvailable()
    {
        Assert.Throws<KeyNotAvailableException>(() => DocumentTestKeys.Standard(null, 1).Encrypt(DocumentTestKeys.Fields(("a", "b")), s_tenant));
    }

    [Fact]
    public void Encrypt_WhenStandardNotConfigured_ThrowsKeyNotAvailableSayingSo()
    {
        var operations = new StandardDocumentOperations(null, Veil.Randomness.SystemRandomSource.Instance);

        KeyNotAvailableException error = Assert.Throws<KeyNotAvailableException>(() => operations.Encrypt(DocumentTestKeys.Fields(("a", "b")), s_tenant));
        Assert.Contains("not configured", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_WhenPrimaryIsNotConfigured_StillDecryptsWithAnySecret()
    {
        EncryptedDocument document = DocumentTestKeys.Standard(2, 2).Encrypt(DocumentTestKeys.Fields(("a", "text")), s_tenant);

        IReadOnlyDictionary<string, byte[]> decrypted = DocumentTestKeys.Standard(null, 1, 2).Decrypt(document, s_tenant);

        Assert.Equal("text", Encoding.UTF8.GetString(decrypted["a"]));
    }

    [Fact]
    public void EncryptWithExistingEdek_WhenGivenStoredEdek_EncryptsUnderSameDataKey()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        EncryptedDocument original = operations.Encrypt(DocumentTestKeys.Fields(("a", "first")), s_tenant);

        EncryptedDocument added = operations.EncryptWithExistingEdek(DocumentTestKeys.Fields(("b", "second")), original.Edek, s_tenant);
        var merged = new EncryptedDocument(original.Edek, new Dictionary<string, byte[]> { ["a"] = original.Fields["a"], ["b"] = added.Fields["b"] });
        IReadOnlyDictionary<string, byte[]> decrypted = operations.Decrypt(merged, s_tenant);

        Assert.Same(original.Edek, added.Edek);
        Assert.Equal("first", Encoding.UTF8.GetString(decrypted["a"]));
        Assert.Equal("second", Encoding.UTF8.GetString(decrypted["b"]));
    }

    [Fact]
    public void EncryptWithExistingEdek_WhenTenantIsWrong_ThrowsCryptographicException()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        EncryptedDocument original = operations.Encrypt(DocumentTestKeys.Fields(("a", "first")), s_tenant);

        Assert.ThrowsAny<CryptographicException>(() => operations.EncryptWithExistingEdek(DocumentTestKeys.Fields(("b", "x")), original.Edek, new TenantId("other")));
    }

    [Fact]
    public void RekeyEdeks_WhenNewTenantGiven_DecryptsOnlyWithNewTenant()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        EncryptedDocument document = operations.Encrypt(DocumentTestKeys.Fields(("a", "moving")), s_tenant);

        BatchResult<byte[]> result = operations.RekeyEdeks([document.Edek], s_tenant, TestIds.TenantB);
        var rekeyed = new EncryptedDocument(result[0].Value!, document.Fields);

        Assert.True(result[0].IsSuccess);
        Assert.Equal("moving", Encoding.UTF8.GetString(operations.Decrypt(rekeyed, TestIds.TenantB)["a"]));
        Assert.ThrowsAny<CryptographicException>(() => operations.Decrypt(rekeyed, s_tenant));
    }

    [Fact]
    public void RekeyEdeks_WhenRotatingToNewPrimary_RewrapsUnderPrimaryAndLeavesFieldsUntouched()
    {
        EncryptedDocument document = DocumentTestKeys.Standard(1, 1).Encrypt(DocumentTestKeys.Fields(("a", "rotate me")), s_tenant);
        byte[] fieldBefore = (byte[])document.Fields["a"].Clone();

        BatchResult<byte[]> result = DocumentTestKeys.Standard(2, 1, 2).RekeyEdeks([document.Edek], s_tenant, newTenant: null);
        byte[] newEdek = result[0].Value!;
        var rekeyed = new EncryptedDocument(newEdek, document.Fields);

        Assert.Equal(new byte[] { 0, 0, 0, 2, 0x82, 0 }, newEdek[..6]);
        Assert.Equal(fieldBefore, document.Fields["a"]);
        Assert.Equal("rotate me", Encoding.UTF8.GetString(DocumentTestKeys.Standard(null, 2).Decrypt(rekeyed, s_tenant)["a"]));
    }

    [Fact]
    public void RekeyEdeks_WhenOneEdekIsBad_FailsOnlyThatItem()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        EncryptedDocument good = operations.Encrypt(DocumentTestKeys.Fields(("a", "x")), s_tenant);

        BatchResult<byte[]> result = operations.RekeyEdeks([good.Edek, [1, 2, 3], good.Edek], s_tenant, TestIds.TenantB);

        Assert.Equal(2, result.SuccessCount);
        Assert.False(result[1].IsSuccess);
        Assert.IsAssignableFrom<CryptographicException>(result[1].Error);
    }

    [Fact]
    public void DecryptBatch_WhenOneDocumentIsTampered_FailsOnlyThatItem()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        BatchResult<EncryptedDocument> encrypted = operations.EncryptBatch(
            [DocumentTestKeys.Fields(("a", "zero")), DocumentTestKeys.Fields(("a", "one")), DocumentTestKeys.Fields(("a", "two"))], s_tenant);
        EncryptedDocument[] documents = encrypted.Select(r => r.Value!).ToArray();
        byte[] tamperedField = (byte[])documents[1].Fields["a"].Clone();
        tamperedField[^1] ^= 0xFF;
        documents[1] = new EncryptedDocument(documents[1].Edek, new Dictionary<string, byte[]> { ["a"] = tamperedField });

        BatchResult<IReadOnlyDictionary<string, byte[]>> result = operations.DecryptBatch(documents, s_tenant);

        Assert.Equal(0, encrypted.FailureCount);
        Assert.Equal(1, result.FailureCount);
        Assert.IsType<AuthenticationTagMismatchException>(result[1].Error);
        Assert.Equal("zero", Encoding.UTF8.GetString(result[0].Value!["a"]));
        Assert.Equal("two", Encoding.UTF8.GetString(result[2].Value!["a"]));
    }

    [Fact]
    public void EncryptWithExistingEdekBatch_WhenOneEdekIsUnknown_FailsOnlyThatItem()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(1, 1);
        EncryptedDocument original = operations.Encrypt(DocumentTestKeys.Fields(("a", "x")), s_tenant);
        EncryptedDocument foreign = DocumentTestKeys.Standard(9, 9).Encrypt(DocumentTestKeys.Fields(("a", "x")), s_tenant);

        BatchResult<EncryptedDocument> result = operations.EncryptWithExistingEdekBatch(
            [(DocumentTestKeys.Fields(("b", "1")), original.Edek), (DocumentTestKeys.Fields(("b", "2")), foreign.Edek)], s_tenant);

        Assert.True(result[0].IsSuccess);
        Assert.IsType<KeyNotAvailableException>(result[1].Error);
    }

    [Fact]
    public void ToString_WhenCalled_RevealsNoFieldContent()
    {
        EncryptedDocument document = DocumentTestKeys.Standard(1, 1).Encrypt(DocumentTestKeys.Fields(("secret-name", "secret value")), s_tenant);

        Assert.Equal("EncryptedDocument (1 fields, EDEK " + document.Edek.Length + " bytes)", document.ToString());
    }

    private static (StandardDocumentOperations Operations, byte[] Edek, byte[] Dek) ExistingDocumentKey()
    {
        byte[] dek = RandomNumberGenerator.GetBytes(32);
        byte[] kek = DocumentBuilders.Kek(DocumentTestKeys.SecretFor(1), s_tenant);
        return (DocumentTestKeys.Standard(1, 1), DocumentBuilders.Edek(1, DocumentBuilders.V4Header(kek, dek)), dek);
    }
}
