using System.Security.Cryptography;
using Veil.Keys;
using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Vectors;

/// <summary>Malformed and edge-case inputs: attacker-controlled headers, bad plaintexts, bad configuration.</summary>
public class VectorInputTests
{
    [Fact]
    public void Decrypt_WhenPairedIclInfoTruncatedToAnyLength_ThrowsCryptographicException()
    {
        using var fixture = new VectorFixture();
        EncryptedVector encrypted = fixture.Client.Vector.Encrypt([0.5f, -0.5f], TestIds.Vec, TestIds.Model, TestIds.Tenant);
        for (int length = 0; length < encrypted.PairedIclInfo.Length; length++)
        {
            var truncated = new EncryptedVector(encrypted.Ciphertext, encrypted.PairedIclInfo[..length], TestIds.Vec, TestIds.Model);
            Assert.ThrowsAny<CryptographicException>(() => fixture.Client.Vector.Decrypt(truncated, TestIds.Tenant));
        }
    }

    [Theory]
    [InlineData("000000028101", "Encrypted header was invalid")]             // non-zero padding byte
    [InlineData("0000000280000a0c", "not a Standalone Vector Metadata")]     // deterministic-field payload type
    [InlineData("0000000201000a0c", "not a Standalone Vector Metadata")]     // SaaS Shield vector metadata
    [InlineData("000000028100ff", "protobuf")]                               // truncated varint
    [InlineData("0000000281000a05aabbccddee", "Invalid IV")]                 // 5-byte IV
    public void Decrypt_WhenHeaderMalformed_ThrowsWithClearMessage(string hex, string expectedMessage)
    {
        using var fixture = new VectorFixture();
        var forged = new EncryptedVector(new float[] { 1f, 2f }, Convert.FromHexString(hex), TestIds.Vec, TestIds.Model);
        CryptographicException e = Assert.ThrowsAny<CryptographicException>(() => fixture.Client.Vector.Decrypt(forged, TestIds.Tenant));
        Assert.Contains(expectedMessage, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_WhenGarbageOrOversizedInfo_RejectsWithoutCrashing()
    {
        using var fixture = new VectorFixture();
        VectorEncryptor encryptor = fixture.Client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        EncryptedVector encrypted = encryptor.Encrypt([0.5f, -0.5f, 0.25f]);
        var random = new Random(20261123);
        var output = new float[3];
        for (int i = 0; i < 2000; i++)
        {
            var garbage = new byte[random.Next(0, 200)];
            random.NextBytes(garbage);
            if (garbage.Length >= 6 && i % 2 == 0)
            {
                encrypted.PairedIclInfo.Span[..6].CopyTo(garbage); // a valid header in front of garbage
            }

            Assert.False(encryptor.TryDecrypt(encrypted.Ciphertext.Span, garbage, output));
        }

        byte[] oversized = [.. encrypted.PairedIclInfo.ToArray(), 0xFF];
        Assert.False(encryptor.TryDecrypt(encrypted.Ciphertext.Span, oversized, output));
    }

    [Fact]
    public void Decrypt_WhenUnknownProtobufFieldAppended_StillVerifiesBecauseTheTagCoversTheData()
    {
        // Alloy parses the metadata as protobuf, which skips unknown fields; so do we. The header is not secret and
        // the tag still covers s, β, the IV and the ciphertext.
        using var fixture = new VectorFixture();
        EncryptedVector encrypted = fixture.Client.Vector.Encrypt([0.5f, -0.5f], TestIds.Vec, TestIds.Model, TestIds.Tenant);
        byte[] extended = [.. encrypted.PairedIclInfo.ToArray(), 0x18, 0x01];
        float[] decrypted = fixture.Client.Vector.Decrypt(new EncryptedVector(encrypted.Ciphertext, extended, TestIds.Vec, TestIds.Model), TestIds.Tenant);
        TestData.AssertClose(0.5f, decrypted[0]);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(float.MaxValue)]
    public void Encrypt_WhenPlaintextNotFiniteOrOverflows_ThrowsArgumentException(float bad)
    {
        using var fixture = new VectorFixture(scaling: true);
        ArgumentException e = Assert.Throws<ArgumentException>(() => fixture.Client.Vector.Encrypt([0.123f, bad], TestIds.Vec, TestIds.Model, TestIds.Tenant));
        Assert.DoesNotContain("0.123", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_WhenCiphertextHoldsNaN_FailsVerification()
    {
        using var fixture = new VectorFixture();
        EncryptedVector encrypted = fixture.Client.Vector.Encrypt([0.5f, -0.5f], TestIds.Vec, TestIds.Model, TestIds.Tenant);
        var nan = new EncryptedVector(new[] { float.NaN, encrypted.Ciphertext.Span[1] }, encrypted.PairedIclInfo, TestIds.Vec, TestIds.Model);
        Assert.Throws<AuthenticationTagMismatchException>(() => fixture.Client.Vector.Decrypt(nan, TestIds.Tenant));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(4097)]
    public void Decrypt_WhenEdgeDimensions_RoundTrips(int dimensions)
    {
        using var fixture = new VectorFixture();
        float[] plaintext = Enumerable.Range(0, dimensions).Select(i => MathF.Sin(i)).ToArray();
        EncryptedVector encrypted = fixture.Client.Vector.Encrypt(plaintext, TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Assert.Equal(dimensions, encrypted.Ciphertext.Length);
        Assert.Equal(54, encrypted.PairedIclInfo.Length);
        float[] decrypted = fixture.Client.Vector.Decrypt(encrypted, TestIds.Tenant);
        Assert.Equal(plaintext.Length, decrypted.Length);
        Assert.All(plaintext.Zip(decrypted), p => Assert.InRange(Math.Abs(p.First - p.Second), 0f, 1e-6f));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void VectorSecret_WhenApproximationFactorInvalid_ThrowsNamingIt(float beta)
    {
        using var secret = new Secret(new byte[32]);
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new VectorSecret(beta, new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret))));
        Assert.Equal("approximationFactor", e.ParamName);
    }

    [Fact]
    public void Secret_WhenShorterThan32Bytes_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Secret(new byte[31]));
    }

    [Fact]
    public void Secret_ToStringAndFormattedKeys_NeverShowBytes()
    {
        using var secret = new Secret(Enumerable.Repeat((byte)0xAB, 32).ToArray());
        Assert.DoesNotContain("AB", secret.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("171", secret.ToString(), StringComparison.Ordinal);
        using VectorEncryptionKey key = VectorEncryptionKey.Derive(secret, new TenantId("t"), new DerivationPath("p"));
        Assert.Equal("VectorEncryptionKey (redacted)", key.ToString());
    }

    [Fact]
    public void Encrypt_WhenSecretPathUnknownOrNoCurrentSecret_ThrowsClearly()
    {
        using var fixture = new VectorFixture();
        ArgumentException unknown = Assert.Throws<ArgumentException>(() => fixture.Client.Vector.Encrypt([1f], new SecretPath("nope"), TestIds.Model, TestIds.Tenant));
        Assert.Contains("'nope'", unknown.Message, StringComparison.Ordinal);

        using var secret = new Secret(new byte[32]);
        var config = new VeilConfiguration(vector: TestData.VectorSection("vec", new VectorSecret(2f, new RotatableSecret(null, new IdentifiedSecret(new KeyId(1), secret)))));
        using var client = new VeilClient(config);
        Assert.Throws<KeyNotAvailableException>(() => client.Vector.Encrypt([1f], TestIds.Vec, TestIds.Model, TestIds.Tenant));
    }

    [Fact]
    public void Decrypt_WhenDestinationTooShort_ThrowsArgumentException()
    {
        using var fixture = new VectorFixture();
        VectorEncryptor encryptor = fixture.Client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        EncryptedVector encrypted = encryptor.Encrypt([1f, 2f, 3f]);
        Assert.Throws<ArgumentException>(() => encryptor.Decrypt(encrypted.Ciphertext.Span, encrypted.PairedIclInfo.Span, new float[2]));
    }
}
