using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Veil.Sealed;

/// <summary>A change-log operation.</summary>
internal enum SealedChange : byte
{
    Upsert = (byte)'U',
    Delete = (byte)'D',
}

/// <summary>
/// Seals and unseals the index's snapshots and change-log entries. An entry lists (operation, record key) pairs, no
/// vector: on load, the keys of the entries after the snapshot are fetched from the store and re-indexed from their
/// rows, which repairs a crash between the log write and the row write in either direction.
/// </summary>
internal sealed class SealedIndexJournal<TKey>(SealedKeyring keys, string collection)
    where TKey : notnull
{
    public byte[] SealEntry(long sequence, IReadOnlyList<(SealedChange Change, TKey Key)> changes)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
        {
            writer.Write(changes.Count);
            foreach ((SealedChange change, TKey key) in changes)
            {
                byte[] bytes = RecordKeyCodec<TKey>.Encode(key);
                writer.Write((byte)change);
                writer.Write(bytes.Length);
                writer.Write(bytes);
            }
        }

        return SealedBox.Seal(keys, SealedKind.IndexLogEntry, collection, Context(sequence), buffer.ToArray());
    }

    /// <exception cref="CryptographicException">The entry fails authentication (altered, moved or from another collection).</exception>
    /// <exception cref="InvalidDataException">The entry authenticates but is malformed.</exception>
    public List<(SealedChange Change, TKey Key)> OpenEntry(SealedIndexBlob entry)
    {
        if (!SealedBox.TryOpen(keys, SealedKind.IndexLogEntry, collection, Context(entry.Sequence), entry.Data.Span, out byte[] plaintext))
        {
            throw new CryptographicException($"Change-log entry {entry.Sequence} of the sealed index failed authentication.");
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(plaintext));
            int count = reader.ReadInt32();
            var changes = new List<(SealedChange, TKey)>(Math.Clamp(count, 0, 1024));
            for (int i = 0; i < count; i++)
            {
                var change = (SealedChange)reader.ReadByte();
                if (change is not (SealedChange.Upsert or SealedChange.Delete))
                {
                    throw new InvalidDataException("Unknown change in the sealed index log.");
                }

                changes.Add((change, RecordKeyCodec<TKey>.Decode(reader.ReadBytes(reader.ReadInt32()))));
            }

            return changes;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("A change-log entry of the sealed index is truncated.", e);
        }
    }

    public byte[] SealSnapshot(long sequence, SealedVectorIndex<TKey> index)
    {
        // Sized from the index so the buffer is not regrown; sealed from the buffer itself (no extra copy).
        using var buffer = new MemoryStream((int)Math.Min(int.MaxValue, index.GraphBytes + (64L * index.Count) + 1024));
        index.WriteTo(buffer);
        return SealedBox.Seal(keys, SealedKind.IndexSnapshot, collection, Context(sequence), buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <exception cref="CryptographicException">The snapshot fails authentication.</exception>
    /// <exception cref="InvalidDataException">The snapshot authenticates but is malformed.</exception>
    public SealedVectorIndex<TKey> OpenSnapshot(SealedIndexBlob snapshot)
    {
        if (!SealedBox.TryOpen(keys, SealedKind.IndexSnapshot, collection, Context(snapshot.Sequence), snapshot.Data.Span, out byte[] plaintext))
        {
            throw new CryptographicException("The sealed index snapshot failed authentication.");
        }

        using var stream = new MemoryStream(plaintext);
        return SealedVectorIndex<TKey>.ReadFrom(stream);
    }

    private static byte[] Context(long sequence)
    {
        byte[] context = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(context, sequence);
        return context;
    }
}
