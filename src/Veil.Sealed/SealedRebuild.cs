using System.Buffers.Binary;

namespace Veil.Sealed;

/// <summary>Progress of <see cref="SealedVectorStoreCollection{TKey, TRecord}.RebuildIndexAsync"/> (earlier, interrupted runs included).</summary>
/// <param name="Scanned">Rows read from the store so far.</param>
/// <param name="Indexed">Rows whose sealed vector opened and is in the new index.</param>
/// <param name="Failed">Rows whose sealed vector failed authentication (left out of the index).</param>
public readonly record struct SealedRebuildProgress(long Scanned, long Indexed, long Failed);

/// <summary>What <see cref="SealedVectorStoreCollection{TKey, TRecord}.RebuildIndexAsync"/> did (earlier, interrupted runs included).</summary>
/// <param name="Indexed">Rows in the rebuilt index.</param>
/// <param name="Failed">Rows whose sealed vector failed authentication: altered, moved from another record or collection, or sealed under a secret the keyring lacks (left out of the index; reading them throws).</param>
public readonly record struct SealedRebuildSummary(long Indexed, long Failed);

/// <summary>
/// The persisted position of a rebuild from a store scan: the sequence number of the partial snapshot holding the rows
/// indexed so far, how many rows of the scan it covers, and the counts. Sealed as a named record of the index storage;
/// while it exists the index is incomplete and loading it is refused.
/// </summary>
internal sealed record SealedRebuildCheckpoint(long SnapshotSequence, long Scanned, long Indexed, long Failed)
{
    public const int Length = 32;

    public static readonly SealedRebuildCheckpoint Start = new(-1, 0, 0, 0);

    public byte[] Encode()
    {
        byte[] data = new byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(data, SnapshotSequence);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(8), Scanned);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(16), Indexed);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(24), Failed);
        return data;
    }

    /// <exception cref="InvalidDataException">The checkpoint is malformed.</exception>
    public static SealedRebuildCheckpoint Decode(ReadOnlySpan<byte> data)
    {
        var checkpoint = data.Length == Length
            ? new SealedRebuildCheckpoint(
                BinaryPrimitives.ReadInt64BigEndian(data),
                BinaryPrimitives.ReadInt64BigEndian(data[8..]),
                BinaryPrimitives.ReadInt64BigEndian(data[16..]),
                BinaryPrimitives.ReadInt64BigEndian(data[24..]))
            : null;
        return checkpoint is { Scanned: >= 0 and <= int.MaxValue, Indexed: >= 0, Failed: >= 0 } c && c.Indexed + c.Failed == c.Scanned
            ? c
            : throw new InvalidDataException("The rebuild checkpoint is malformed.");
    }
}
