using System.Buffers.Binary;

namespace Veil.Sealed;

/// <summary>Progress of <see cref="SealedVectorStoreCollection{TKey, TRecord}.ResealAsync"/>: rows examined so far (earlier runs included) of the total.</summary>
/// <param name="Done">Rows examined, re-sealed or not.</param>
/// <param name="Total">Rows to examine in all (the index's keys when this run started, plus those earlier runs examined).</param>
public readonly record struct SealedResealProgress(long Done, long Total);

/// <summary>What <see cref="SealedVectorStoreCollection{TKey, TRecord}.ResealAsync"/> did (earlier, interrupted runs included).</summary>
/// <param name="Resealed">Rows re-sealed under the primary secret.</param>
/// <param name="AlreadyCurrent">Rows already sealed under the primary secret (left as they were).</param>
/// <param name="Failed">Rows whose sealed vector failed authentication (left as they were; reading them throws).</param>
public readonly record struct SealedResealSummary(long Resealed, long AlreadyCurrent, long Failed);

/// <summary>
/// The persisted position of a re-seal: the encoded key of the last row of the last finished batch (rows are taken in
/// the order of their encoded keys), the counts so far and the secret being re-sealed to (a checkpoint for another
/// primary is ignored). Sealed as a named record of the index storage.
/// </summary>
internal sealed record SealedResealCheckpoint(uint Target, byte[]? After, long Done, long Resealed, long AlreadyCurrent, long Failed)
{
    /// <summary>Orders encoded keys bytewise.</summary>
    public static readonly IComparer<byte[]> KeyOrder = Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b));

    public static SealedResealCheckpoint Start(uint target) => new(target, null, 0, 0, 0, 0);

    public byte[] Encode()
    {
        byte[] after = After ?? [];
        byte[] data = new byte[4 + 4 + after.Length + 32];
        BinaryPrimitives.WriteUInt32BigEndian(data, Target);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), After is null ? -1 : after.Length);
        after.CopyTo(data, 8);
        Span<byte> counts = data.AsSpan(8 + after.Length);
        BinaryPrimitives.WriteInt64BigEndian(counts, Done);
        BinaryPrimitives.WriteInt64BigEndian(counts[8..], Resealed);
        BinaryPrimitives.WriteInt64BigEndian(counts[16..], AlreadyCurrent);
        BinaryPrimitives.WriteInt64BigEndian(counts[24..], Failed);
        return data;
    }

    /// <exception cref="InvalidDataException">The checkpoint is malformed.</exception>
    public static SealedResealCheckpoint Decode(ReadOnlySpan<byte> data)
    {
        int length = data.Length >= 8 ? BinaryPrimitives.ReadInt32BigEndian(data[4..]) : -2;
        if (length < -1 || data.Length != 8 + Math.Max(0, length) + 32)
        {
            throw new InvalidDataException("The re-seal checkpoint is malformed.");
        }

        ReadOnlySpan<byte> counts = data[(8 + Math.Max(0, length))..];
        return new SealedResealCheckpoint(
            BinaryPrimitives.ReadUInt32BigEndian(data),
            length < 0 ? null : data.Slice(8, length).ToArray(),
            BinaryPrimitives.ReadInt64BigEndian(counts),
            BinaryPrimitives.ReadInt64BigEndian(counts[8..]),
            BinaryPrimitives.ReadInt64BigEndian(counts[16..]),
            BinaryPrimitives.ReadInt64BigEndian(counts[24..]));
    }
}
