using System.Collections.Concurrent;
using Veil.Keys;

namespace Veil.Tests.Keysets;

public class TenantCipherCacheTests
{
    private const int KeyLength = 32;

    [Fact]
    public void Get_WhenManyThreadsAskForFewIds_DerivesEachKeyOnceAndGivesEachThreadItsOwnCipher()
    {
        var derivations = new ConcurrentDictionary<string, int>();
        var created = new ConcurrentBag<FakeCipher>();
        using var cache = new TenantCipherCache<string, FakeCipher>(
            KeyLength,
            (id, key) =>
            {
                derivations.AddOrUpdate(id, 1, (_, n) => n + 1);
                key.AsSpan().Fill((byte)id[0]);
            },
            key =>
            {
                var cipher = new FakeCipher(key.ToArray(), Environment.CurrentManagedThreadId);
                created.Add(cipher);
                return cipher;
            });
        string[] ids = ["a", "b", "c"];
        var seen = new ConcurrentBag<(string Id, FakeCipher Cipher, int Thread)>();

        // Dedicated threads released together by a barrier (a Parallel.For of cheap items may run on one thread), so
        // the first calls (owner claim, thread-local creation, derivation) really race on every run.
        const int threads = 4;
        using var start = new Barrier(threads);
        var failures = new ConcurrentQueue<Exception>();
        Thread[] workers = [.. Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                for (int i = 0; i < 3_000; i++)
                {
                    string id = ids[i % ids.Length];
                    FakeCipher cipher = cache.Get(id);
                    Assert.Same(cipher, cache.Get(id));
                    seen.Add((id, cipher, Environment.CurrentManagedThreadId));
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        }))];
        Array.ForEach(workers, w => w.Start());
        Array.ForEach(workers, w => w.Join());
        Assert.Empty(failures);
        Assert.Equal(threads, seen.Select(s => s.Thread).Distinct().Count());

        Assert.Equal(ids, derivations.Keys.Order());
        Assert.All(derivations.Values, count => Assert.Equal(1, count));
        Assert.All(seen, s => Assert.Equal(s.Thread, s.Cipher.Thread));
        Assert.All(seen, s => Assert.Equal(Enumerable.Repeat((byte)s.Id[0], KeyLength), s.Cipher.Key));
        Assert.Equal(created.Count, seen.Select(s => s.Cipher).Distinct().Count());
        Assert.Equal(created.Count, seen.Select(s => (s.Id, s.Thread)).Distinct().Count());
    }

    [Fact]
    public void Dispose_WhenCiphersWereMadeOnSeveralThreads_DisposesThemAllAndZeroesEveryKey()
    {
        var keys = new ConcurrentBag<byte[]>();
        var created = new ConcurrentBag<FakeCipher>();
        var cache = new TenantCipherCache<int, FakeCipher>(
            KeyLength,
            (id, key) =>
            {
                key.AsSpan().Fill((byte)(id + 1));
                keys.Add(key);
            },
            key =>
            {
                var cipher = new FakeCipher(key.ToArray(), Environment.CurrentManagedThreadId);
                created.Add(cipher);
                return cipher;
            });
        FakeCipher ownersCipher = cache.Get(0);
        Thread[] others = Enumerable.Range(0, 3).Select(t => new Thread(() =>
        {
            for (int id = 0; id < 5; id++)
            {
                cache.Get(id);
            }
        })).ToArray();
        Array.ForEach(others, t => t.Start());
        Array.ForEach(others, t => t.Join());
        Assert.Equal(5, keys.Count);
        Assert.Equal(1 + (3 * 5), created.Count);
        Assert.All(keys, key => Assert.Contains(key, k => k != 0));

        cache.Dispose();

        Assert.True(ownersCipher.Disposed);
        Assert.All(created, cipher => Assert.True(cipher.Disposed));
        Assert.All(keys, key => Assert.All(key, b => Assert.Equal(0, b)));
        Assert.Throws<ObjectDisposedException>(() => cache.Get(0));
    }

    [Fact]
    public void Get_WhenDerivationFails_ThrowsAndDerivesAgainOnTheNextCall()
    {
        int attempts = 0;
        byte[]? failedKey = null;
        using var cache = new TenantCipherCache<int, FakeCipher>(
            KeyLength,
            (_, key) =>
            {
                key.AsSpan().Fill(7);
                if (++attempts == 1)
                {
                    failedKey = key;
                    throw new InvalidOperationException("derivation failed");
                }
            },
            key => new FakeCipher(key.ToArray(), Environment.CurrentManagedThreadId));

        Assert.Throws<InvalidOperationException>(() => cache.Get(1));
        FakeCipher cipher = cache.Get(1);

        Assert.Equal(2, attempts);
        Assert.All(failedKey!, b => Assert.Equal(0, b));
        Assert.Equal(Enumerable.Repeat((byte)7, KeyLength), cipher.Key);
    }

    private sealed class FakeCipher(byte[] key, int thread) : IDisposable
    {
        public byte[] Key { get; } = key;

        public int Thread { get; } = thread;

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
