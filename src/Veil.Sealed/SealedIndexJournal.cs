using System.Buffers.Binary;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;

namespace Veil.Sealed;

/// <summary>A change-log operation.</summary>
internal enum SealedChange : byte
{
    Upsert = (byte)'U',
    Delete = (byte)'D',
}

/// <summary>
/// Seals and unseals the index's snapshots (in chunks), change-log entries and named records. An entry lists (operation, record key) pairs, no
/// vector: on load, the keys of the entries after the snapshot are fetched from the store and re-indexed from their
/// rows, which repairs a crash between the log write and the row write in either direction.
/// </summary>
internal sealed class SealedIndexJournal<TKey>(SealedKeyring keys, string collection)
    where TKey : notnull
{
    private const int SnapshotIdLength = 16;

    // A stored chunk: snapshot id (16) ‖ chunk index (i32 BE) ‖ chunk count (i32 BE) ‖ sealed box.
    private const int ChunkPrefixLength = SnapshotIdLength + 8;

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

    /// <summary>
    /// Writes a sealed snapshot of <paramref name="index"/> in chunks of <paramref name="chunkBytes"/>: the index is
    /// serialised on a worker thread into a stream that seals each chunk as it fills and hands it to the storage through a
    /// one-slot channel, so at most a few chunks exist at a time (never the whole serialised index). Each chunk's
    /// associated data binds the collection, the sequence number, a random snapshot id, the chunk's index and the count.
    /// </summary>
    public async Task WriteSnapshotAsync(ISealedIndexStorage storage, long sequence, SealedVectorIndex<TKey> index, int chunkBytes, CancellationToken cancellationToken)
    {
        long length = index.SerializedLength();
        long count = Math.Max(1, (length + chunkBytes - 1) / chunkBytes);
        if (count > int.MaxValue)
        {
            throw new InvalidOperationException("The index is too large for its snapshot chunk size.");
        }

        byte[] id = RandomNumberGenerator.GetBytes(SnapshotIdLength);
        var channel = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        Task producer = Task.Run(
            () =>
            {
                try
                {
                    using var stream = new ChunkSealingStream(channel.Writer, chunkBytes, (i, plain) => SealChunk(sequence, id, i, (int)count, plain.Span));
                    index.WriteTo(stream);
                    stream.Finish();
                    if (stream.Chunks != count)
                    {
                        throw new InvalidOperationException("The index changed while its snapshot was written.");
                    }

                    channel.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    channel.Writer.TryComplete(e);
                    throw;
                }
            },
            CancellationToken.None);

        Exception? storageError = null;
        try
        {
            await storage.WriteSnapshotAsync(sequence, channel.Reader.ReadAllAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            storageError = e;
        }

        // Unblocks a producer the storage stopped reading (it then fails, and the storage's error is the one reported).
        channel.Writer.TryComplete();
        try
        {
            await producer.ConfigureAwait(false);
        }
        catch (Exception) when (storageError is not null)
        {
        }

        if (storageError is not null)
        {
            ExceptionDispatchInfo.Throw(storageError);
        }
    }

    /// <summary>
    /// Reads the current snapshot chunk by chunk (opening each and feeding it to the reader on a worker thread), or null
    /// when there is none.
    /// </summary>
    /// <exception cref="CryptographicException">A chunk fails authentication: altered, reordered, dropped before the end, or spliced from another snapshot.</exception>
    /// <exception cref="InvalidDataException">Chunks are missing at the end (truncated), there are more than declared, or the index is malformed.</exception>
    public async Task<(SealedVectorIndex<TKey> Index, long Sequence)?> ReadSnapshotAsync(ISealedIndexStorage storage, SealedIndexOptions? options, CancellationToken cancellationToken)
    {
        IAsyncEnumerator<SealedIndexBlob> chunks = storage.ReadSnapshotAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (chunks.ConfigureAwait(false))
        {
            if (!await chunks.MoveNextAsync().ConfigureAwait(false))
            {
                return null;
            }

            SealedIndexBlob first = chunks.Current;
            if (first.Data.Length < ChunkPrefixLength)
            {
                throw new InvalidDataException("The sealed index snapshot's first chunk is truncated.");
            }

            byte[] id = first.Data[..SnapshotIdLength].ToArray();
            int count = BinaryPrimitives.ReadInt32BigEndian(first.Data.Span[(SnapshotIdLength + 4)..]);
            if (count < 1)
            {
                throw new InvalidDataException("The sealed index snapshot declares no chunks.");
            }

            var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task<SealedVectorIndex<TKey>> reader = Task.Run(
                () =>
                {
                    try
                    {
                        using var stream = new ChannelReadStream(channel.Reader, stop.Token);
                        SealedVectorIndex<TKey> read = SealedVectorIndex<TKey>.ReadFrom(stream, options);
                        if (stream.ReadByte() != -1)
                        {
                            read.Dispose();
                            throw new InvalidDataException("The sealed index snapshot has data after the index.");
                        }

                        return read;
                    }
                    catch
                    {
                        stop.Cancel();
                        throw;
                    }
                },
                CancellationToken.None);

            Exception? chunkError = null;
            try
            {
                int position = 0;
                SealedIndexBlob chunk = first;
                while (true)
                {
                    if (chunk.Sequence != first.Sequence)
                    {
                        throw new InvalidDataException("The sealed index snapshot's chunks disagree on its sequence number.");
                    }

                    await channel.Writer.WriteAsync(OpenChunk(chunk, id, position, count), stop.Token).ConfigureAwait(false);
                    position++;
                    if (!await chunks.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    chunk = chunks.Current;
                    if (position == count)
                    {
                        throw new InvalidDataException("The sealed index snapshot has more chunks than it declares.");
                    }
                }

                if (position != count)
                {
                    throw new InvalidDataException($"The sealed index snapshot holds {position} of its {count} chunks: it was truncated.");
                }

                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                chunkError = e;
                channel.Writer.TryComplete(e);
            }

            SealedVectorIndex<TKey>? index = null;
            Exception? readError = null;
            try
            {
                index = await reader.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                readError = e;
            }

            Exception? error = chunkError is not null and not OperationCanceledException ? chunkError : readError ?? chunkError;
            if (error is not null)
            {
                index?.Dispose();
                ExceptionDispatchInfo.Throw(error);
            }

            return (index!, first.Sequence);
        }
    }

    /// <summary>Seals a named record (bound to the collection and the name).</summary>
    public byte[] SealRecord(string name, ReadOnlySpan<byte> plaintext) =>
        SealedBox.Seal(keys, SealedKind.IndexRecord, collection, Encoding.UTF8.GetBytes(name), plaintext);

    /// <exception cref="CryptographicException">The record fails authentication (altered, renamed, or from another collection).</exception>
    public byte[] OpenRecord(string name, ReadOnlySpan<byte> data) =>
        SealedBox.TryOpen(keys, SealedKind.IndexRecord, collection, Encoding.UTF8.GetBytes(name), data, out byte[] plaintext)
            ? plaintext
            : throw new CryptographicException($"The sealed index's '{name}' record failed authentication.");

    /// <summary>The head record: the last sequence number written.</summary>
    public byte[] SealHead(long sequence)
    {
        byte[] plaintext = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(plaintext, sequence);
        return SealRecord(SealedRecordNames.Head, plaintext);
    }

    /// <exception cref="CryptographicException">The head record fails authentication.</exception>
    /// <exception cref="InvalidDataException">It authenticates but is malformed.</exception>
    public long OpenHead(ReadOnlySpan<byte> data)
    {
        byte[] plaintext = OpenRecord(SealedRecordNames.Head, data);
        return plaintext.Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(plaintext) : throw new InvalidDataException("The sealed index's head record is malformed.");
    }

    private byte[] SealChunk(long sequence, byte[] id, int index, int count, ReadOnlySpan<byte> plaintext)
    {
        byte[] box = SealedBox.Seal(keys, SealedKind.IndexSnapshot, collection, ChunkContext(sequence, id, index, count), plaintext);
        byte[] chunk = new byte[ChunkPrefixLength + box.Length];
        id.CopyTo(chunk, 0);
        BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(SnapshotIdLength), index);
        BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(SnapshotIdLength + 4), count);
        box.CopyTo(chunk, ChunkPrefixLength);
        return chunk;
    }

    /// <summary>Opens the chunk at <paramref name="position"/> of the snapshot <paramref name="id"/> of <paramref name="count"/> chunks (whatever the chunk claims).</summary>
    private byte[] OpenChunk(SealedIndexBlob chunk, byte[] id, int position, int count)
    {
        ReadOnlySpan<byte> data = chunk.Data.Span;
        if (data.Length < ChunkPrefixLength
            || !SealedBox.TryOpen(keys, SealedKind.IndexSnapshot, collection, ChunkContext(chunk.Sequence, id, position, count), data[ChunkPrefixLength..], out byte[] plaintext))
        {
            throw new CryptographicException($"Chunk {position} of the sealed index snapshot failed authentication (altered, moved, or from another snapshot).");
        }

        return plaintext;
    }

    private static byte[] ChunkContext(long sequence, byte[] id, int index, int count)
    {
        byte[] context = new byte[8 + SnapshotIdLength + 8];
        BinaryPrimitives.WriteInt64BigEndian(context, sequence);
        id.CopyTo(context, 8);
        BinaryPrimitives.WriteInt32BigEndian(context.AsSpan(8 + SnapshotIdLength), index);
        BinaryPrimitives.WriteInt32BigEndian(context.AsSpan(12 + SnapshotIdLength), count);
        return context;
    }

    private static byte[] Context(long sequence)
    {
        byte[] context = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(context, sequence);
        return context;
    }
}
