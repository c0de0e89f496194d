namespace Veil.Sealed;

/// <summary>One sealed blob of the index: a snapshot or a change-log entry, with its sequence number.</summary>
/// <param name="Sequence">The sequence number (a snapshot's is that of the last change it includes).</param>
/// <param name="Data">The sealed bytes (opaque to the storage).</param>
public readonly record struct SealedIndexBlob(long Sequence, ReadOnlyMemory<byte> Data);

/// <summary>
/// Where the key holder's index is persisted: one snapshot and an append-only change log, every blob sealed with
/// AES-256-GCM before it gets here (bound to the collection, its kind and its sequence number). Implement it over any
/// blob store, file system or MEVD collection; the storage sees only blob sizes and sequence numbers.
/// </summary>
public interface ISealedIndexStorage
{
    /// <summary>The current snapshot, or null when none was written.</summary>
    Task<SealedIndexBlob?> ReadSnapshotAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces the snapshot (atomically); log entries up to its sequence number may then be dropped.</summary>
    Task WriteSnapshotAsync(SealedIndexBlob snapshot, CancellationToken cancellationToken = default);

    /// <summary>Appends a change-log entry; it must be durable when the task completes.</summary>
    Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default);

    /// <summary>The change-log entries after <paramref name="afterSequence"/>, in sequence order.</summary>
    IAsyncEnumerable<SealedIndexBlob> ReadLogAsync(long afterSequence, CancellationToken cancellationToken = default);
}
