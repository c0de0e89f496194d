using System.Security.Cryptography;
using System.Text.Json;
using Veil.Insecure;
using Veil.Keys;
using Veil.Randomness;
using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Vectors;

/// <summary>Alloy's published known answers (spec §5.1–5.7) and the two Alloy-generated encryptions (d = 17, 384).</summary>
public class VectorKnownAnswerTests
{
    [Fact]
    public void DeriveSha512_WhenAlloyKeyDerivationVector_MatchesAndSplitsIntoScalingFactorAndKey()
    {
        using var secret = new Secret(new byte[32]);
        var hash = new byte[64];
        TenantKeyDerivation.DeriveSha512(secret, TestIds.Tenant, new DerivationPath("somesalt"), hash);
        byte[] expected =
        [
            82, 186, 45, 83, 222, 56, 178, 42, 61, 227, 197, 219, 58, 108, 227, 124, 186, 43, 149, 126, 147, 7, 251, 173, 250, 201,
            142, 180, 213, 120, 13, 80, 15, 151, 154, 116, 33, 229, 191, 200, 97, 74, 54, 48, 196, 84, 213, 202, 84, 12, 202, 225,
            20, 18, 2, 102, 76, 165, 48, 52, 134, 76, 87, 250,
        ];
        Assert.Equal(expected, hash);

        using VectorEncryptionKey key = VectorEncryptionKey.Derive(secret, TestIds.Tenant, new DerivationPath("somesalt"));
        Assert.Equal(5421613.0f, key.ScalingFactor);
        Assert.Equal(expected[3..35], key.Key.ToArray());
    }

    [Fact]
    public void HmacSha256_WhenEmptyKey_MatchesAlloyVector()
    {
        byte[] expected = [61, 122, 251, 102, 49, 36, 236, 191, 44, 149, 63, 134, 61, 79, 200, 121, 110, 235, 45, 55, 43, 100, 170, 213, 134, 151, 236, 82, 100, 100, 156, 219];
        Assert.Equal(expected, HMACSHA256.HashData([], [1]));
    }

    [Fact]
    public void SeedFromU64_WhenSeedOne_MatchesRandCoreSeedAndStream()
    {
        var seed = new byte[32];
        SeedFromU64.Expand(1, seed);
        Assert.Equal("ead81d725d26104e899c3bf842ce782ebad303da9997d2c2120256ac7366fb1b", Convert.ToHexStringLower(seed));

        var bytes = new byte[36];
        new SeededRandomSource(1).Fill(bytes);
        Assert.Equal(new byte[] { 154, 55, 68, 80, 69, 96, 99, 158, 198, 112, 183, 161 }, bytes[..12]);
        Assert.Equal(TestData.AlloyTestKey, bytes[4..36]);
    }

    [Fact]
    public void ComputePermutation_WhenAlloyShuffleVector_ReordersInKnownWay()
    {
        Assert.Equal(
            "01ee1d044a6519460b960589e8a2767d566a1828909f873b1609c049bd13741f",
            Convert.ToHexStringLower(HMACSHA256.HashData(TestData.AlloyTestKey, DimensionShuffle.ShuffleLabel.ToArray())));

        float[] input = [0.1f, -0.3f, 0.5f, -1.9f, -100.0f, -1.0f, 30.0f, -99.0f];
        int[] permutation = DimensionShuffle.ComputePermutation(TestData.AlloyTestKey, input.Length);
        Assert.Equal([1, 6, 0, 3, 2, 4, 5, 7], permutation);

        var output = new float[input.Length];
        DimensionShuffle.Apply(permutation, input, output);
        Assert.Equal([-0.3f, 30.0f, 0.1f, -1.9f, 0.5f, -100.0f, -1.0f, -99.0f], output);

        var back = new float[input.Length];
        DimensionShuffle.Invert(permutation, output, back);
        Assert.Equal(input, back);
    }

    [Fact]
    public void TryEncrypt_WhenAlloyCoreVector_MatchesCiphertextTagAndIntermediates()
    {
        // crypto::encrypt directly: s = 1235, K from §5.2, β = 2.236, scaling on, no shuffle, IV from seed 1.
        using VectorEncryptionKey key = VectorEncryptionKey.Create(1235.0f, TestData.AlloyTestKey);
        var parameters = new VectorParameters(2.236f, UseScalingFactor: true);
        var iv = new byte[12];
        new SeededRandomSource(1).Fill(iv);
        Assert.Equal(new byte[] { 154, 55, 68, 80, 69, 96, 99, 158, 198, 112, 183, 161 }, iv);
        Assert.Equal("19d82170928726e3c6b8a8faebc2fa2fe3996072535f00f3016be4ae780f5268", Convert.ToHexStringLower(HMACSHA256.HashData(TestData.AlloyTestKey, iv)));

        var lambda = new float[5];
        Perturbation.Generate(HMACSHA256.HashData(TestData.AlloyTestKey, iv), parameters.Radius(key), lambda);
        // The spec prints λ to 7–8 significant digits (-72.86337 for -72.863365), so compare within one ulp; the
        // ciphertext and tag below are exact.
        float[] expectedLambda = [180.01251f, 494.8154f, 201.96034f, -237.33954f, -72.86337f];
        Assert.All(Enumerable.Range(0, 5), i => Assert.InRange(TestData.Ulps(expectedLambda[i], lambda[i]), 0, 1));

        float[] plaintext = [1, 2, 3, 4, 5];
        var ciphertext = new float[5];
        var tag = new byte[32];
        Assert.True(ScaleAndPerturb.TryEncrypt(key, parameters, [0, 1, 2, 3, 4], plaintext, iv, ciphertext, tag));
        Assert.Equal([1415.012451171875f, 2964.8154296875f, 3906.96044921875f, 4702.66064453125f, 6102.13671875f], ciphertext);
        Assert.Equal(new byte[] { 217, 138, 3, 49, 185, 112, 93, 193, 40, 13, 87, 35, 129, 35, 135, 150, 118, 42, 135, 181, 146, 137, 232, 138, 133, 160, 29, 212, 161, 205, 52, 246 }, tag);
    }

    [Fact]
    public void Encrypt_WhenAlloyFullStandaloneVector_MatchesCiphertextAndPairedIclInfo()
    {
        using var secret = new Secret(TestData.AlloyTestKey);
        var config = new VeilConfiguration(vector: TestData.VectorSection(
            "secret_path",
            new VectorSecret(4.0f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret)), useScalingFactor: true)));
        using VeilClient client = InsecureSeededClient.Create(config, 1);

        VectorEncryptor encryptor = client.Vector.GetEncryptor(new SecretPath("secret_path"), new DerivationPath("deriv_path"), new TenantId("foo"));
        Assert.Equal(15281143.0f, encryptor.Key.ScalingFactor);
        Assert.Equal("4556055ac5f20efc94d6467b97adca2b21a744929bf2d63d741be276e7ca615f", Convert.ToHexStringLower(encryptor.Key.Key));
        Assert.Equal([0, 2, 4, 1, 3], encryptor.Key.GetPermutation(5));

        EncryptedVector encrypted = client.Vector.Encrypt([1f, 2f, 3f, 4f, 5f], new SecretPath("secret_path"), new DerivationPath("deriv_path"), new TenantId("foo"));
        Assert.Equal([13681085.0f, 42081104.0f, 82401560.0f, 19847844.0f, 60127316.0f], encrypted.Ciphertext.ToArray());
        byte[] expectedInfo =
        [
            0, 0, 0, 1, 129, 0, 10, 12, 154, 55, 68, 80, 69, 96, 99, 158, 198, 112, 183, 161, 18, 32, 125, 78, 5, 108, 187, 19, 103,
            206, 124, 199, 184, 212, 208, 35, 61, 45, 6, 130, 55, 85, 125, 210, 5, 126, 145, 45, 240, 250, 63, 45, 168, 104,
        ];
        Assert.Equal(expectedInfo, encrypted.PairedIclInfo.ToArray());

        float[] decrypted = client.Vector.Decrypt(encrypted, new TenantId("foo"));
        Assert.Equal([1f, 2f, 3.0000002f, 4f, 5f], decrypted);
    }

    [Fact]
    public void Encrypt_WhenCrossLanguageSeededVectorWithoutScaling_MatchesPythonJavaKotlinAnswer()
    {
        using var current = new Secret(TestData.CrossLanguageSecretBytes);
        using var inRotation = new Secret(TestData.CrossLanguageSecretBytes);
        var config = new VeilConfiguration(vector: TestData.VectorSection(
            string.Empty,
            new VectorSecret(1.1f, new RotatableSecret(new IdentifiedSecret(new KeyId(2), current), new IdentifiedSecret(new KeyId(1), inRotation)))));
        using VeilClient client = InsecureSeededClient.Create(config, 1);

        VectorEncryptor encryptor = client.Vector.GetEncryptor(new SecretPath(string.Empty), new DerivationPath(string.Empty), TestIds.Tenant);
        Assert.Equal(5122795.0f, encryptor.Key.ScalingFactor);
        Assert.Equal("f6c9d1701900c2ca63fe4ecf5fe47bb7bfb2d236bb6cd57a66115d188babb403", Convert.ToHexStringLower(encryptor.Key.Key));

        EncryptedVector encrypted = client.Vector.Encrypt([0.1f, -0.2f], new SecretPath(string.Empty), new DerivationPath(string.Empty), TestIds.Tenant);
        Assert.Equal([(float)0.1299239844083786, (float)-0.3532053828239441], encrypted.Ciphertext.ToArray());
        Assert.Equal(new KeyId(2), encrypted.KeyId);
    }

    public static TheoryData<string> AlloyGeneratedCases()
    {
        var data = new TheoryData<string>();
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestData.VectorFile("alloy-generated-vectors.json")));
        foreach (JsonElement testCase in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(testCase.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AlloyGeneratedCases))]
    public void Encrypt_WhenAlloyGeneratedCase_MatchesBitForBitAndRoundTrips(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestData.VectorFile("alloy-generated-vectors.json")));
        JsonElement c = document.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        byte[] secretBytes = c.TryGetProperty("secret_ascii", out JsonElement ascii)
            ? System.Text.Encoding.ASCII.GetBytes(ascii.GetString()!)
            : Convert.FromHexString(c.GetProperty("secret_hex").GetString()!);
        using var secret = new Secret(secretBytes);
        string secretPath = c.GetProperty("secret_path").GetString()!;
        var config = new VeilConfiguration(vector: TestData.VectorSection(
            secretPath,
            new VectorSecret(
                c.GetProperty("approximation_factor").GetSingle(),
                new RotatableSecret(new IdentifiedSecret(new KeyId(c.GetProperty("secret_id").GetUInt32()), secret)),
                c.GetProperty("use_scaling_factor").GetBoolean())));
        using VeilClient client = InsecureSeededClient.Create(config, c.GetProperty("seed").GetInt32());
        float[] plaintext = c.GetProperty("plaintext").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        float[] expected = c.GetProperty("encrypted_vector").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        string tenant = c.GetProperty("tenant_id").GetString()!;
        string derivationPath = c.GetProperty("derivation_path").GetString()!;

        EncryptedVector encrypted = client.Vector.Encrypt(plaintext, new SecretPath(secretPath), new DerivationPath(derivationPath), new TenantId(tenant));

        Assert.Equal(expected, encrypted.Ciphertext.ToArray());
        Assert.Equal(c.GetProperty("paired_icl_info_b64").GetString(), Convert.ToBase64String(encrypted.PairedIclInfo.Span));
        float[] decrypted = client.Vector.Decrypt(encrypted, new TenantId(tenant));
        Assert.All(Enumerable.Range(0, plaintext.Length), i => Assert.True(TestData.Ulps(plaintext[i], decrypted[i]) <= 4 || Math.Abs(plaintext[i] - decrypted[i]) < 1e-6f));
    }
}
