using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Veil.Keys;
using Veil.Kms.Pkcs11;
using Veil.Vectors;

namespace Veil.Kms.Tests;

/// <summary>Against a real SoftHSM2 token. One collection, so the tests run one at a time (PKCS#11 login is per process).</summary>
[Collection(SoftHsm.Collection)]
public class Pkcs11KmsTests
{
    [SoftHsmFact]
    public void CreateKey_WhenGenerated_KekIsNonExtractableSensitiveAndItsValueCannotBeRead()
    {
        string uri = SoftHsm.NewKeyUri();
        SoftHsm.Client().CreateKey(uri).Dispose();
        string label = uri[(uri.IndexOf("object=", StringComparison.Ordinal) + 7)..];
        List<IObjectAttribute> attributes = SoftHsmObjects.ReadAttributes(label, CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE, CKA.CKA_NEVER_EXTRACTABLE, CKA.CKA_VALUE);
        Assert.False(attributes[0].GetValueAsBool());
        Assert.True(attributes[1].GetValueAsBool());
        Assert.True(attributes[2].GetValueAsBool());
        Assert.True(attributes[3].CannotBeRead);
    }

    [SoftHsmFact]
    public void WrapKey_ThenUnwrapKey_RoundTripsInsideTheToken()
    {
        string uri = SoftHsm.NewKeyUri();
        byte[] secret = RandomNumberGenerator.GetBytes(64);
        using IKeyEncryptionKey kek = SoftHsm.Client().CreateKey(uri);
        byte[] wrapped = kek.WrapKey(secret, "ad"u8);
        Assert.Equal(12 + 64 + 16, wrapped.Length);
        Assert.NotEqual(secret, wrapped.AsSpan(12, 64).ToArray());
        Assert.Equal(secret, kek.UnwrapKey(wrapped, "ad"u8));
        Assert.ThrowsAny<CryptographicException>(() => kek.UnwrapKey(wrapped, "other"u8));
        wrapped[20] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => kek.UnwrapKey(wrapped, "ad"u8));
    }

    [SoftHsmFact]
    public void Keyset_WhenWrappedInHsm_DecryptsVectorsAfterTheModuleIsReopened()
    {
        string uri = SoftHsm.NewKeyUri();
        Keyset keyset = Keyset.Create(uri);
        using (IKeyEncryptionKey kek = SoftHsm.Client().CreateKey(uri))
        {
            keyset.AddVectorSecret("p", kek, 2f);
            keyset.AddDeterministicSecret("f", kek);
        }

        string json = keyset.ToJson();
        float[] plaintext = [0.5f, -0.25f, 0.125f, 1f];
        EncryptedVector encrypted;
        using (UnwrappedKeyset live = Keyset.Parse(json).Unwrap(SoftHsm.Client()))
        using (var client = new VeilClient(live.Configuration))
        {
            encrypted = client.Vector.Encrypt(plaintext, "p", "d", "t");
        }

        // Every session is closed and the module finalised (C_Finalize) by now: a new client is a restart.
        using (UnwrappedKeyset live = Keyset.Parse(json).Unwrap(SoftHsm.Client()))
        using (var client = new VeilClient(live.Configuration))
        {
            float[] decrypted = client.Vector.Decrypt(encrypted, "t");
            Assert.All(plaintext.Zip(decrypted), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 1e-3));
        }
    }

    [SoftHsmFact]
    public void Keyset_WhenIntegrityKeyWrappedInHsm_LifecycleKeepsTheTagAndEditsFail()
    {
        string uri = SoftHsm.NewKeyUri();
        using IKeyEncryptionKey kek = SoftHsm.Client().CreateKey(uri);
        KeysetIntegrityChecks.LifecycleKeepsTheTagAndEditsFail(SoftHsm.Client(), kek);
    }

    [SoftHsmFact]
    public void GetKey_WhenPinWrong_ThrowsKeyNotAvailableWithoutThePin()
    {
        string uri = SoftHsm.NewKeyUri();
        SoftHsm.Client().CreateKey(uri).Dispose();
        KeyNotAvailableException e = Assert.Throws<KeyNotAvailableException>(() => SoftHsm.Client(pin: "000000").GetKey(uri));
        Assert.Contains("CKR_PIN_INCORRECT", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("000000", e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(SoftHsm.Pin, e.ToString(), StringComparison.Ordinal);
    }

    [SoftHsmFact]
    public void GetKey_WhenObjectMissingOrTokenUnknown_ThrowsKeyNotAvailable()
    {
        Assert.Throws<KeyNotAvailableException>(() => SoftHsm.Client().GetKey(SoftHsm.NewKeyUri()));
        Assert.Throws<KeyNotAvailableException>(() => SoftHsm.Client().GetKey("pkcs11:token=no-such-token;object=x"));
    }

    [SoftHsmFact]
    public void CreateKey_WhenLabelExists_ThrowsInvalidOperation()
    {
        string uri = SoftHsm.NewKeyUri();
        SoftHsm.Client().CreateKey(uri).Dispose();
        Assert.Throws<InvalidOperationException>(() => SoftHsm.Client().CreateKey(uri));
    }

    [Theory]
    [InlineData("pkcs11:token=t")]
    [InlineData("pkcs11:object=o")]
    [InlineData("pkcs11:token=t;object=o?pin-value=1234")]
    [InlineData("pkcs11:token=t;object=o;slot-id=3")]
    [InlineData("local:x")]
    public void GetKey_WhenUriMalformed_ThrowsArgumentException(string uri)
    {
        var client = new Pkcs11KmsClient(new Pkcs11KmsOptions { ModulePath = "/nonexistent.so", Pin = () => "x" });
        Assert.Throws<ArgumentException>(() => client.GetKey(uri));
    }
}
