using System.Runtime.CompilerServices;

namespace Veil.Sealed;

/// <summary>An <see cref="ISealedIndexStorage"/> in memory, for tests and single-process use. Thread-safe.</summary>
/// <remarks>The methods that change stored blobs in place exist to simulate an attacker or a crash in tests.</remarks>
public sealed class InMemorySealedIndexStorage : ISealedIndexStorage
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, byte[]> _log = [];
    private readonly Dictionary<string, byte[]> _records = [];
    private long _snapshotSequence;
    private List<byte[]>? _snapshot;

    /// <summary>The sequence numbers currently in the log.</summary>
    public IReadOnlyList<long> LogSequences
    {
        get
        {
            lock (_lock)
            {
                return [.. _log.Keys];
            }
        }
    }

    /// <summary>Whether a snapshot was written.</summary>
    public bool HasSnapshot
    {
        get
        {
            lock (_lock)
            {
                return _snapshot is not null;
            }
        }
    }

    /// <summary>Copies of the current snapshot's chunks (empty when there is none).</summary>
    public IReadOnlyList<byte[]> SnapshotChunks
    {
        get
        {
            lock (_lock)
            {
                return _snapshot?.Select(c => (byte[])c.Clone()).ToList() ?? [];
            }
        }
    }

    /// <summary>Changes a stored log entry in place (to simulate tampering with the store).</summary>
    public void Tamper(long sequence, Func<byte[], byte[]> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            _log[sequence] = change(_log[sequence]);
        }
    }

    /// <summary>Removes a log entry (to simulate an attacker dropping it).</summary>
    public void RemoveLogEntry(long sequence)
    {
        lock (_lock)
        {
            _log.Remove(sequence);
        }
    }

    /// <summary>Replaces the snapshot's chunks (to simulate tampering with the store).</summary>
    public void TamperSnapshot(Func<List<byte[]>, List<byte[]>> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            _snapshot = change([.. _snapshot ?? []]);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<SealedIndexBlob> ReadSnapshotAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<byte[]> chunks;
        long sequence;
        lock (_lock)
        {
            chunks = _snapshot?.Select(c => (byte[])c.Clone()).ToList() ?? [];
            sequence = _snapshotSequence;
        }

        foreach (byte[] chunk in chunks)
        {
            await Task.Yield();
            yield return new SealedIndexBlob(sequence, chunk);
        }
    }

    /// <inheritdoc/>
    public async Task WriteSnapshotAsync(long sequence, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var staged = new List<byte[]>();
        await foreach (ReadOnlyMemory<byte> chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            staged.Add(chunk.ToArray());
        }

        lock (_lock)
        {
            if (_snapshot is not null && _snapshotSequence >= sequence)
            {
                throw new SealedIndexConflictException($"A snapshot at sequence number {_snapshotSequence} exists; this one is at {sequence}.");
            }

            _snapshot = staged;
            _snapshotSequence = sequence;
            foreach (long covered in _log.Keys.Where(k => k <= sequence).ToList())
            {
                _log.Remove(covered);
            }
        }
    }

    /// <inheritdoc/>
    public Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if ((_snapshot is not null && entry.Sequence <= _snapshotSequence) || !_log.TryAdd(entry.Sequence, entry.Data.ToArray()))
            {
                throw new SealedIndexConflictException($"The sealed index already holds sequence number {entry.Sequence}: another writer.");
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<SealedIndexBlob> ReadLogAsync(long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<SealedIndexBlob> entries;
        lock (_lock)
        {
            entries = _log.Where(e => e.Key > afterSequence).Select(e => new SealedIndexBlob(e.Key, e.Value.ToArray())).ToList();
        }

        foreach (SealedIndexBlob entry in entries)
        {
            await Task.Yield();
            yield return entry;
        }
    }

    /// <inheritdoc/>
    public Task<byte[]?> ReadRecordAsync(string name, CancellationToken cancellationToken = default)
    {
        SealedRecordNames.Check(name);
        lock (_lock)
        {
            return Task.FromResult(_records.TryGetValue(name, out byte[]? data) ? (byte[]?)data.ToArray() : null);
        }
    }

    /// <inheritdoc/>
    public Task WriteRecordAsync(string name, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken = default)
    {
        SealedRecordNames.Check(name);
        lock (_lock)
        {
            if (data is { } bytes)
            {
                _records[name] = bytes.ToArray();
            }
            else
            {
                _records.Remove(name);
            }
        }

        return Task.CompletedTask;
    }
}
