using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Veil.Sealed;

/// <summary>
/// Another instance holds the writer lease of this collection's sealed index: nothing was written. The sealed mode
/// allows one writing instance per collection at a time; retry after the other writer releases the lease or after
/// <see cref="ExpiresAt"/> (a crashed writer's lease simply expires).
/// </summary>
public sealed class SealedWriterLeaseException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public SealedWriterLeaseException()
        : base("Another writer holds this collection's sealed index lease: one writer per collection.")
    {
    }

    /// <summary>Creates the exception for a lease held until <paramref name="expiresAt"/>.</summary>
    public SealedWriterLeaseException(DateTimeOffset expiresAt)
        : base($"Another writer holds this collection's sealed index lease until {expiresAt:O}: one writer per collection. Retry after it is released or expires.")
    {
        ExpiresAt = expiresAt;
    }

    /// <summary>Creates the exception with a message.</summary>
    public SealedWriterLeaseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SealedWriterLeaseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>When the other writer's lease expires unless it renews it (null when not known).</summary>
    public DateTimeOffset? ExpiresAt { get; }
}

/// <summary>
/// The writer lease of one collection's sealed index: a sealed named record of the index storage holding the owner
/// (a random id per collection instance) and an expiry. A writer takes it before its first write, renews it when half of
/// <see cref="SealedCollectionOptions.WriterLeaseDuration"/> has passed, and releases it on request; any other instance
/// that tries to write while it is unexpired is refused. Readers never look at it.
/// </summary>
/// <remarks>
/// The storage has no compare-and-swap, so taking the lease is read, write, read back: two instances that take an
/// expired or free lease within the same instant can both write it, and the read back leaves at most the last one
/// holding it; the sequence numbers of the change log still refuse the loser's stale writes
/// (<see cref="SealedIndexConflictException"/>). Instances are assumed to share a clock within a small fraction of the
/// lease duration.
/// </remarks>
internal sealed class SealedWriterLease(
    ISealedIndexStorage storage, Func<string, ReadOnlyMemory<byte>, byte[]> seal, Func<string, ReadOnlyMemory<byte>, byte[]> open, TimeProvider clock, TimeSpan duration, string? writerId)
{
    private readonly byte[] _owner = writerId is null ? RandomNumberGenerator.GetBytes(16) : SHA256.HashData(Encoding.UTF8.GetBytes(writerId))[..16];
    private DateTimeOffset? _expiresAt;

    /// <summary>Takes or renews the lease when it is not held with more than half its duration left.</summary>
    /// <exception cref="SealedWriterLeaseException">Another instance holds an unexpired lease.</exception>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = clock.GetUtcNow();
        if (_expiresAt is { } held && now < held - (duration / 2))
        {
            return;
        }

        _expiresAt = null;
        (byte[] Owner, DateTimeOffset ExpiresAt)? current = await ReadAsync(cancellationToken).ConfigureAwait(false);
        if (current is { } other && !other.Owner.AsSpan().SequenceEqual(_owner) && now < other.ExpiresAt)
        {
            throw new SealedWriterLeaseException(other.ExpiresAt);
        }

        DateTimeOffset expiresAt = now + duration;
        byte[] data = new byte[_owner.Length + 8];
        _owner.CopyTo(data, 0);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(_owner.Length), expiresAt.UtcTicks);
        await storage.WriteRecordAsync(SealedRecordNames.WriterLease, seal(SealedRecordNames.WriterLease, data), cancellationToken).ConfigureAwait(false);

        // Read back: of two instances that both found the lease free, only the one whose write landed last holds it.
        if (await ReadAsync(cancellationToken).ConfigureAwait(false) is not { } written || !written.Owner.AsSpan().SequenceEqual(_owner))
        {
            throw new SealedWriterLeaseException("Another writer took this collection's sealed index lease at the same time: one writer per collection.");
        }

        _expiresAt = expiresAt;
    }

    /// <summary>Deletes the lease record if this instance holds it.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        if (_expiresAt is null)
        {
            return;
        }

        _expiresAt = null;
        if (await ReadAsync(cancellationToken).ConfigureAwait(false) is { } current && current.Owner.AsSpan().SequenceEqual(_owner))
        {
            await storage.WriteRecordAsync(SealedRecordNames.WriterLease, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(byte[] Owner, DateTimeOffset ExpiresAt)?> ReadAsync(CancellationToken cancellationToken)
    {
        byte[]? sealedRecord = await storage.ReadRecordAsync(SealedRecordNames.WriterLease, cancellationToken).ConfigureAwait(false);
        if (sealedRecord is null)
        {
            return null;
        }

        byte[] data;
        try
        {
            data = open(SealedRecordNames.WriterLease, sealedRecord);
        }
        catch (CryptographicException)
        {
            // Only whoever controls the storage can alter the record, and they could as well delete it: the lease
            // coordinates honest writers, it is no protection against the storage. An unreadable lease is free.
            return null;
        }

        long ticks = data.Length == _owner.Length + 8 ? BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(_owner.Length)) : -1;
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return null;
        }

        return (data[.._owner.Length], new DateTimeOffset(ticks, TimeSpan.Zero));
    }
}
