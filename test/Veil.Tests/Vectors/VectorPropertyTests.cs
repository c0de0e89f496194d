using CsCheck;
using Veil.Tests.Support;
using Veil.Vectors;
using Veil.Keys;

namespace Veil.Tests.Vectors;

public class VectorPropertyTests
{
    private static readonly Gen<float[]> s_vectors = Gen.Int[1, 200].SelectMany(d => Gen.Float[-1f, 1f].Array[d]);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Decrypt_WhenAnyVector_RoundTripsWithinRoundingOfTheNoise(bool scaling)
    {
        using var fixture = new VectorFixture(beta: 2.5f, scaling: scaling);
        VectorEncryptor encryptor = fixture.Client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        s_vectors.Sample(plaintext =>
        {
            EncryptedVector encrypted = encryptor.Encrypt(plaintext);
            float[] decrypted = encryptor.Decrypt(encrypted);

            // c = s·m + λ loses the bits of m below ulp(|s·m| + |λ|); in plaintext units that is about ulp(|m| + β/4).
            for (int i = 0; i < plaintext.Length; i++)
            {
                float magnitude = Math.Abs(plaintext[i]) + (2.5f / 4f);
                float tolerance = 4 * (MathF.BitIncrement(magnitude) - magnitude);
                Assert.InRange(Math.Abs(decrypted[i] - plaintext[i]), 0f, tolerance);
            }
        });
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(2.5f)]
    [InlineData(7.2f)]
    public void Encrypt_WhenZeroVector_NoiseLiesInBallOfRadiusBetaOverFour(float beta)
    {
        using var fixture = new VectorFixture(beta: beta);
        VectorEncryptor encryptor = fixture.Client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Gen.Int[1, 400].Sample(d =>
        {
            // With scaling off and m = 0, the ciphertext is λ itself.
            float[] lambda = encryptor.EncryptOneWay(new float[d]);
            double norm = Math.Sqrt(lambda.Sum(v => (double)v * v));
            Assert.InRange(norm, 0, (beta / 4) * (1 + 1e-5));
        });
    }

    [Fact]
    public void Encrypt_WhenSameVectorTwice_GivesDifferentCiphertextsWithinBetaOverTwo()
    {
        using var fixture = new VectorFixture(beta: 2.5f);
        VectorEncryptor encryptor = fixture.Client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        s_vectors.Sample(plaintext =>
        {
            float[] a = encryptor.Encrypt(plaintext).Ciphertext.ToArray();
            float[] b = encryptor.EncryptOneWay(plaintext);
            Assert.NotEqual(a, b);
            double distance = Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());
            Assert.InRange(distance, 0, (2.5 / 2) * (1 + 1e-5));
        });
    }

    [Fact]
    public void TryDecrypt_WhenAnySingleBitFlipped_Rejects()
    {
        using var fixture = new VectorFixture();
        VectorEncryptor encryptor = fixture.Client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        float[] plaintext = Enumerable.Range(0, 16).Select(i => (i - 8) / 10f).ToArray();
        EncryptedVector encrypted = encryptor.Encrypt(plaintext);
        var output = new float[16];
        Assert.True(encryptor.TryDecrypt(encrypted.Ciphertext.Span, encrypted.PairedIclInfo.Span, output));

        byte[] info = encrypted.PairedIclInfo.ToArray();
        for (int bit = 0; bit < info.Length * 8; bit++)
        {
            byte[] tampered = (byte[])info.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(encryptor.TryDecrypt(encrypted.Ciphertext.Span, tampered, output), $"info bit {bit}");
            Assert.All(output, v => Assert.Equal(0f, v));
        }

        float[] ciphertext = encrypted.Ciphertext.ToArray();
        for (int bit = 0; bit < ciphertext.Length * 32; bit++)
        {
            float[] tampered = (float[])ciphertext.Clone();
            tampered[bit / 32] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(tampered[bit / 32]) ^ (1 << (bit % 32)));
            Assert.False(encryptor.TryDecrypt(tampered, info, output), $"ciphertext bit {bit}");
        }
    }

    [Fact]
    public void Decrypt_WhenOtherTenantPathOrKeyId_Fails()
    {
        using var fixture = new VectorFixture();
        VectorOperations vectors = fixture.Client.Vector;
        EncryptedVector encrypted = vectors.Encrypt([0.1f, 0.2f, 0.3f], TestIds.Vec, TestIds.Model, TestIds.Tenant);

        Assert.Throws<System.Security.Cryptography.AuthenticationTagMismatchException>(() => vectors.Decrypt(encrypted, new TenantId("other-tenant")));
        var otherPath = new EncryptedVector(encrypted.Ciphertext, encrypted.PairedIclInfo, TestIds.Vec, new DerivationPath("other-model"));
        Assert.Throws<System.Security.Cryptography.AuthenticationTagMismatchException>(() => vectors.Decrypt(otherPath, TestIds.Tenant));

        // Key id 1 is the in-rotation secret: its key does not verify a vector made with secret 2.
        byte[] relabelled = encrypted.PairedIclInfo.ToArray();
        relabelled[3] = 1;
        Assert.Throws<System.Security.Cryptography.AuthenticationTagMismatchException>(() => vectors.Decrypt(new EncryptedVector(encrypted.Ciphertext, relabelled, TestIds.Vec, TestIds.Model), TestIds.Tenant));

        relabelled[3] = 9;
        KeyNotAvailableException missing = Assert.Throws<KeyNotAvailableException>(() => vectors.Decrypt(new EncryptedVector(encrypted.Ciphertext, relabelled, TestIds.Vec, TestIds.Model), TestIds.Tenant));
        Assert.Equal(new Keys.KeyId(9), missing.KeyId);
    }
}
