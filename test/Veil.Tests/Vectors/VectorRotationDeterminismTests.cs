using Veil.Randomness;
using Veil.Tests.Support;
using Veil.Vectors;
using Veil.Keys;

namespace Veil.Tests.Vectors;

/// <summary>
/// Issue 14 §2: rotating one stored ciphertext many times must not give fresh noise each time, or the outputs average
/// to the noiseless ciphertext. Outside the seeded test mode the new IV is derived from the stored paired ICL info and
/// the target key.
/// </summary>
public class VectorRotationDeterminismTests
{
    private const int Dimensions = 64;

    [Fact]
    public void Rotate_WhenOneCiphertextIsRotatedAHundredTimesAndAveraged_GivesOneOutputAndAveragingGainsNothing()
    {
        using var fixture = new VectorFixture();
        using VeilClient old = fixture.OldOnlyClient();
        float[] plaintext = UnitVector(seed: 1);
        EncryptedVector stored = old.Vector.Encrypt(plaintext, TestIds.Vec, TestIds.Model, TestIds.Tenant);

        // The attack: rotate the same stored ciphertext 100 times during the rotation window, average the outputs.
        EncryptedVector[] rotated = [.. Enumerable.Range(0, 100).Select(_ => fixture.Client.Vector.Rotate(stored, TestIds.Tenant))];
        float[] average = Average(rotated.Select(r => r.Ciphertext.ToArray()));

        Assert.All(rotated, r =>
        {
            Assert.Equal(rotated[0].Ciphertext.ToArray(), r.Ciphertext.ToArray());
            Assert.Equal(rotated[0].PairedIclInfo.ToArray(), r.PairedIclInfo.ToArray());
        });
        float[] noiseless = Noiseless(fixture, plaintext);
        Assert.Equal(Distance(rotated[0].Ciphertext.Span, noiseless), Distance(average, noiseless), 5);
        Assert.Equal(plaintext, fixture.Client.Vector.Decrypt(rotated[0], TestIds.Tenant), (a, b) => Math.Abs(a - b) <= 1e-5f);

        // The same measurement detects averaging where the noise is fresh (100 encryptions): the test can fail.
        float[] fresh = Average(Enumerable.Range(0, 100).Select(_ => fixture.Client.Vector.Encrypt(plaintext, TestIds.Vec, TestIds.Model, TestIds.Tenant).Ciphertext.ToArray()));
        Assert.True(Distance(fresh, noiseless) < Distance(rotated[0].Ciphertext.Span, noiseless) / 4);
    }

    [Fact]
    public void Rotate_WhenTheStoredInfoIsReencodedWithExtraProtobufFields_StillGivesTheSameOutput()
    {
        using var fixture = new VectorFixture();
        using VeilClient old = fixture.OldOnlyClient();
        EncryptedVector stored = old.Vector.Encrypt(UnitVector(seed: 2), TestIds.Vec, TestIds.Model, TestIds.Tenant);

        // The parser skips unknown fields, so an attacker can vary the encoding of one ciphertext's info.
        byte[][] variants =
        [
            [.. stored.PairedIclInfo.Span, 0x18, 0x01],
            [.. stored.PairedIclInfo.Span, 0x18, 0x02],
            [.. stored.PairedIclInfo.Span, 0x22, 0x00],
        ];
        EncryptedVector expected = fixture.Client.Vector.Rotate(stored, TestIds.Tenant);
        foreach (byte[] info in variants)
        {
            EncryptedVector rotated = fixture.Client.Vector.Rotate(new EncryptedVector(stored.Ciphertext, info, TestIds.Vec, TestIds.Model), TestIds.Tenant);
            Assert.Equal(expected.Ciphertext.ToArray(), rotated.Ciphertext.ToArray());
            Assert.Equal(expected.PairedIclInfo.ToArray(), rotated.PairedIclInfo.ToArray());
        }
    }

    [Fact]
    public void Rotate_WhenMovedToAnotherTenant_IsDeterministicPerTargetTenant()
    {
        using var fixture = new VectorFixture();
        float[] plaintext = UnitVector(seed: 3);
        EncryptedVector stored = fixture.Client.Vector.Encrypt(plaintext, TestIds.Vec, TestIds.Model, TestIds.TenantA);

        EncryptedVector toB = fixture.Client.Vector.Rotate(stored, TestIds.TenantA, TestIds.TenantB);
        EncryptedVector toBAgain = fixture.Client.Vector.Rotate(stored, TestIds.TenantA, TestIds.TenantB);
        EncryptedVector toC = fixture.Client.Vector.Rotate(stored, TestIds.TenantA, new TenantId("tenant-c"));

        Assert.Equal(toB.Ciphertext.ToArray(), toBAgain.Ciphertext.ToArray());
        Assert.Equal(toB.PairedIclInfo.ToArray(), toBAgain.PairedIclInfo.ToArray());
        Assert.NotEqual(Iv(toB), Iv(toC));
        Assert.Equal(plaintext, fixture.Client.Vector.Decrypt(toB, TestIds.TenantB), (a, b) => Math.Abs(a - b) <= 1e-5f);
        Assert.Equal(plaintext, fixture.Client.Vector.Decrypt(toC, new TenantId("tenant-c")), (a, b) => Math.Abs(a - b) <= 1e-5f);
    }

    [Fact]
    public void Rotate_WhenTwoStoredCiphertextsHoldTheSameVector_GivesUnrelatedOutputs()
    {
        using var fixture = new VectorFixture();
        using VeilClient old = fixture.OldOnlyClient();
        float[] plaintext = UnitVector(seed: 4);
        EncryptedVector first = fixture.Client.Vector.Rotate(old.Vector.Encrypt(plaintext, TestIds.Vec, TestIds.Model, TestIds.Tenant), TestIds.Tenant);
        EncryptedVector second = fixture.Client.Vector.Rotate(old.Vector.Encrypt(plaintext, TestIds.Vec, TestIds.Model, TestIds.Tenant), TestIds.Tenant);

        Assert.NotEqual(Iv(first), Iv(second));
        Assert.NotEqual(first.Ciphertext.ToArray(), second.Ciphertext.ToArray());
        Assert.Equal(plaintext, fixture.Client.Vector.Decrypt(second, TestIds.Tenant), (a, b) => Math.Abs(a - b) <= 1e-5f);
    }

    [Fact]
    public void RotateBatch_WhenRunTwice_GivesTheSameOutputsAsSingleRotations()
    {
        using var fixture = new VectorFixture();
        using VeilClient old = fixture.OldOnlyClient();
        EncryptedVector[] stored = [.. Enumerable.Range(0, 200).Select(i => old.Vector.Encrypt(UnitVector(seed: 10 + i), TestIds.Vec, TestIds.Model, TestIds.Tenant))];
        BatchResult<EncryptedVector> once = fixture.Client.Vector.RotateBatch(stored, TestIds.Tenant);
        BatchResult<EncryptedVector> twice = fixture.Client.Vector.RotateBatch(stored, TestIds.Tenant);
        for (int i = 0; i < stored.Length; i++)
        {
            Assert.Equal(once[i].Value!.Ciphertext.ToArray(), twice[i].Value!.Ciphertext.ToArray());
            Assert.Equal(fixture.Client.Vector.Rotate(stored[i], TestIds.Tenant).PairedIclInfo.ToArray(), once[i].Value!.PairedIclInfo.ToArray());
        }
    }

    [Fact]
    public void Rotate_WhenSeeded_DrawsItsIvFromTheSeededStreamAsAlloy()
    {
        using var fixture = new VectorFixture(seed: 5);
        using var same = new VectorFixture(seed: 5);
        using VeilClient old = fixture.OldOnlyClient();
        EncryptedVector stored = old.Vector.Encrypt(UnitVector(seed: 5), TestIds.Vec, TestIds.Model, TestIds.Tenant);

        EncryptedVector first = fixture.Client.Vector.Rotate(stored, TestIds.Tenant);
        EncryptedVector second = fixture.Client.Vector.Rotate(stored, TestIds.Tenant);

        Assert.NotEqual(Iv(first), Iv(second));
        Assert.Equal(first.PairedIclInfo.ToArray(), same.Client.Vector.Rotate(stored, TestIds.Tenant).PairedIclInfo.ToArray());
    }

    private static byte[] Iv(EncryptedVector vector) => vector.PairedIclInfo.Span.Slice(8, 12).ToArray();

    /// <summary>π(m), s = 1: the ciphertext without its noise, which averaging fresh encryptions converges to.</summary>
    private static float[] Noiseless(VectorFixture fixture, float[] plaintext)
    {
        using var vectors = new VectorOperations(fixture.Configuration.Vector, SystemRandomSource.Instance);
        int[] permutation = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant).Key.GetPermutation(plaintext.Length);
        var result = new float[plaintext.Length];
        DimensionShuffle.Apply(permutation, plaintext, result);
        return result;
    }

    private static float[] Average(IEnumerable<float[]> vectors)
    {
        var sum = new double[Dimensions];
        int count = 0;
        foreach (float[] vector in vectors)
        {
            for (int i = 0; i < Dimensions; i++)
            {
                sum[i] += vector[i];
            }

            count++;
        }

        return [.. sum.Select(s => (float)(s / count))];
    }

    private static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double total = 0;
        for (int i = 0; i < a.Length; i++)
        {
            total += (double)(a[i] - b[i]) * (a[i] - b[i]);
        }

        return Math.Sqrt(total);
    }

    private static float[] UnitVector(int seed)
    {
        float[] v = [.. Enumerable.Range(0, Dimensions).Select(i => MathF.Sin((seed * 131) + (i * 7.3f)))];
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }
}
