using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Veil.Keys;

namespace Veil.Vectors;

/// <summary>
/// The derived vector keys of one <see cref="VectorOperations"/>, per (secret path, key id, tenant, derivation path),
/// bounded in bytes: each key counts its fixed part, its cached permutations and its pooled HMAC states
/// (<see cref="VectorEncryptionKey.RetainedBytes"/>), and the strings of its lookup key. Past the budget, the least recently used keys are evicted
/// until a quarter of the budget is free; a key larger than the budget on its own is evicted as soon as its use
/// ends, so it is simply not cached.
/// </summary>
/// <remarks>
/// <para><b>Leases.</b> Operations hold a <see cref="Lease"/> while they use a key. An evicted key is detached from
/// the cache at once and zeroed when its last lease ends, never under a caller.</para>
/// <para><b>Exposed encryptors.</b> An encryptor handed out by <see cref="GetExposed"/> may be held by its caller for
/// as long as it likes, which the cache cannot see. When evicted it is detached and keeps working for its holders;
/// its key is zeroed when it is collected (its finalizer) or when the cache is disposed, whichever comes first.</para>
/// <para><b>Thread safety.</b> All members are thread-safe, except that <see cref="Dispose"/> must not run while
/// other threads use the cache or the encryptors it handed out.</para>
/// </remarks>
internal sealed class VectorKeyCache : IDisposable
{
    /// <summary>The default budget: 64 MiB.</summary>
    public const long DefaultBudgetBytes = 64L << 20;

    private static readonly object s_orphan = new();

    private readonly ConcurrentDictionary<CacheKey, Entry> _entries = new();
    private readonly ConditionalWeakTable<VectorEncryptionKey, object> _orphans = [];
    private readonly Lock _evictionLock = new();
    private readonly long _budget;
    private long _bytes;
    private long _clock;
    private volatile bool _disposed;

    /// <summary>Creates an empty cache of at most <paramref name="budgetBytes"/> bytes.</summary>
    public VectorKeyCache(long budgetBytes = DefaultBudgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budgetBytes);
        _budget = budgetBytes;
    }

    /// <summary>The sum of the cached keys' sizes (an estimate, in bytes).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The number of cached keys.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// A lease on the encryptor of <paramref name="key"/>, created with <paramref name="create"/> on a miss. Dispose
    /// the lease when the operation ends.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    public Lease Rent<TState>(CacheKey key, Func<CacheKey, TState, VectorEncryptor> create, TState state)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_entries.TryGetValue(key, out Entry? entry))
            {
                entry = new Entry(this, key, create(key, state));
                if (!_entries.TryAdd(key, entry))
                {
                    // Another thread added it first: this copy was never shared.
                    entry.Encryptor.Key.Dispose();
                    continue;
                }

                Interlocked.Add(ref _bytes, entry.InitialBytes);
            }

            // Fails only for an entry evicted (and its last lease ended) since the lookup: look again.
            if (entry.TryAcquire())
            {
                Volatile.Write(ref entry.LastUse, Interlocked.Increment(ref _clock));
                EvictIfOverBudget();
                return new Lease(entry);
            }
        }
    }

    /// <summary>
    /// The encryptor of <paramref name="key"/> for a caller that may hold it indefinitely (see the class remarks).
    /// </summary>
    public VectorEncryptor GetExposed<TState>(CacheKey key, Func<CacheKey, TState, VectorEncryptor> create, TState state)
    {
        using Lease lease = Rent(key, create, state);
        lease.Entry.MarkExposed();
        return lease.Encryptor;
    }

    /// <summary>The cached encryptor of <paramref name="key"/>, if any, without using it (tests).</summary>
    internal VectorEncryptor? Find(CacheKey key) => _entries.TryGetValue(key, out Entry? entry) ? entry.Encryptor : null;

    /// <summary>Zeroes every key the cache derived that is still in memory, cached or evicted but held.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (KeyValuePair<CacheKey, Entry> pair in _entries.ToArray())
        {
            pair.Value.Encryptor.Key.Dispose();
        }

        _entries.Clear();
        foreach (KeyValuePair<VectorEncryptionKey, object> orphan in _orphans)
        {
            orphan.Key.Dispose();
        }

        _orphans.Clear();
    }

    /// <summary>Evicts least recently used keys while the cache is over budget (one thread at a time; lookups go on).</summary>
    private void EvictIfOverBudget()
    {
        if (Interlocked.Read(ref _bytes) <= _budget)
        {
            return;
        }

        lock (_evictionLock)
        {
            if (Interlocked.Read(ref _bytes) <= _budget)
            {
                return;
            }

            // The dictionary's own ToArray takes a consistent snapshot while other threads add and remove. Recency is
            // copied out first, so that the sort compares fixed values however the entries are used meanwhile.
            KeyValuePair<CacheKey, Entry>[] snapshot = _entries.ToArray();
            var lastUse = new long[snapshot.Length];
            for (int i = 0; i < snapshot.Length; i++)
            {
                lastUse[i] = Volatile.Read(ref snapshot[i].Value.LastUse);
            }

            Array.Sort(lastUse, snapshot);
            long target = _budget - (_budget / 4);
            foreach (KeyValuePair<CacheKey, Entry> pair in snapshot)
            {
                if (Interlocked.Read(ref _bytes) <= target)
                {
                    break;
                }

                if (_entries.TryRemove(pair))
                {
                    pair.Value.Detach();
                }
            }
        }
    }

    /// <summary>What selects a derived key.</summary>
    internal readonly record struct CacheKey(SecretPath SecretPath, KeyId KeyId, TenantId Tenant, DerivationPath DerivationPath);

    /// <summary>The use of a cached encryptor by one operation; disposing it ends the use.</summary>
    internal readonly struct Lease : IDisposable
    {
        internal Lease(Entry entry) => Entry = entry;

        /// <summary>The encryptor, valid until the lease is disposed.</summary>
        public VectorEncryptor Encryptor => Entry.Encryptor;

        internal Entry Entry { get; }

        /// <inheritdoc/>
        public void Dispose() => Entry.Release();
    }

    /// <summary>
    /// A cached encryptor: its recency, its references (the cache's own while attached, plus one per lease) and its
    /// size as counted in the cache's total.
    /// </summary>
    internal sealed class Entry
    {
        private readonly VectorKeyCache _cache;
        private readonly Lock _lock = new();
        private int _references = 1;
        private volatile bool _exposed;
        private bool _attached = true;
        private long _bytes;

        public Entry(VectorKeyCache cache, CacheKey key, VectorEncryptor encryptor)
        {
            _cache = cache;
            Encryptor = encryptor;

            // The lookup key's strings count too: tenant ids and derivation paths may come from callers.
            long names = 2L * ((key.SecretPath.Value?.Length ?? 0) + (key.Tenant.Value?.Length ?? 0) + (key.DerivationPath.Value?.Length ?? 0));
            _bytes = InitialBytes = encryptor.Key.RetainedBytes + names;
            encryptor.Key.RetainedBytesChanged = OnRetainedBytesChanged;
        }

        public VectorEncryptor Encryptor { get; }

        /// <summary>The size counted when the entry was added.</summary>
        public long InitialBytes { get; }

        public long LastUse;

        public bool TryAcquire()
        {
            int references = Volatile.Read(ref _references);
            while (references > 0)
            {
                int seen = Interlocked.CompareExchange(ref _references, references + 1, references);
                if (seen == references)
                {
                    return true;
                }

                references = seen;
            }

            return false;
        }

        public void MarkExposed() => _exposed = true;

        /// <summary>Ends a lease (or, from <see cref="Detach"/>, the cache's own reference); the last one out zeroes the key.</summary>
        public void Release()
        {
            if (Interlocked.Decrement(ref _references) != 0)
            {
                return;
            }

            if (_exposed)
            {
                // Held by callers the cache cannot see: zeroed when collected, or when the cache is disposed.
                _cache._orphans.AddOrUpdate(Encryptor.Key, s_orphan);
            }
            else
            {
                Encryptor.Key.Dispose();
            }
        }

        /// <summary>After removal from the dictionary: stops counting the entry and drops the cache's reference.</summary>
        public void Detach()
        {
            lock (_lock)
            {
                _attached = false;
                Interlocked.Add(ref _cache._bytes, -_bytes);
            }

            Release();
        }

        private void OnRetainedBytesChanged(long delta)
        {
            lock (_lock)
            {
                _bytes += delta;
                if (!_attached)
                {
                    return;
                }

                Interlocked.Add(ref _cache._bytes, delta);
            }

            if (delta > 0)
            {
                _cache.EvictIfOverBudget();
            }
        }
    }
}
