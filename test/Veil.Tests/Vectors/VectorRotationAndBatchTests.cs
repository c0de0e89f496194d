using Veil.Formats;
using Veil.Keys;
using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Vectors;

public class VectorRotationAndBatchTests
{
    [Fact]
    public void GenerateQueryVectors_WhenCurrentAndInRotation_ReturnsOnePerLiveKeyCurrentFirst()
    {
        using var fixture = new VectorFixture();
        float[] query = [0.3f, -0.1f, 0.7f, 0.2f];
        IReadOnlyList<QueryVector> queries = fixture.Client.Vector.GenerateQueryVectors(query, TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Assert.Equal([new KeyId(2), new KeyId(1)], queries.Select(q => q.KeyId));

        // Each query lands within β/2 of the stored vector encrypted under the same key.
        EncryptedVector stored = fixture.Client.Vector.Encrypt(query, TestIds.Vec, TestIds.Model, TestIds.Tenant);
        using VeilClient old = fixture.OldOnlyClient();
        EncryptedVector storedOld = old.Vector.Encrypt(query, TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Assert.InRange(Distance(queries[0].Ciphertext.Span, stored.Ciphertext.Span), 0, 1.25 * (1 + 1e-5));
        Assert.InRange(Distance(queries[1].Ciphertext.Span, storedOld.Ciphertext.Span), 0, 1.25 * (1 + 1e-5));
    }

    [Fact]
    public void Rotate_WhenAlreadyCurrentAndSameTenant_ReturnsInputUnchanged()
    {
        using var fixture = new VectorFixture();
        EncryptedVector encrypted = fixture.Client.Vector.Encrypt([0.5f, 0.25f], TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Assert.Same(encrypted, fixture.Client.Vector.Rotate(encrypted, TestIds.Tenant));
    }

    [Fact]
    public void Rotate_WhenInRotationKey_MovesToCurrentWithSmallDrift()
    {
        using var fixture = new VectorFixture();
        using VeilClient old = fixture.OldOnlyClient();
        float[] plaintext = [0.5f, 0.25f, -0.125f];
        EncryptedVector encrypted = old.Vector.Encrypt(plaintext, TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Assert.Equal(new KeyId(1), encrypted.KeyId);
        Assert.True(encrypted.PairedIclInfo.Span.StartsWith(fixture.Client.Vector.GetInRotationPrefix(TestIds.Vec)));

        EncryptedVector rotated = fixture.Client.Vector.Rotate(encrypted, TestIds.Tenant);
        Assert.Equal(new KeyId(2), rotated.KeyId);
        float[] decrypted = fixture.Client.Vector.Decrypt(rotated, TestIds.Tenant);
        Assert.All(plaintext.Zip(decrypted), p => TestData.AssertClose(p.First, p.Second));
        Assert.Throws<KeyNotAvailableException>(() => old.Vector.Decrypt(rotated, TestIds.Tenant));
    }

    [Fact]
    public void Rotate_WhenNewTenant_OnlyNewTenantDecrypts()
    {
        using var fixture = new VectorFixture();
        EncryptedVector encrypted = fixture.Client.Vector.Encrypt([0.5f, 0.25f], TestIds.Vec, TestIds.Model, TestIds.TenantA);
        EncryptedVector moved = fixture.Client.Vector.Rotate(encrypted, TestIds.TenantA, TestIds.TenantB);
        TestData.AssertClose(0.5f, fixture.Client.Vector.Decrypt(moved, TestIds.TenantB)[0]);
        Assert.Throws<System.Security.Cryptography.AuthenticationTagMismatchException>(() => fixture.Client.Vector.Decrypt(moved, TestIds.TenantA));
    }

    [Fact]
    public void GetInRotationPrefix_WhenZ85Encoded_MatchesAlloyHelper()
    {
        Assert.Equal("001nK00", Z85.EncodePrefix([0, 0, 36, 10, 0, 0]));
        Assert.Equal("%nSc000", Z85.EncodePrefix([255, 255, 255, 255, 0, 0]));
        using var fixture = new VectorFixture();
        Assert.Equal(new byte[] { 0, 0, 0, 1, 0x81, 0 }, fixture.Client.Vector.GetInRotationPrefix(TestIds.Vec));
        Assert.Equal(Z85.EncodePrefix([0, 0, 0, 1, 0x81, 0]), fixture.Client.Vector.GetInRotationPrefixZ85(TestIds.Vec));
        Assert.StartsWith(
            fixture.Client.Vector.GetInRotationPrefixZ85(TestIds.Vec),
            Z85.Encode([.. fixture.OldOnlyClient().Vector.Encrypt([0.5f], TestIds.Vec, new DerivationPath("m"), new TenantId("t")).PairedIclInfo.Span[..52].ToArray()]),
            StringComparison.Ordinal);
        using var noRotation = new VectorFixture(inRotation: false);
        Assert.Throws<KeyNotAvailableException>(() => noRotation.Client.Vector.GetInRotationPrefix(TestIds.Vec));
    }

    [Fact]
    public void EncryptBatch_WhenOneVectorBad_OthersSucceedInInputOrder()
    {
        using var fixture = new VectorFixture();
        ReadOnlyMemory<float>[] inputs = [new[] { 0.1f, 0.2f }, new[] { float.NaN, 0.2f }, new[] { 0.3f, 0.4f }];
        BatchResult<EncryptedVector> result = fixture.Client.Vector.EncryptBatch(inputs, TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Assert.Equal(2, result.SuccessCount);
        Assert.Equal(1, result.FailureCount);
        Assert.False(result[1].IsSuccess);
        Assert.IsType<ArgumentException>(result[1].Error);

        BatchResult<float[]> decrypted = fixture.Client.Vector.DecryptBatch([result[0].Value!, result[2].Value!], TestIds.Tenant);
        TestData.AssertClose(0.1f, decrypted[0].Value![0]);
        TestData.AssertClose(0.3f, decrypted[1].Value![0]);
    }

    [Fact]
    public void EncryptBatch_WhenSeeded_IsDeterministicAndDrawsIvsInInputOrder()
    {
        ReadOnlyMemory<float>[] inputs = Enumerable.Range(0, 300).Select(i => (ReadOnlyMemory<float>)new[] { i / 300f, 1 - (i / 300f), 0.5f }).ToArray();
        using var a = new VectorFixture(seed: 7);
        using var b = new VectorFixture(seed: 7);
        BatchResult<EncryptedVector> batch = a.Client.Vector.EncryptBatch(inputs, TestIds.Vec, TestIds.Model, TestIds.Tenant);
        EncryptedVector[] oneByOne = inputs.Select(v => b.Client.Vector.Encrypt(v.Span, TestIds.Vec, TestIds.Model, TestIds.Tenant)).ToArray();
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(oneByOne[i].Ciphertext.ToArray(), batch[i].Value!.Ciphertext.ToArray());
            Assert.Equal(oneByOne[i].PairedIclInfo.ToArray(), batch[i].Value!.PairedIclInfo.ToArray());
        }
    }

    [Fact]
    public void OneWayAndQueryBatches_WhenSeeded_EqualOneAtATimeInInputOrder()
    {
        ReadOnlyMemory<float>[] inputs = Enumerable.Range(0, 100).Select(i => (ReadOnlyMemory<float>)new[] { i / 100f, 0.5f }).ToArray();
        using var a = new VectorFixture(seed: 3);
        using var b = new VectorFixture(seed: 3);
        BatchResult<float[]> oneWay = a.Client.Vector.EncryptOneWayBatch(inputs, TestIds.Vec, TestIds.Model, TestIds.Tenant);
        BatchResult<IReadOnlyList<QueryVector>> queries = a.Client.Vector.GenerateQueryVectorsBatch(inputs, TestIds.Vec, TestIds.Model, TestIds.Tenant);
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(b.Client.Vector.EncryptOneWay(inputs[i].Span, TestIds.Vec, TestIds.Model, TestIds.Tenant), oneWay[i].Value);
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            IReadOnlyList<QueryVector> expected = b.Client.Vector.GenerateQueryVectors(inputs[i].Span, TestIds.Vec, TestIds.Model, TestIds.Tenant);
            Assert.Equal(expected.Select(q => q.Ciphertext.ToArray()), queries[i].Value!.Select(q => q.Ciphertext.ToArray()));
        }
    }

    [Fact]
    public void SpanBatch_WhenRowsEncryptedAndDecrypted_MatchesSingleCallsAndReportsBadRows()
    {
        using var fixture = new VectorFixture();
        VectorEncryptor encryptor = fixture.Client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        const int d = 24, rows = 500;
        float[] plaintexts = Enumerable.Range(0, d * rows).Select(i => MathF.Cos(i) / 4).ToArray();
        plaintexts[(d * 123) + 5] = float.PositiveInfinity;
        var ciphertexts = new float[d * rows];
        var infos = new byte[rows * VectorEncryptor.PairedIclInfoLength];

        bool[] encrypted = encryptor.EncryptBatch(d, plaintexts, ciphertexts, infos);
        Assert.Equal(rows - 1, encrypted.Count(ok => ok));
        Assert.False(encrypted[123]);

        var decrypted = new float[d * rows];
        bool[] ok = encryptor.TryDecryptBatch(d, ciphertexts, infos, decrypted);
        Assert.False(ok[123]);
        for (int row = 0; row < rows; row++)
        {
            if (row != 123)
            {
                Assert.True(ok[row]);
                TestData.AssertClose(plaintexts[row * d], decrypted[row * d]);
            }
        }
    }

    [Fact]
    public void RotateBatch_WhenMixedKeys_RotatesOldAndKeepsCurrent()
    {
        using var fixture = new VectorFixture();
        using VeilClient old = fixture.OldOnlyClient();
        EncryptedVector current = fixture.Client.Vector.Encrypt([0.1f], TestIds.Vec, TestIds.Model, TestIds.Tenant);
        EncryptedVector stale = old.Vector.Encrypt([0.2f], TestIds.Vec, TestIds.Model, TestIds.Tenant);
        BatchResult<EncryptedVector> rotated = fixture.Client.Vector.RotateBatch([current, stale], TestIds.Tenant);
        Assert.Same(current, rotated[0].Value);
        Assert.Equal(new KeyId(2), rotated[1].Value!.KeyId);
    }

    private static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (double)(a[i] - b[i]) * (a[i] - b[i]);
        }

        return Math.Sqrt(sum);
    }
}
