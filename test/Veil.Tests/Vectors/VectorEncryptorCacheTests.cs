using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using Veil.Keys;
using Veil.Randomness;
using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Vectors;

/// <summary>
/// The derived-key cache of <see cref="VectorOperations"/>: bounded in bytes, least recently used keys out, evicted keys
/// zeroed once nothing uses them, and safe while many threads add and evict at once.
/// </summary>
public class VectorEncryptorCacheTests
{
    private static readonly float[] s_plaintext = [0.25f, -0.5f, 0.125f, 0.75f];

    [Fact]
    public void GetEncryptor_WhenManyMoreTenantsPassThanTheBudgetHolds_KeepsTheOneInUseAndDropsTheOldest()
    {
        using var fixture = new VectorFixture();
        using VectorOperations vectors = Operations(fixture, keys: 64);
        VectorEncryptor hot = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("hot"));
        VectorEncryptor firstCold = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("cold-0"));

        // 1 000 other tenants pass through a cache that holds about 64 keys, while "hot" keeps being used.
        for (int i = 1; i < 1_000; i++)
        {
            _ = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId($"cold-{i}"));
            if (i % 10 == 0)
            {
                Assert.Same(hot, vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("hot")));
            }

            Assert.InRange(vectors.KeyCache.Bytes, 0, Budget(64));
        }

        Assert.Same(hot, vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("hot")));
        Assert.Same(vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("cold-999")), vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("cold-999")));
        VectorEncryptor again = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("cold-0"));
        Assert.NotSame(firstCold, again);

        // The re-derived encryptor is the same key: it decrypts what the evicted (still held) one encrypts.
        AssertRoundTrip(firstCold, again);
        AssertRoundTrip(again, firstCold);
    }

    /// <summary>
    /// The CI race of issue 14 §6: eviction copied the live ConcurrentDictionary (LINQ's OrderBy → ICollection.CopyTo)
    /// while other threads added to it, and threw ArgumentException. A cache of about four keys evicts on nearly every
    /// call, the threads start together, and every thread mixes held encryptors with leased operations, so a
    /// regression shows on every run.
    /// </summary>
    [Fact]
    public void GetEncryptor_WhenManyThreadsAddAndEvictAtOnce_NeverFailsAndEveryKeyStaysUsable()
    {
        using var fixture = new VectorFixture();
        using VectorOperations vectors = Operations(fixture, keys: 4);
        const int threads = 8, rounds = 12_000, tenantsPerThread = 32;
        string[][] tenants = [.. Enumerable.Range(0, threads).Select(t => Enumerable.Range(0, tenantsPerThread).Select(i => $"t{t}-{i}").ToArray())];
        using var start = new Barrier(threads);
        var failures = new ConcurrentQueue<Exception>();
        Thread[] workers = [.. Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                for (int i = 0; i < rounds; i++)
                {
                    string tenant = tenants[t][i % tenantsPerThread];
                    VectorEncryptor encryptor = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId(tenant));
                    if (i % 16 == 0)
                    {
                        // A held (exposed) encryptor and a leased operation on the same key, across evictions.
                        float[] decrypted = vectors.Decrypt(encryptor.Encrypt(s_plaintext), new TenantId(tenant));
                        Assert.Equal(s_plaintext, decrypted, (a, b) => Math.Abs(a - b) <= 1e-6f);
                    }
                    else if (i % 16 == 8)
                    {
                        Assert.Equal(s_plaintext, encryptor.Decrypt(vectors.Encrypt(s_plaintext, TestIds.Vec, TestIds.Model, new TenantId(tenant))), (a, b) => Math.Abs(a - b) <= 1e-6f);
                    }
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })).ToArray()];
        Array.ForEach(workers, w => w.Start());
        Array.ForEach(workers, w => w.Join());

        Assert.Empty(failures);
        Assert.InRange(vectors.KeyCache.Bytes, 0, Budget(4));
    }

    /// <summary>
    /// The same race at the cache itself, where a miss costs no key derivation: eight threads, started together by a
    /// barrier, add and evict nothing but fresh keys, so adds land inside every eviction's snapshot.
    /// </summary>
    [Fact]
    public void Rent_WhenManyThreadsOnlyAddAndEvict_NeverFailsAndStaysWithinBudget()
    {
        const int threads = 8, rounds = 60_000, tenantsPerThread = 64;
        byte[] keyBytes = [.. Enumerable.Range(1, VectorEncryptionKey.KeyLength).Select(i => (byte)i)];
        string[][] tenants = [.. Enumerable.Range(0, threads).Select(t => Enumerable.Range(0, tenantsPerThread).Select(i => $"t{t}-{i}").ToArray())];
        using var cache = new VectorKeyCache(Budget(4));
        using var start = new Barrier(threads);
        var failures = new ConcurrentQueue<Exception>();
        Thread[] workers = [.. Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                for (int i = 0; i < rounds; i++)
                {
                    using VectorKeyCache.Lease lease = cache.Rent(
                        new VectorKeyCache.CacheKey(TestIds.Vec, new KeyId(1), new TenantId(tenants[t][i % tenantsPerThread]), TestIds.Model),
                        static (key, bytes) => new VectorEncryptor(
                            VectorEncryptionKey.Create(1f, bytes), new VectorParameters(2.5f, false), key.KeyId, key.SecretPath, key.DerivationPath, SystemRandomSource.Instance),
                        keyBytes);
                    Assert.False(lease.Encryptor.Key.IsDisposed);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })).ToArray()];
        Array.ForEach(workers, w => w.Start());
        Array.ForEach(workers, w => w.Join());

        Assert.Empty(failures);
        Assert.InRange(cache.Bytes, 0, Budget(4));
    }

    [Fact]
    public void Encrypt_WhenItsKeyIsEvicted_ZeroesTheKeyAtOnce()
    {
        using var fixture = new VectorFixture();
        using VectorOperations vectors = Operations(fixture, keys: 4);
        _ = vectors.Encrypt(s_plaintext, TestIds.Vec, TestIds.Model, new TenantId("leased-only"));
        VectorEncryptionKey key = CachedKey(vectors, "leased-only");
        Assert.Contains(key.Key.ToArray(), b => b != 0);

        for (int i = 0; i < 20; i++)
        {
            _ = vectors.Encrypt(s_plaintext, TestIds.Vec, TestIds.Model, new TenantId($"other-{i}"));
        }

        Assert.True(key.IsDisposed);
        Assert.All(key.Key.ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(s_plaintext, vectors.Decrypt(vectors.Encrypt(s_plaintext, TestIds.Vec, TestIds.Model, new TenantId("leased-only")), new TenantId("leased-only")), (a, b) => Math.Abs(a - b) <= 1e-6f);
    }

    [Fact]
    public void Lease_WhenItsKeyIsEvictedMidway_KeepsWorkingAndZeroesTheKeyWhenItEnds()
    {
        using var fixture = new VectorFixture();
        var cache = new VectorKeyCache(Budget(4));
        using (cache)
        {
            VectorKeyCache.Lease lease = Rent(cache, fixture, "in-flight");
            VectorEncryptionKey key = lease.Encryptor.Key;
            for (int i = 0; i < 20; i++)
            {
                Rent(cache, fixture, $"other-{i}").Dispose();
            }

            // Evicted while in use: detached, not zeroed, still correct.
            Assert.False(key.IsDisposed);
            Assert.NotSame(lease.Encryptor, Rent(cache, fixture, "in-flight").Encryptor);
            using (VectorKeyCache.Lease fresh = Rent(cache, fixture, "in-flight"))
            {
                AssertRoundTrip(lease.Encryptor, fresh.Encryptor);
            }

            lease.Dispose();
            Assert.True(key.IsDisposed);
            Assert.All(key.Key.ToArray(), b => Assert.Equal(0, b));
        }
    }

    [Fact]
    public void GetEncryptor_WhenEvictedAndStillHeld_KeepsGivingCorrectResults()
    {
        using var fixture = new VectorFixture();
        using VectorOperations vectors = Operations(fixture, keys: 4);
        VectorEncryptor held = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("held"));
        EncryptedVector before = held.Encrypt(s_plaintext);
        for (int i = 0; i < 50; i++)
        {
            _ = vectors.Encrypt(s_plaintext, TestIds.Vec, TestIds.Model, new TenantId($"other-{i}"));
        }

        Assert.False(held.Key.IsDisposed);
        Assert.NotSame(held, vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("held")));
        Assert.Equal(s_plaintext, held.Decrypt(before), (a, b) => Math.Abs(a - b) <= 1e-6f);
        Assert.Equal(s_plaintext, vectors.Decrypt(held.Encrypt(s_plaintext), new TenantId("held")), (a, b) => Math.Abs(a - b) <= 1e-6f);
        Assert.Equal(s_plaintext, held.Decrypt(vectors.Encrypt(s_plaintext, TestIds.Vec, TestIds.Model, new TenantId("held"))), (a, b) => Math.Abs(a - b) <= 1e-6f);
    }

    [Fact]
    public void GetEncryptor_WhenEvictedAndNoLongerReferenced_ZeroesItsKeyWhenCollected()
    {
        using var fixture = new VectorFixture();
        using VectorOperations vectors = Operations(fixture, keys: 4);
        (WeakReference<VectorEncryptor> released, byte[] keyBuffer) = GetAndEvict(vectors);

        for (int attempt = 0; attempt < 3 && keyBuffer.Any(b => b != 0); attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.All(keyBuffer, b => Assert.Equal(0, b));
        Assert.False(released.TryGetTarget(out _));
    }

    [Fact]
    public void Dispose_WhenAnEvictedEncryptorIsStillHeld_ZeroesItsKeyAndItThrows()
    {
        using var fixture = new VectorFixture();
        VectorOperations vectors = Operations(fixture, keys: 4);
        VectorEncryptor held = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("held"));
        VectorEncryptor cached = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("cached"));
        for (int i = 0; i < 50; i++)
        {
            _ = vectors.Encrypt(s_plaintext, TestIds.Vec, TestIds.Model, new TenantId($"other-{i}"));
        }

        cached = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("cached"));
        vectors.Dispose();

        foreach (VectorEncryptor encryptor in new[] { held, cached })
        {
            Assert.All(encryptor.Key.Key.ToArray(), b => Assert.Equal(0, b));
            Assert.Throws<ObjectDisposedException>(() => encryptor.Encrypt(s_plaintext));
            Assert.Throws<ObjectDisposedException>(() => encryptor.EncryptOneWay(s_plaintext));
        }

        Assert.Throws<ObjectDisposedException>(() => vectors.Encrypt(s_plaintext, TestIds.Vec, TestIds.Model, new TenantId("held")));
    }

    /// <summary>
    /// Issue 14 §3: one item each of 40 distinct dimensions (scaled down from 10⁶ to 10⁵ coordinates) used to cache a
    /// permutation per dimension per key, without bound. Now a key keeps four, and the whole cache stays in its budget.
    /// </summary>
    [Fact]
    public void Encrypt_WhenEachRequestHasANewLargeDimension_KeepsEveryKeyAndTheCacheBounded()
    {
        using var fixture = new VectorFixture();
        const int d = 100_000;
        long permutation = 4L * d;
        long budget = 6 * permutation;
        using var vectors = new VectorOperations(fixture.Configuration.Vector, SystemRandomSource.Instance, budget);
        for (int i = 0; i < 40; i++)
        {
            // One tenant sees every dimension; others see one each.
            _ = vectors.EncryptOneWay(Vector(d + i), TestIds.Vec, TestIds.Model, new TenantId("one-tenant"));
            _ = vectors.EncryptOneWay(Vector(d + 40 + i), TestIds.Vec, TestIds.Model, new TenantId($"tenant-{i}"));
            Assert.InRange(vectors.KeyCache.Bytes, 0, budget);
            if (TryCachedKey(vectors, "one-tenant") is { } key)
            {
                Assert.InRange(key.RetainedBytes, 0, VectorEncryptionKey.FixedBytes + (4 * (permutation + 200)) + (8 * VectorEncryptionKey.HmacStateBytes));
            }
        }

        // A permutation larger than the whole budget is used once and not kept.
        using var tiny = new VectorOperations(fixture.Configuration.Vector, SystemRandomSource.Instance, permutation / 2);
        float[] big = Vector(d);
        Assert.Equal(big, tiny.Decrypt(tiny.Encrypt(big, TestIds.Vec, TestIds.Model, new TenantId("t")), new TenantId("t")), (a, b) => Math.Abs(a - b) <= 1e-5f);
        Assert.InRange(tiny.KeyCache.Bytes, 0, permutation / 2);
    }

    [Fact]
    public void Encrypt_WhenTenantIdsAreHuge_CountsThemAgainstTheBudget()
    {
        using var fixture = new VectorFixture();
        const long budget = 1L << 20;
        using var vectors = new VectorOperations(fixture.Configuration.Vector, SystemRandomSource.Instance, budget);
        for (int i = 0; i < 20; i++)
        {
            string tenant = new((char)('a' + i), 100_000);
            _ = vectors.Encrypt(s_plaintext, TestIds.Vec, TestIds.Model, new TenantId(tenant));
            Assert.InRange(vectors.KeyCache.Bytes, 200_000, budget);
        }

        Assert.InRange(vectors.KeyCache.Count, 1, 5);
    }

    [Fact]
    public void Encrypt_WhenThePathHasADimension_KeepsOnePermutationPerKey()
    {
        using var fixture = new VectorFixture();
        var limited = TestData.VectorSection("vec", fixture.Configuration.Vector[TestIds.Vec].WithLimits(1_000, null));
        using var vectors = new VectorOperations(limited, SystemRandomSource.Instance);
        _ = vectors.Encrypt(Vector(1_000), TestIds.Vec, TestIds.Model, new TenantId("t"));
        Assert.Throws<ArgumentException>(() => vectors.Encrypt(Vector(999), TestIds.Vec, TestIds.Model, new TenantId("t")));
        VectorEncryptionKey key = CachedKey(vectors, "t");
        Assert.InRange(key.RetainedBytes, 0, VectorEncryptionKey.FixedBytes + 4_100 + (8 * VectorEncryptionKey.HmacStateBytes));
    }

    private static VectorOperations Operations(VectorFixture fixture, int keys) =>
        new(fixture.Configuration.Vector, SystemRandomSource.Instance, Budget(keys));

    /// <summary>A budget of about <paramref name="keys"/> keys that have each encrypted a few small vectors.</summary>
    private static long Budget(int keys) => keys * (VectorEncryptionKey.FixedBytes + VectorEncryptionKey.HmacStateBytes + 64);

    private static VectorKeyCache.Lease Rent(VectorKeyCache cache, VectorFixture fixture, string tenant) => cache.Rent(
        new VectorKeyCache.CacheKey(TestIds.Vec, new KeyId(2), new TenantId(tenant), TestIds.Model),
        static (key, secret) => new VectorEncryptor(
            VectorEncryptionKey.Derive(secret, key.Tenant, key.DerivationPath), new VectorParameters(2.5f, false), key.KeyId, key.SecretPath, key.DerivationPath, SystemRandomSource.Instance),
        fixture.Current);

    private static VectorEncryptionKey CachedKey(VectorOperations vectors, string tenant) =>
        TryCachedKey(vectors, tenant) ?? throw new InvalidOperationException($"Tenant {tenant} is not cached.");

    private static VectorEncryptionKey? TryCachedKey(VectorOperations vectors, string tenant) =>
        vectors.KeyCache.Find(new VectorKeyCache.CacheKey(TestIds.Vec, new KeyId(2), new TenantId(tenant), TestIds.Model))?.Key;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference<VectorEncryptor> Encryptor, byte[] KeyBuffer) GetAndEvict(VectorOperations vectors)
    {
        VectorEncryptor encryptor = vectors.GetEncryptor(TestIds.Vec, TestIds.Model, new TenantId("dropped"));
        AssertRoundTrip(encryptor, encryptor);
        byte[] buffer = (byte[])typeof(VectorEncryptionKey).GetField("_key", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(encryptor.Key)!;
        for (int i = 0; i < 50; i++)
        {
            _ = vectors.Encrypt(s_plaintext, TestIds.Vec, TestIds.Model, new TenantId($"other-{i}"));
        }

        Assert.Null(vectors.KeyCache.Find(new VectorKeyCache.CacheKey(TestIds.Vec, new KeyId(2), new TenantId("dropped"), TestIds.Model)));
        Assert.Contains(buffer, b => b != 0);
        return (new WeakReference<VectorEncryptor>(encryptor), buffer);
    }

    private static void AssertRoundTrip(VectorEncryptor encrypting, VectorEncryptor decrypting) =>
        Assert.Equal(s_plaintext, decrypting.Decrypt(encrypting.Encrypt(s_plaintext)), (a, b) => Math.Abs(a - b) <= 1e-6f);

    private static float[] Vector(int d) => [.. Enumerable.Range(0, d).Select(i => MathF.Sin(i) / MathF.Sqrt(d))];
}
