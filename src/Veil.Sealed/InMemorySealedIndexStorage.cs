using System.Runtime.CompilerServices;

namespace Veil.Sealed;

/// <summary>An <see cref="ISealedIndexStorage"/> in memory, for tests and single-process use. Thread-safe.</summary>
public sealed class InMemorySealedIndexStorage : ISealedIndexStorage
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, byte[]> _log = [];
    private SealedIndexBlob? _snapshot;

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

    /// <summary>Changes a stored log entry in place (to simulate tampering with the store).</summary>
    public void Tamper(long sequence, Func<byte[], byte[]> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            _log[sequence] = change(_log[sequence]);
        }
    }

    /// <inheritdoc/>
    public Task<SealedIndexBlob?> ReadSnapshotAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_snapshot is { } s ? new SealedIndexBlob(s.Sequence, s.Data.ToArray()) : (SealedIndexBlob?)null);
        }
    }

    /// <inheritdoc/>
    public Task WriteSnapshotAsync(SealedIndexBlob snapshot, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _snapshot = new SealedIndexBlob(snapshot.Sequence, snapshot.Data.ToArray());
            foreach (long sequence in _log.Keys.Where(k => k <= snapshot.Sequence).ToList())
            {
                _log.Remove(sequence);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_log.TryAdd(entry.Sequence, entry.Data.ToArray()))
            {
                throw new InvalidOperationException($"The change log already holds sequence number {entry.Sequence}.");
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
}
