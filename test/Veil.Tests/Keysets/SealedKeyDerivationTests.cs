using System.Security.Cryptography;
using Veil.Keys;

namespace Veil.Tests.Keysets;

/// <summary>
/// The sealed mode's keys come from the same secrets as the DCPE, field and document keys, under a purpose of their
/// own: none of them equals a key Alloy's derivations give, whatever tenant or derivation path an attacker picks.
/// </summary>
public class SealedKeyDerivationTests
{
    [Theory]
    [InlineData("tenant-1", "")]
    [InlineData("tenant-1", "sealed")]
    [InlineData("tenant-1", "veil-sealed/v1")]
    [InlineData("", "encryption_key")]
    public void Derive_ForSameSecretAndTenant_DiffersFromEveryAlloyKey(string tenant, string derivationPath)
    {
        using Secret secret = Secret.Generate();
        byte[] vector = new byte[SealedKeyDerivation.KeyLength];
        byte[] index = new byte[SealedKeyDerivation.KeyLength];
        SealedKeyDerivation.Derive(secret, new TenantId(tenant), SealedKeyPurpose.Vector, vector);
        SealedKeyDerivation.Derive(secret, new TenantId(tenant), SealedKeyPurpose.Index, index);

        byte[] dcpe = new byte[TenantKeyDerivation.Sha512Length];
        TenantKeyDerivation.DeriveSha512(secret, new TenantId(tenant), new DerivationPath(derivationPath), dcpe);
        byte[] kek = new byte[TenantKeyDerivation.KekLength];
        TenantKeyDerivation.DeriveKek(secret, new TenantId(tenant), kek);
        byte[] legacy = new byte[TenantKeyDerivation.KekLength];
        TenantKeyDerivation.DeriveLegacyKek(secret, new TenantId(tenant), legacy);

        foreach (byte[] alloy in new[] { dcpe[..32], dcpe[32..], kek, legacy })
        {
            Assert.False(CryptographicOperations.FixedTimeEquals(vector, alloy));
            Assert.False(CryptographicOperations.FixedTimeEquals(index, alloy));
        }

        Assert.False(CryptographicOperations.FixedTimeEquals(vector, index));
    }

    [Fact]
    public void Derive_ForAnotherTenant_GivesAnotherKey()
    {
        using Secret secret = Secret.Generate();
        byte[] first = new byte[SealedKeyDerivation.KeyLength];
        byte[] second = new byte[SealedKeyDerivation.KeyLength];

        SealedKeyDerivation.Derive(secret, new TenantId("tenant-1"), SealedKeyPurpose.Vector, first);
        SealedKeyDerivation.Derive(secret, new TenantId("tenant-2"), SealedKeyPurpose.Vector, second);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Derive_IsHmacSha256OverTheDocumentedMessage()
    {
        byte[] secretBytes = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        using var secret = new Secret(secretBytes);
        byte[] key = new byte[SealedKeyDerivation.KeyLength];

        SealedKeyDerivation.Derive(secret, new TenantId("t"), SealedKeyPurpose.Index, key);

        byte[] message = [0xFF, .. "veil-sealed/v1"u8, 0x00, 0x02, 0, 0, 0, 1, (byte)'t'];
        Assert.Equal(HMACSHA256.HashData(secretBytes, message), key);
    }

    [Fact]
    public void Derive_WhenCalledWithAnUndefinedPurposeOrAShortDestination_RefusesWithoutWriting()
    {
        using Secret secret = Secret.Generate();
        byte[] key = new byte[SealedKeyDerivation.KeyLength];
        byte[] shortKey = new byte[SealedKeyDerivation.KeyLength - 1];

        Assert.Throws<ArgumentOutOfRangeException>(() => SealedKeyDerivation.Derive(secret, new TenantId("t"), (SealedKeyPurpose)3, key));
        Assert.Throws<ArgumentException>(() => SealedKeyDerivation.Derive(secret, new TenantId("t"), SealedKeyPurpose.Vector, shortKey));
        Assert.All(key, b => Assert.Equal(0, b));
        Assert.All(shortKey, b => Assert.Equal(0, b));
    }
}
