namespace Veil.Sealed;

/// <summary>One sealed blob of the index: a snapshot chunk or a change-log entry, with its sequence number.</summary>
/// <param name="Sequence">The sequence number (a snapshot's is that of the last change it includes).</param>
/// <param name="Data">The sealed bytes (opaque to the storage).</param>
public readonly record struct SealedIndexBlob(long Sequence, ReadOnlyMemory<byte> Data);

/// <summary>
/// Where the key holder's index is persisted: one snapshot (a sequence of chunks), an append-only change log and a few
/// small named records (the head record, the writer lease, re-seal and rebuild checkpoints), every blob sealed with AES-256-GCM before it gets here
/// (bound to the collection, its kind, its sequence number or name, and for chunks the snapshot and the chunk's place).
/// Implement it over any blob store, file system or MEVD collection; the storage sees only blob sizes, sequence numbers
/// and record names.
/// </summary>
/// <remarks>
/// <para><b>Crash safety of a snapshot.</b> <see cref="WriteSnapshotAsync"/> must stage every chunk, then publish the
/// new snapshot in one atomic step, and only then drop the older snapshot and the log entries it covers. A crash before
/// the publish leaves the old snapshot and the whole log; a crash after it leaves the new snapshot (log entries it
/// covers may remain: readers skip them, since <see cref="ReadLogAsync"/> is asked for entries after the snapshot).</para>
/// <para><b>One writer.</b> <see cref="AppendAsync"/> and <see cref="WriteSnapshotAsync"/> refuse a sequence number
/// already used (a second writer working from a stale state) with <see cref="SealedIndexConflictException"/>.</para>
/// </remarks>
public interface ISealedIndexStorage
{
    /// <summary>The chunks of the current snapshot in order, each tagged with the snapshot's sequence number; none when no snapshot was written.</summary>
    IAsyncEnumerable<SealedIndexBlob> ReadSnapshotAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stages every chunk of <paramref name="chunks"/> (consumed once, in order), then publishes them atomically as the
    /// snapshot at <paramref name="sequence"/>, then drops older snapshots and the log entries up to it.
    /// </summary>
    /// <exception cref="SealedIndexConflictException">A snapshot at this or a later sequence number exists.</exception>
    Task WriteSnapshotAsync(long sequence, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default);

    /// <summary>Appends a change-log entry; it must be durable when the task completes.</summary>
    /// <exception cref="SealedIndexConflictException">The log already holds this sequence number, or a snapshot covers it.</exception>
    Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default);

    /// <summary>The change-log entries after <paramref name="afterSequence"/>, in sequence order.</summary>
    IAsyncEnumerable<SealedIndexBlob> ReadLogAsync(long afterSequence, CancellationToken cancellationToken = default);

    /// <summary>The named record (lower-case letters, digits and '-'), or null when it was never written or was deleted.</summary>
    Task<byte[]?> ReadRecordAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Replaces the named record atomically (durable when the task completes); null deletes it.</summary>
    Task WriteRecordAsync(string name, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken = default);
}

/// <summary>
/// A second writer was detected: the index storage already holds the sequence number this instance was about to write
/// (another instance appended or snapshotted since this one loaded). Nothing was written; the instance reloads the index
/// on next use. The sealed mode supports one writing instance per collection.
/// </summary>
public sealed class SealedIndexConflictException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public SealedIndexConflictException()
        : base("Another writer changed this collection's sealed index (a sequence number is already used): one writer per collection.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SealedIndexConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SealedIndexConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Checks names of <see cref="ISealedIndexStorage"/> records.</summary>
internal static class SealedRecordNames
{
    public const string Head = "head";
    public const string ResealCheckpoint = "reseal-checkpoint";
    public const string RebuildCheckpoint = "rebuild-checkpoint";
    public const string WriterLease = "writer-lease";

    /// <exception cref="ArgumentException">The name is empty, longer than 64 characters, or has characters other than a–z, 0–9 and '-'.</exception>
    public static void Check(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 64 || name.Any(c => c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')))
        {
            throw new ArgumentException("A record name is 1–64 characters of a–z, 0–9 and '-'.", nameof(name));
        }
    }
}
