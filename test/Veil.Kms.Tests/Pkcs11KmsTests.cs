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
    public async Task CreateKey_WhenGenerated_KekIsNonExtractableSensitiveAndItsValueCannotBeRead()
    {
        string uri = SoftHsm.NewKeyUri();
        (await SoftHsm.Client().CreateKeyAsync(uri)).Dispose();
        string label = uri[(uri.IndexOf("object=", StringComparison.Ordinal) + 7)..];
        List<IObjectAttribute> attributes = SoftHsmObjects.ReadAttributes(label, CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE, CKA.CKA_NEVER_EXTRACTABLE, CKA.CKA_VALUE);
        Assert.False(attributes[0].GetValueAsBool());
        Assert.True(attributes[1].GetValueAsBool());
        Assert.True(attributes[2].GetValueAsBool());
        Assert.True(attributes[3].CannotBeRead);
    }

    [SoftHsmFact]
    public async Task WrapKey_ThenUnwrapKey_RoundTripsInsideTheToken()
    {
        string uri = SoftHsm.NewKeyUri();
        byte[] secret = RandomNumberGenerator.GetBytes(64);
        using IKeyEncryptionKey kek = await SoftHsm.Client().CreateKeyAsync(uri);
        byte[] wrapped = await kek.WrapKeyAsync(secret, "ad"u8.ToArray());
        Assert.Equal(12 + 64 + 16, wrapped.Length);
        Assert.NotEqual(secret, wrapped.AsSpan(12, 64).ToArray());
        Assert.Equal(secret, await kek.UnwrapKeyAsync(wrapped, "ad"u8.ToArray()));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => kek.UnwrapKeyAsync(wrapped, "other"u8.ToArray()).AsTask());
        wrapped[20] ^= 1;
        await Assert.ThrowsAnyAsync<CryptographicException>(() => kek.UnwrapKeyAsync(wrapped, "ad"u8.ToArray()).AsTask());
    }

    [SoftHsmFact]
    public async Task Keyset_WhenWrappedInHsm_DecryptsVectorsAfterTheModuleIsReopened()
    {
        string uri = SoftHsm.NewKeyUri();
        Keyset keyset = Keyset.Create(uri);
        using (IKeyEncryptionKey kek = await SoftHsm.Client().CreateKeyAsync(uri))
        {
            await keyset.AddVectorSecretAsync(TestIds.P, kek, 2f);
            await keyset.AddDeterministicSecretAsync(new SecretPath("f"), kek);
        }

        string json = keyset.ToJson();
        float[] plaintext = [0.5f, -0.25f, 0.125f, 1f];
        EncryptedVector encrypted;
        using (UnwrappedKeyset live = await Keyset.Parse(json).UnwrapAsync(SoftHsm.Client()))
        using (var client = new VeilClient(live.Configuration))
        {
            encrypted = client.Vector.Encrypt(plaintext, TestIds.P, new DerivationPath("d"), new TenantId("t"));
        }

        // Every session is closed and the module finalised (C_Finalize) by now: a new client is a restart.
        using (UnwrappedKeyset live = await Keyset.Parse(json).UnwrapAsync(SoftHsm.Client()))
        using (var client = new VeilClient(live.Configuration))
        {
            float[] decrypted = client.Vector.Decrypt(encrypted, new TenantId("t"));
            Assert.All(plaintext.Zip(decrypted), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 1e-3));
        }
    }

    [SoftHsmFact]
    public async Task Keyset_WhenIntegrityKeyWrappedInHsm_LifecycleKeepsTheTagAndEditsFail()
    {
        string uri = SoftHsm.NewKeyUri();
        using IKeyEncryptionKey kek = await SoftHsm.Client().CreateKeyAsync(uri);
        await KeysetIntegrityChecks.LifecycleKeepsTheTagAndEditsFailAsync(SoftHsm.Client(), kek);
    }

    [SoftHsmFact]
    public async Task GetKey_WhenPinWrong_ThrowsKeyNotAvailableWithoutThePin()
    {
        string uri = SoftHsm.NewKeyUri();
        (await SoftHsm.Client().CreateKeyAsync(uri)).Dispose();
        KeyNotAvailableException e = await Assert.ThrowsAsync<KeyNotAvailableException>(() => SoftHsm.Client(pin: "000000").GetKeyAsync(uri).AsTask());
        Assert.Contains("CKR_PIN_INCORRECT", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("000000", e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(SoftHsm.Pin, e.ToString(), StringComparison.Ordinal);
    }

    [SoftHsmFact]
    public async Task GetKey_WhenObjectMissingOrTokenUnknown_ThrowsKeyNotAvailable()
    {
        await Assert.ThrowsAsync<KeyNotAvailableException>(() => SoftHsm.Client().GetKeyAsync(SoftHsm.NewKeyUri()).AsTask());
        await Assert.ThrowsAsync<KeyNotAvailableException>(() => SoftHsm.Client().GetKeyAsync("pkcs11:token=no-such-token;object=x").AsTask());
    }

    [SoftHsmFact]
    public async Task CreateKey_WhenLabelExists_ThrowsInvalidOperation()
    {
        string uri = SoftHsm.NewKeyUri();
        (await SoftHsm.Client().CreateKeyAsync(uri)).Dispose();
        await Assert.ThrowsAsync<InvalidOperationException>(() => SoftHsm.Client().CreateKeyAsync(uri).AsTask());
    }

    [Theory]
    [InlineData("pkcs11:token=t")]
    [InlineData("pkcs11:object=o")]
    [InlineData("pkcs11:token=t;object=o?pin-value=1234")]
    [InlineData("pkcs11:token=t;object=o;slot-id=3")]
    [InlineData("local:x")]
    public async Task GetKey_WhenUriMalformed_ThrowsArgumentException(string uri)
    {
        var client = new Pkcs11KmsClient(new Pkcs11KmsOptions { ModulePath = "/nonexistent.so", Pin = () => "x" });
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetKeyAsync(uri).AsTask());
    }
}
