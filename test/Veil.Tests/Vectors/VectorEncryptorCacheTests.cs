using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Vectors;

/// <summary>The derived-key cache of <see cref="VectorOperations"/>: least recently used tenants go first.</summary>
public class VectorEncryptorCacheTests
{
    [Fact]
    public void GetEncryptor_WhenManyMoreTenantsPassThanTheCacheHolds_KeepsTheOneInUseAndDropsTheOldest()
    {
        using var fixture = new VectorFixture();
        VectorOperations vectors = fixture.Client.Vector;
        VectorEncryptor hot = vectors.GetEncryptor("vec", "model", "hot");
        VectorEncryptor firstCold = vectors.GetEncryptor("vec", "model", "cold-0");

        // 10 000 other tenants pass through a cache of 4 096, while "hot" keeps being used.
        for (int i = 1; i < 10_000; i++)
        {
            _ = vectors.GetEncryptor("vec", "model", $"cold-{i}");
            if (i % 100 == 0)
            {
                Assert.Same(hot, vectors.GetEncryptor("vec", "model", "hot"));
            }
        }

        Assert.Same(hot, vectors.GetEncryptor("vec", "model", "hot"));
        Assert.Same(vectors.GetEncryptor("vec", "model", "cold-9999"), vectors.GetEncryptor("vec", "model", "cold-9999"));
        VectorEncryptor again = vectors.GetEncryptor("vec", "model", "cold-0");
        Assert.NotSame(firstCold, again);

        // The re-derived encryptor is the same key: it decrypts what the evicted one encrypted.
        float[] plaintext = [0.25f, -0.5f, 0.125f, 0.75f];
        EncryptedVector encrypted = firstCold.Encrypt(plaintext);
        Assert.Equal(plaintext, again.Decrypt(encrypted), (a, b) => Math.Abs(a - b) <= 1e-6f);
    }

    [Fact]
    public void GetEncryptor_WhenCalledFromManyThreadsAcrossEvictions_ReturnsWorkingEncryptors()
    {
        using var fixture = new VectorFixture();
        VectorOperations vectors = fixture.Client.Vector;
        float[] plaintext = [0.25f, -0.5f, 0.125f, 0.75f];

        Parallel.For(0, 12_000, i =>
        {
            VectorEncryptor encryptor = vectors.GetEncryptor("vec", "model", $"tenant-{i % 6_000}");
            if (i % 500 == 0)
            {
                Assert.Equal(plaintext, encryptor.Decrypt(encryptor.Encrypt(plaintext)), (a, b) => Math.Abs(a - b) <= 1e-6f);
            }
        });
    }
}
