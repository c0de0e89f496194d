using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace Veil.Sealed;

/// <summary>
/// The key holder's approximate-nearest-neighbour index: an HNSW graph over int8-quantised, L2-normalised vectors
/// (cosine), mapping record keys to graph nodes. Searches return candidate keys; the caller fetches those rows and ranks
/// them exactly. It lives only in the key holder's memory and is persisted sealed (see
/// <see cref="SealedVectorStoreCollection{TKey, TRecord}"/>).
/// </summary>
/// <remarks>
/// <para><b>Memory.</b> Per vector: d bytes of code, 4 of scale, level-0 links (2M + 1 ints, plus an array header),
/// a few bytes of upper-level links, and the key map. For 10⁶ × 384 with M = 16 that is 384 MB + 4 MB + about 160 MB of
/// links + the keys (about 130 MB for 36-character string keys): about 0.7 GB, under 1 GiB.</para>
/// <para><b>Deferred insertion</b> (<see cref="SealedIndexOptions.Deferred"/>, the default): an upsert queues the
/// normalised vector and returns; a background task inserts queued vectors into the graph in small batches
/// (<see cref="SealedIndexOptions.IndexingThreads"/> threads per batch). Every search scores the queue exactly beside
/// the graph, so a key is findable as soon as its upsert returns. The queue holds 4d bytes per waiting vector, at most
/// <see cref="SealedIndexOptions.MaxQueuedBytes"/> for writers that go through <see cref="UpsertAsync"/> (or the
/// collection); the synchronous <see cref="Upsert"/> and <see cref="UpsertRange"/> do not wait and are not bounded.</para>
/// <para><b>Thread safety.</b> Any number of concurrent searches; writes and each background batch take an exclusive
/// lock.</para>
/// <para>An update adds a new node and marks the old one deleted; deleted nodes remain as waypoints until
/// <see cref="CompactGraph"/> rebuilds the graph from the live nodes.</para>
/// </remarks>
/// <typeparam name="TKey">The record key: string, Guid, int or long.</typeparam>
public sealed partial class SealedVectorIndex<TKey> : IDisposable
    where TKey : notnull
{
    private const int FormatVersion = 1;

    // Vectors inserted per thread under one hold of the writer lock: small, so a search never waits long.
    private const int BatchPerThread = 16;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<TKey, int> _nodes = [];
    private readonly List<TKey?> _keys = [];
    private readonly Dictionary<TKey, float[]> _pending = [];
    private readonly Queue<TKey> _queue = new();
    private readonly HnswGraph _graph;
    private readonly int? _efSearch;
    private readonly bool _deferred;
    private readonly int _threads;
    private readonly long _maxQueuedBytes;
    private TaskCompletionSource _roomFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _reserved;
    private Task _indexing = Task.CompletedTask;
    private bool _indexingRunning;
    private volatile bool _disposed;

    /// <summary>Creates an empty index for vectors of <paramref name="dimensions"/>.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="TKey"/> is not string, Guid, int or long.</exception>
    public SealedVectorIndex(int dimensions, SealedIndexOptions? options = null)
    {
        RecordKeyCodec<TKey>.EnsureSupported();
        options ??= new SealedIndexOptions();
        if (options.EfSearch is { } efSearch)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(efSearch, 1, nameof(options));
        }

        ulong seed = options.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.IndexingThreads, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxQueuedBytes, 1, nameof(options));
        _graph = new HnswGraph(dimensions, options.M, options.EfConstruction, seed);
        _efSearch = options.EfSearch;
        _deferred = options.Deferred;
        _threads = options.IndexingThreads;
        _maxQueuedBytes = options.MaxQueuedBytes;
    }

    private SealedVectorIndex(HnswGraph graph, SealedIndexOptions options)
    {
        _graph = graph;
        _efSearch = options.EfSearch is > 0 ? options.EfSearch : null;
        _deferred = options.Deferred;
        _threads = Math.Max(1, options.IndexingThreads);
        _maxQueuedBytes = Math.Max(1, options.MaxQueuedBytes);
    }

    /// <summary>The options a copy of this index (graph compaction) is created with.</summary>
    private SealedIndexOptions CopyOptions => new() { EfSearch = _efSearch, Deferred = _deferred, IndexingThreads = _threads, MaxQueuedBytes = _maxQueuedBytes };

    /// <summary>The vector dimension.</summary>
    public int Dimensions => _graph.Dimensions;

    /// <summary>The number of keys in the index.</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _nodes.Count + _pending.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Keys queued for the graph and not inserted yet (found by an exact scan meanwhile); 0 when not deferred.</summary>
    public int PendingCount
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _pending.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Bytes held by the graph's arrays (codes, scales, links), keys not included.</summary>
    public long GraphBytes
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _graph.ApproximateBytes;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>The index's counts and graph memory now, read together (<see cref="SealedIndexStatistics"/>).</summary>
    public SealedIndexStatistics GetStatistics()
    {
        _lock.EnterReadLock();
        try
        {
            return new SealedIndexStatistics(
                _graph.Dimensions, _nodes.Count + _pending.Count, _pending.Count, _graph.Count, _graph.Count == 0 ? 0 : (double)(_graph.Count - _graph.LiveCount) / _graph.Count, _graph.ApproximateBytes);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Adds or replaces the vector of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The vector has the wrong dimension, contains NaN or infinity, or is zero.</exception>
    public void Upsert(TKey key, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(key);
        float[] normalised = Normalise(vector, nameof(vector));
        _lock.EnterWriteLock();
        try
        {
            UpsertLocked(key, normalised);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Adds or replaces the vectors of several keys under one hold of the writer lock (with deferred insertion, one
    /// wait for the background batch in progress instead of one per key); later entries win for a repeated key.
    /// </summary>
    /// <exception cref="ArgumentException">A vector has the wrong dimension, contains NaN or infinity, or is zero (nothing is changed).</exception>
    public void UpsertRange(IEnumerable<KeyValuePair<TKey, float[]>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        (List<TKey> keys, List<float[]> normalised) = NormaliseAll(entries);
        UpsertNormalised(keys, normalised);
    }

    private (List<TKey> Keys, List<float[]> Normalised) NormaliseAll(IEnumerable<KeyValuePair<TKey, float[]>> entries)
    {
        var keys = new List<TKey>();
        var normalised = new List<float[]>();
        foreach ((TKey key, float[] vector) in entries)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(entries));
            keys.Add(key);
            normalised.Add(Normalise(vector, nameof(entries)));
        }

        return (keys, normalised);
    }

    /// <summary>As <see cref="UpsertRange"/>, for vectors already checked and L2-normalised (the index keeps the arrays).</summary>
    internal void UpsertNormalised(IReadOnlyList<TKey> keys, IReadOnlyList<float[]> vectors)
    {
        _lock.EnterWriteLock();
        try
        {
            for (int i = 0; i < keys.Count; i++)
            {
                UpsertLocked(keys[i], vectors[i]);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Adds or replaces the vectors of several keys as <see cref="UpsertRange"/> does, first waiting (cancellably) until
    /// they fit in the deferred-insertion queue under <see cref="SealedIndexOptions.MaxQueuedBytes"/> beside the vectors
    /// queued and the room reserved by others; a call larger than the bound is let in alone, once the queue is empty.
    /// The check and the enqueue happen under one hold of the writer lock, so concurrent callers never overshoot the
    /// bound: the queue holds at most max(bound, one call's vectors). Without deferred insertion it inserts at once.
    /// </summary>
    /// <param name="entries">The keys and vectors; later entries win for a repeated key.</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled call changes nothing.</param>
    /// <returns>A task that completes when the vectors are queued (and findable by search).</returns>
    /// <exception cref="ArgumentException">A vector has the wrong dimension, contains NaN or infinity, or is zero (nothing is changed).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public async Task UpsertAsync(IEnumerable<KeyValuePair<TKey, float[]>> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        (List<TKey> keys, List<float[]> normalised) = NormaliseAll(entries);
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Task roomFreed;
            _lock.EnterWriteLock();
            try
            {
                if (FitsLocked(keys.Count))
                {
                    for (int i = 0; i < keys.Count; i++)
                    {
                        UpsertLocked(keys[i], normalised[i]);
                    }

                    return;
                }

                roomFreed = _roomFreed.Task;
            }
            finally
            {
                _lock.ExitWriteLock();
            }

            await roomFreed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits (cancellably) until <paramref name="count"/> more vectors fit in the deferred-insertion queue as
    /// <see cref="UpsertAsync"/> does, then holds that room until the reservation is disposed: a writer that must do
    /// other work between waiting and queueing (the collection writes its log entry and rows) cannot be overtaken.
    /// </summary>
    internal async Task<QueueReservation> ReserveQueueRoomAsync(int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Task roomFreed;
            _lock.EnterWriteLock();
            try
            {
                if (FitsLocked(count))
                {
                    _reserved += _deferred ? count : 0;
                    return new QueueReservation(this, _deferred ? count : 0);
                }

                roomFreed = _roomFreed.Task;
            }
            finally
            {
                _lock.ExitWriteLock();
            }

            await roomFreed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Tests only: the most vectors the deferred-insertion queue has held at once.</summary>
    internal int PeakPendingCount { get; private set; }

    /// <summary>Whether <paramref name="count"/> more vectors fit beside those queued and reserved (under the writer lock).</summary>
    private bool FitsLocked(int count) =>
        !_deferred || (_pending.Count == 0 && _reserved == 0) || (_pending.Count + _reserved + (long)count) * Dimensions * sizeof(float) <= _maxQueuedBytes;

    /// <summary>Wakes writers waiting for room (under the writer lock).</summary>
    private void SignalRoomLocked()
    {
        TaskCompletionSource freed = _roomFreed;
        _roomFreed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        freed.SetResult();
    }

    private void Release(long count)
    {
        if (count == 0 || _disposed)
        {
            return;
        }

        _lock.EnterWriteLock();
        try
        {
            _reserved -= count;
            SignalRoomLocked();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Room in the insertion queue held for one writer (<see cref="ReserveQueueRoomAsync"/>); disposing it frees the room.</summary>
    internal sealed class QueueReservation(SealedVectorIndex<TKey> index, long count) : IDisposable
    {
        private long _count = count;

        public void Dispose() => index.Release(Interlocked.Exchange(ref _count, 0));
    }

    private void UpsertLocked(TKey key, float[] normalised)
    {
        if (_nodes.Remove(key, out int old))
        {
            _graph.Delete(old);
            _keys[old] = default;
        }

        if (!_deferred)
        {
            _nodes[key] = _graph.Add(normalised);
            _keys.Add(key);
            return;
        }

        if (!_pending.ContainsKey(key))
        {
            _queue.Enqueue(key);
        }

        _pending[key] = normalised;
        PeakPendingCount = Math.Max(PeakPendingCount, _pending.Count);
        if (!_indexingRunning)
        {
            _indexingRunning = true;
            _indexing = Task.Run(IndexQueued);
        }
    }

    /// <summary>Removes <paramref name="key"/>; false when it was not in the index.</summary>
    public bool Delete(TKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _lock.EnterWriteLock();
        try
        {
            if (_pending.Remove(key))
            {
                // Its queue entry is skipped when reached.
                return true;
            }

            if (!_nodes.Remove(key, out int node))
            {
                return false;
            }

            _graph.Delete(node);
            _keys[node] = default;
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Whether <paramref name="key"/> is in the index.</summary>
    public bool Contains(TKey key)
    {
        _lock.EnterReadLock();
        try
        {
            return _nodes.ContainsKey(key) || _pending.ContainsKey(key);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The keys of the (approximately) <paramref name="count"/> nearest vectors by cosine, nearest first.</summary>
    /// <exception cref="ArgumentException">The query has the wrong dimension, contains NaN or infinity, or is zero.</exception>
    public IReadOnlyList<TKey> Search(ReadOnlySpan<float> query, int count) => Search(query, count, efSearch: null);

    /// <summary>
    /// The keys of the (approximately) <paramref name="count"/> nearest vectors by cosine, nearest first, searching the
    /// graph with a beam of <paramref name="efSearch"/> (raised to <paramref name="count"/> when smaller); null uses
    /// <see cref="SealedIndexOptions.EfSearch"/>, or its default rule (<see cref="SealedIndexOptions.DefaultEfSearchFor"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The query has the wrong dimension, contains NaN or infinity, or is zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> or <paramref name="efSearch"/> is less than 1.</exception>
    public IReadOnlyList<TKey> Search(ReadOnlySpan<float> query, int count, int? efSearch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (efSearch is { } requested)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(requested, 1, nameof(efSearch));
        }

        float[] normalised = Normalise(query, nameof(query));
        _lock.EnterReadLock();
        try
        {
            int ef = efSearch ?? _efSearch ?? SealedIndexOptions.DefaultEfSearchFor(_graph.LiveCount, count);
            List<(float Score, int Node)> found = _graph.Search(normalised, count, Math.Max(ef, count));
            if (_pending.Count == 0)
            {
                var keys = new TKey[found.Count];
                for (int i = 0; i < keys.Length; i++)
                {
                    keys[i] = _keys[found[i].Node]!;
                }

                return keys;
            }

            // The queue is scored exactly and merged with the graph's candidates by score.
            var merged = new List<(float Score, TKey Key)>(found.Count + _pending.Count);
            foreach ((float score, int node) in found)
            {
                merged.Add((score, _keys[node]!));
            }

            foreach ((TKey key, float[] vector) in _pending)
            {
                merged.Add((TensorPrimitives.Dot(normalised, vector), key));
            }

            merged.Sort((a, b) => b.Score.CompareTo(a.Score));
            return merged.Take(count).Select(m => m.Key).ToArray();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Writes the whole index (graph and keys) in its binary format (plaintext: seal it before storing); queued vectors
    /// are inserted into the graph first, on the calling thread.
    /// </summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        while (IndexBatch())
        {
        }

        _lock.EnterReadLock();
        try
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(FormatVersion);
            // Kept for the format; 0 stands for the default rule. A loaded index takes EfSearch from its options.
            writer.Write(_efSearch ?? 0);
            _graph.Write(writer);
            for (int node = 0; node < _keys.Count; node++)
            {
                if (!_graph.IsDeleted(node) && _keys[node] is { } key)
                {
                    byte[] bytes = RecordKeyCodec<TKey>.Encode(key);
                    writer.Write(bytes.Length);
                    writer.Write(bytes);
                }
                else
                {
                    writer.Write(-1);
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The number of bytes <see cref="WriteTo"/> writes now.</summary>
    internal long SerializedLength()
    {
        using var counter = new CountingStream();
        WriteTo(counter);
        return counter.Length;
    }

    /// <summary>A copy of every key in the index.</summary>
    internal List<TKey> Keys()
    {
        _lock.EnterReadLock();
        try
        {
            return [.. _nodes.Keys, .. _pending.Keys];
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Up to <paramref name="count"/> distinct keys drawn uniformly (with a cryptographic generator) from the index,
    /// none of them in <paramref name="exclude"/>: decoys for a fetch.
    /// </summary>
    internal List<TKey> RandomKeys(int count, IReadOnlyCollection<TKey> exclude)
    {
        _lock.EnterReadLock();
        try
        {
            var excluded = new HashSet<TKey>(exclude);
            count = Math.Min(count, _nodes.Count + _pending.Count - excluded.Count(k => _nodes.ContainsKey(k) || _pending.ContainsKey(k)));
            TKey[] pending = [.. _pending.Keys];
            var picked = new HashSet<TKey>();
            while (picked.Count < count)
            {
                // Uniform over graph slots and queued keys; deleted slots are drawn again.
                int slot = RandomNumberGenerator.GetInt32(_keys.Count + pending.Length);
                TKey? key = slot >= _keys.Count ? pending[slot - _keys.Count] : _graph.IsDeleted(slot) ? default : _keys[slot];
                if (key is not null && !excluded.Contains(key))
                {
                    picked.Add(key);
                }
            }

            return [.. picked];
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Reads an index written by <see cref="WriteTo"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not an index of this format and key type.</exception>
    internal static SealedVectorIndex<TKey> ReadFrom(Stream stream, SealedIndexOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        RecordKeyCodec<TKey>.EnsureSupported();
        try
        {
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            if (reader.ReadInt32() != FormatVersion)
            {
                throw new InvalidDataException("Unknown sealed index format.");
            }

            // The beam width is a query-time setting: options given now decide it; without them, the one written.
            int written = reader.ReadInt32();
            HnswGraph graph = HnswGraph.Read(reader);
            var index = new SealedVectorIndex<TKey>(graph, options ?? new SealedIndexOptions { EfSearch = written > 0 ? written : null });
            for (int node = 0; node < graph.Count; node++)
            {
                int length = reader.ReadInt32();
                if (length < 0)
                {
                    index._keys.Add(default);
                    if (!graph.IsDeleted(node))
                    {
                        throw new InvalidDataException("A live node of the sealed index has no key.");
                    }

                    continue;
                }

                if (stream.CanSeek && length > stream.Length - stream.Position)
                {
                    throw new InvalidDataException("The sealed index is truncated.");
                }

                TKey key = RecordKeyCodec<TKey>.Decode(reader.ReadBytes(length));
                if (graph.IsDeleted(node) || !index._nodes.TryAdd(key, node))
                {
                    throw new InvalidDataException("The sealed index maps a key to two nodes or a deleted node.");
                }

                index._keys.Add(key);
            }

            return index;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The sealed index is truncated.", e);
        }
    }

    /// <summary>
    /// Completes when every vector queued so far is in the graph (at once when none is queued or insertion is not
    /// deferred). Searches find queued vectors meanwhile; this only tells when the exact scan of the queue is over.
    /// </summary>
    public async Task WaitForIndexingAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task indexing;
            _lock.EnterReadLock();
            try
            {
                if (_pending.Count == 0)
                {
                    return;
                }

                indexing = _indexing;
            }
            finally
            {
                _lock.ExitReadLock();
            }

            await indexing.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the background insertion (after its current batch) and releases the lock.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Task indexing;
        do
        {
            indexing = Volatile.Read(ref _indexing);
            try
            {
                indexing.Wait();
            }
            catch (AggregateException)
            {
                // A failed background batch: nothing more to release.
            }
        }
        while (indexing != Volatile.Read(ref _indexing));

        _roomFreed.TrySetResult();
        _lock.Dispose();
    }

    /// <summary>Tests only: while set and not signalled, the background task waits before each batch (the queue stays as it is).</summary>
    internal ManualResetEventSlim? IndexingGate { get; set; }

    /// <summary>The background task: inserts queued vectors, batch by batch, until the queue is empty or the index is disposed.</summary>
    private void IndexQueued()
    {
        try
        {
            while (!_disposed && (IndexingGate?.Wait(Timeout.Infinite) ?? true) && IndexBatch())
            {
            }
        }
        finally
        {
            if (!_disposed)
            {
                _lock.EnterWriteLock();
                try
                {
                    _indexingRunning = false;
                    if (_queue.Count > 0)
                    {
                        // A batch failed or the loop ended early: hand the rest to a new task.
                        _indexingRunning = true;
                        _indexing = Task.Run(IndexQueued);
                    }
                }
                finally
                {
                    _lock.ExitWriteLock();
                }
            }
        }
    }

    /// <summary>
    /// Inserts the next batch of queued vectors into the graph under the writer lock (searches wait for one batch at
    /// most); false when the queue was empty.
    /// </summary>
    private bool IndexBatch()
    {
        _lock.EnterWriteLock();
        try
        {
            var keys = new List<TKey>();
            var vectors = new List<float[]>();
            int size = BatchPerThread * _threads;
            while (keys.Count < size && _queue.TryDequeue(out TKey? key))
            {
                if (_pending.Remove(key, out float[]? vector))
                {
                    keys.Add(key);
                    vectors.Add(vector);
                }
            }

            if (keys.Count == 0)
            {
                return _queue.Count > 0;
            }

            int first = _graph.AddRange(vectors, _threads);
            for (int i = 0; i < keys.Count; i++)
            {
                _nodes[keys[i]] = first + i;
                _keys.Add(keys[i]);
            }

            return true;
        }
        finally
        {
            // Writers waiting for room in the queue look again.
            SignalRoomLocked();
            _lock.ExitWriteLock();
        }
    }

    private float[] Normalise(ReadOnlySpan<float> vector, string paramName)
    {
        if (vector.Length != Dimensions)
        {
            throw new ArgumentException($"The vector has {vector.Length} dimensions; the index holds {Dimensions}.", paramName);
        }

        float norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm) || norm == 0f)
        {
            throw new ArgumentException("The vector contains NaN or infinity, or is zero.", paramName);
        }

        float[] normalised = new float[vector.Length];
        TensorPrimitives.Divide(vector, norm, normalised);
        return normalised;
    }
}

/// <summary>Reads <see cref="SealedVectorIndex{TKey}"/> instances.</summary>
public static class SealedVectorIndex
{
    /// <summary>Reads an index written by <see cref="SealedVectorIndex{TKey}.WriteTo"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not an index of this format and key type.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="TKey"/> is not string, Guid, int or long.</exception>
    public static SealedVectorIndex<TKey> ReadFrom<TKey>(Stream stream)
        where TKey : notnull => SealedVectorIndex<TKey>.ReadFrom(stream);
}
