using System.Security.Cryptography;
using Veil.Keys;
using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Vectors;

/// <summary>
/// A path's dimension and norm limits (<see cref="VectorSecret.Dimensions"/>, <see cref="VectorSecret.MaxNorm"/>): the
/// large-norm query attack of issue 14 reproduced without them and refused with them.
/// </summary>
public class VectorInputLimitTests
{
    private const int D = 384;

    [Fact]
    public void Query_WithoutNormLimit_OneLargeNormQueryRevealsThePermutation_AndItDecryptsStoredVectors()
    {
        using var client = CreateClient(maxNorm: null);
        (float[] stored, EncryptedVector encrypted) = StoredVector(client);

        int[] recovered = RecoverPermutationFromOneQuery(client);

        Assert.True(Cosine(ApplyRecovered(recovered, encrypted.Ciphertext.Span), stored) > 0.8, "the attack should work without a norm limit");
    }

    [Fact]
    public void Query_WithNormLimit_RefusesTheLargeNormQuery_WithoutNamingItsValues()
    {
        using var client = CreateClient(maxNorm: 1.001f);
        float[] probe = LargeNormProbe();

        ArgumentException e = Assert.Throws<ArgumentException>(() => client.Vector.GenerateQueryVectors(probe, TestIds.Vec, TestIds.Model, TestIds.Tenant));
        Assert.Contains("norm", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("3840", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => client.Vector.Encrypt(probe, TestIds.Vec, TestIds.Model, TestIds.Tenant));
        Assert.Throws<ArgumentException>(() => client.Vector.EncryptOneWay(probe, TestIds.Vec, TestIds.Model, TestIds.Tenant));
    }

    [Fact]
    public void Batch_WithNormLimit_FailsTheLargeRowAlone()
    {
        using var client = CreateClient(maxNorm: 1.001f);
        float[] unit = UnitVector(new Random(1));
        BatchResult<EncryptedVector> result = client.Vector.EncryptBatch([unit, LargeNormProbe(), unit], TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Assert.True(result[0].IsSuccess);
        Assert.IsType<ArgumentException>(result[1].Error);
        Assert.True(result[2].IsSuccess);

        VectorEncryptor encryptor = client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        float[] rows = [.. unit, .. LargeNormProbe()];
        var ciphertexts = new float[rows.Length];
        var infos = new byte[2 * VectorEncryptor.PairedIclInfoLength];
        Assert.Equal([true, false], encryptor.EncryptBatch(D, rows, ciphertexts, infos));
        Assert.All(ciphertexts.AsSpan(D).ToArray(), c => Assert.Equal(0f, c));
        Assert.Equal([true, false], encryptor.EncryptOneWayBatch(D, rows, ciphertexts));
    }

    [Fact]
    public void NormLimit_AcceptsUnitVectorsWithRoundingAndRefusesNaN()
    {
        using var client = CreateClient(maxNorm: 1.001f);
        var random = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            float[] unit = UnitVector(random);
            float[] decrypted = client.Vector.Decrypt(client.Vector.Encrypt(unit, TestIds.Vec, TestIds.Model, TestIds.Tenant), TestIds.Tenant);
            Assert.Equal(D, decrypted.Length);
        }

        float[] nan = UnitVector(random);
        nan[3] = float.NaN;
        Assert.Throws<ArgumentException>(() => client.Vector.Encrypt(nan, TestIds.Vec, TestIds.Model, TestIds.Tenant));
    }

    [Fact]
    public void Dimensions_RefuseOtherLengthsInEveryOperation_BeforeAnyKeyWork()
    {
        using var client = CreateClient(maxNorm: null, dimensions: D);
        (_, EncryptedVector encrypted) = StoredVector(client);
        float[] other = new float[D + 1];
        other[0] = 1f;

        Assert.Throws<ArgumentException>(() => client.Vector.Encrypt(other, TestIds.Vec, TestIds.Model, TestIds.Tenant));
        Assert.Throws<ArgumentException>(() => client.Vector.GenerateQueryVectors(other, TestIds.Vec, TestIds.Model, TestIds.Tenant));
        var longer = new EncryptedVector(new float[1_000_000], encrypted.PairedIclInfo, TestIds.Vec, TestIds.Model);
        Assert.ThrowsAny<CryptographicException>(() => client.Vector.Decrypt(longer, TestIds.Tenant));
        Assert.ThrowsAny<CryptographicException>(() => client.Vector.Rotate(longer, TestIds.Tenant, new TenantId("other")));
        VectorEncryptor encryptor = client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Assert.False(encryptor.TryDecrypt(new float[7], encrypted.PairedIclInfo.Span, new float[7]));
        Assert.Throws<ArgumentException>(() => encryptor.EncryptBatch(D + 1, new float[D + 1], new float[D + 1], new byte[VectorEncryptor.PairedIclInfoLength]));
        Assert.Throws<ArgumentException>(() => encryptor.TryDecryptBatch(7, new float[7], new byte[VectorEncryptor.PairedIclInfoLength], new float[7]));
        Assert.Equal(D, encryptor.Dimensions);
    }

    [Fact]
    public void Limits_AreValidated()
    {
        using var secret = Secret.Generate();
        var secrets = new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VectorSecret(2.5f, secrets) { Dimensions = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new VectorSecret(2.5f, secrets) { MaxNorm = float.NaN });
        Assert.Throws<ArgumentOutOfRangeException>(() => new VectorSecret(2.5f, secrets) { MaxNorm = -1f });
        VectorSecret limited = new VectorSecret(2.5f, secrets, useScalingFactor: true).WithLimits(384, 1.001f);
        Assert.Equal((384, 1.001f, true, 2.5f), (limited.Dimensions!.Value, limited.MaxNorm!.Value, limited.UseScalingFactor, limited.ApproximationFactor));
    }

    private static VeilClient CreateClient(float? maxNorm, int? dimensions = null)
    {
        var secret = new Secret(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());
        var vectorSecret = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret))) { MaxNorm = maxNorm, Dimensions = dimensions };
        return new VeilClient(new VeilConfiguration(vector: TestData.VectorSection("vec", vectorSecret)));
    }

    private static (float[] Plaintext, EncryptedVector Encrypted) StoredVector(VeilClient client)
    {
        float[] stored = UnitVector(new Random(42));
        return (stored, client.Vector.Encrypt(stored, TestIds.Vec, TestIds.Model, TestIds.Tenant));
    }

    /// <summary>[10, 20, …, 3840]: its norm drowns the noise, so each ciphertext coordinate names its source index.</summary>
    private static float[] LargeNormProbe() => Enumerable.Range(1, D).Select(i => 10f * i).ToArray();

    private static int[] RecoverPermutationFromOneQuery(VeilClient client)
    {
        ReadOnlyMemory<float> query = client.Vector.GenerateQueryVectors(LargeNormProbe(), TestIds.Vec, TestIds.Model, TestIds.Tenant)[0].Ciphertext;
        return query.ToArray().Select(c => (int)MathF.Round(c / 10f) - 1).ToArray();
    }

    /// <summary>The attacker's estimate of the plaintext: coordinate j of the ciphertext goes back to source index π(j).</summary>
    private static float[] ApplyRecovered(int[] permutation, ReadOnlySpan<float> ciphertext)
    {
        var estimate = new float[ciphertext.Length];
        for (int j = 0; j < ciphertext.Length; j++)
        {
            estimate[permutation[j]] = ciphertext[j];
        }

        return estimate;
    }

    private static float[] UnitVector(Random random)
    {
        float[] v = Enumerable.Range(0, D).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
