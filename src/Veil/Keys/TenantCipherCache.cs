using System.Security.Cryptography;

namespace Veil.Keys;

/// <summary>
/// The tenant ciphers of one operation or batch. Each distinct key (for example secret, tenant and derivation path)
/// is derived once, into a pinned buffer; each thread builds its own cipher from that buffer the first time it needs
/// the key and reuses it for every later item. Disposing disposes the ciphers of every thread and zeroes the keys.
/// The first thread to ask keeps its ciphers in a plain dictionary, so a single-item operation (or a serial batch)
/// never allocates the thread-local storage the other threads share.
/// </summary>
/// <remarks>
/// <para><b>Thread safety.</b> <see cref="Get"/> may be called from many threads at once; the cipher it returns
/// belongs to the calling thread. <see cref="Dispose"/> must run once no thread uses the cache any more (after the
/// batch), and is not concurrent with <see cref="Get"/>.</para>
/// </remarks>
/// <typeparam name="TId">What selects a key; equal ids share a key.</typeparam>
/// <typeparam name="TCipher">The keyed cipher, which is not thread-safe.</typeparam>
internal sealed class TenantCipherCache<TId, TCipher> : IDisposable
    where TId : notnull
    where TCipher : class, IDisposable
{
    private readonly int _keyLength;
    private readonly Action<TId, byte[]> _derive;
    private readonly Func<byte[], TCipher> _create;
    private readonly Dictionary<TId, byte[]> _keys = [];
    private readonly Lock _keysLock = new();
    private readonly Dictionary<TId, TCipher> _ownerCiphers = [];
    private int _ownerThread;
    private ThreadLocal<Dictionary<TId, TCipher>>? _otherCiphers;
    private bool _disposed;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="keyLength">The length of every derived key.</param>
    /// <param name="derive">Fills the key of an id (the buffer is <paramref name="keyLength"/> bytes, zeroed on dispose).</param>
    /// <param name="create">Builds a cipher from a key; it must copy the key, not keep the buffer.</param>
    public TenantCipherCache(int keyLength, Action<TId, byte[]> derive, Func<byte[], TCipher> create)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keyLength);
        ArgumentNullException.ThrowIfNull(derive);
        ArgumentNullException.ThrowIfNull(create);
        _keyLength = keyLength;
        _derive = derive;
        _create = create;
    }

    /// <summary>The calling thread's cipher for <paramref name="id"/>, deriving the key on first use in the cache.</summary>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    public TCipher Get(TId id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Dictionary<TId, TCipher> ciphers = CiphersOfThisThread();
        if (!ciphers.TryGetValue(id, out TCipher? cipher))
        {
            cipher = _create(KeyOf(id));
            ciphers.Add(id, cipher);
        }

        return cipher;
    }

    /// <summary>Disposes every thread's ciphers and zeroes every derived key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        DisposeAll(_ownerCiphers);
        if (_otherCiphers is not null)
        {
            foreach (Dictionary<TId, TCipher> ciphers in _otherCiphers.Values)
            {
                DisposeAll(ciphers);
            }

            _otherCiphers.Dispose();
        }

        foreach (byte[] key in _keys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }

        _keys.Clear();
    }

    private static void DisposeAll(Dictionary<TId, TCipher> ciphers)
    {
        foreach (TCipher cipher in ciphers.Values)
        {
            cipher.Dispose();
        }
    }

    /// <summary>The owner's dictionary on the first thread to ask (which becomes the owner), else a thread-local one.</summary>
    private Dictionary<TId, TCipher> CiphersOfThisThread()
    {
        int thread = Environment.CurrentManagedThreadId;
        int owner = Volatile.Read(ref _ownerThread);
        if (owner == thread || (owner == 0 && Interlocked.CompareExchange(ref _ownerThread, thread, 0) == 0))
        {
            return _ownerCiphers;
        }

        return LazyInitializer.EnsureInitialized(ref _otherCiphers, () => new(() => [], trackAllValues: true)).Value!;
    }

    private byte[] KeyOf(TId id)
    {
        lock (_keysLock)
        {
            if (!_keys.TryGetValue(id, out byte[]? key))
            {
                key = GC.AllocateArray<byte>(_keyLength, pinned: true);
                try
                {
                    _derive(id, key);
                }
                catch
                {
                    CryptographicOperations.ZeroMemory(key);
                    throw;
                }

                _keys.Add(id, key);
            }

            return key;
        }
    }
}
