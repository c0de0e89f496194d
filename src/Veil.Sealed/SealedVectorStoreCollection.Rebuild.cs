using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;

namespace Veil.Sealed;

/// <content>Rebuilding a lost or corrupt index from a scan of the sealed rows in the store.</content>
public sealed partial class SealedVectorStoreCollection<TKey, TRecord>
{
    /// <summary>
    /// Rebuilds the index from the sealed rows in the store, for when its snapshot or change log is lost or corrupt:
    /// scans every row (<paramref name="batchSize"/> at a time, in the store's order: by key for the SQL stores), opens
    /// each sealed vector with the keyring and inserts it into a new index, then persists the index as a new snapshot
    /// after every sequence number the storage holds (replacing whatever snapshot and log were there) and swaps it in.
    /// </summary>
    /// <remarks>
    /// <para><b>Resumable.</b> The partial index is persisted as a snapshot with a sealed checkpoint (rows scanned, counts)
    /// each time the rows scanned since the last one reach the batch size and the rows before it (1, 2, 4, 8 … batches:
    /// at most twice the final snapshot's bytes are written in all); calling it again after a kill or cancellation loads
    /// that snapshot and continues the scan after it. While a checkpoint exists the persisted index is incomplete, and
    /// loading it is refused (<see cref="InvalidDataException"/>) until a rebuild finishes.</para>
    /// <para><b>Writes.</b> It takes the writer lease and holds this instance's writes until it is done; the scan assumes
    /// that no one else writes the rows meanwhile (the lease keeps other sealed writers out).</para>
    /// </remarks>
    /// <param name="batchSize">Rows read from the store per request.</param>
    /// <param name="progress">Told after every batch (on the calling flow, before the next batch starts).</param>
    /// <param name="cancellationToken">Stops between batches or during one; the last checkpoint keeps what was done.</param>
    /// <returns>The counts of this call and of the earlier calls the checkpoint records.</returns>
    /// <exception cref="SealedWriterLeaseException">Another instance holds the writer lease.</exception>
    public async Task<SealedRebuildSummary> RebuildIndexAsync(
        int batchSize = 1000, IProgress<SealedRebuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _lease.EnsureAsync(cancellationToken).ConfigureAwait(false);
            _index = null;
            (SealedVectorIndex<TKey> index, SealedRebuildCheckpoint checkpoint) = await StartRebuildAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                long sinceCheckpoint = 0;
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    (int read, int indexed) = await IndexPageAsync(index, checked((int)checkpoint.Scanned), batchSize, cancellationToken).ConfigureAwait(false);
                    checkpoint = checkpoint with
                    {
                        Scanned = checkpoint.Scanned + read,
                        Indexed = checkpoint.Indexed + indexed,
                        Failed = checkpoint.Failed + (read - indexed),
                    };
                    sinceCheckpoint += read;
                    progress?.Report(new SealedRebuildProgress(checkpoint.Scanned, checkpoint.Indexed, checkpoint.Failed));
                    if (read < batchSize)
                    {
                        break;
                    }

                    if (sinceCheckpoint >= Math.Max(batchSize, checkpoint.Scanned - sinceCheckpoint))
                    {
                        await WriteSnapshotAsync(index, cancellationToken).ConfigureAwait(false);
                        checkpoint = checkpoint with { SnapshotSequence = _snapshotSequence };
                        await WriteRebuildCheckpointAsync(checkpoint, cancellationToken).ConfigureAwait(false);
                        sinceCheckpoint = 0;
                    }
                }

                await WriteSnapshotAsync(index, cancellationToken).ConfigureAwait(false);
                await _storage.WriteRecordAsync(SealedRecordNames.RebuildCheckpoint, null, cancellationToken).ConfigureAwait(false);
                _index = index;
                return new SealedRebuildSummary(checkpoint.Indexed, checkpoint.Failed);
            }
            catch
            {
                index.Dispose();
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The partial index and checkpoint of an interrupted rebuild when both are intact and agree; otherwise an empty index
    /// and a new checkpoint (written before anything else, so that a partial snapshot is never taken for the index).
    /// Either way the next snapshot gets a sequence number after every one the storage holds.
    /// </summary>
    private async Task<(SealedVectorIndex<TKey> Index, SealedRebuildCheckpoint Checkpoint)> StartRebuildAsync(CancellationToken cancellationToken)
    {
        long highest = Math.Max(await HighestStoredSequenceAsync(cancellationToken).ConfigureAwait(false), Math.Max(_highestSequence, _minimumSequence));
        Interlocked.Exchange(ref _sequence, highest);
        _highestSequence = highest;
        _snapshotSequence = highest;
        _headMissing = true;

        SealedRebuildCheckpoint? checkpoint = await ReadRebuildCheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (checkpoint is { SnapshotSequence: >= 0 })
        {
            try
            {
                if (await _journal.ReadSnapshotAsync(_storage, _options.Index, cancellationToken).ConfigureAwait(false) is { } snapshot)
                {
                    if (snapshot.Sequence == checkpoint.SnapshotSequence && snapshot.Index.Dimensions == _model.Dimensions && snapshot.Index.Count == checkpoint.Indexed)
                    {
                        return (snapshot.Index, checkpoint);
                    }

                    snapshot.Index.Dispose();
                }
            }
            catch (Exception e) when (e is CryptographicException or InvalidDataException)
            {
                // The partial snapshot is unreadable: start the scan again.
            }
        }

        await WriteRebuildCheckpointAsync(SealedRebuildCheckpoint.Start, cancellationToken).ConfigureAwait(false);
        return (new SealedVectorIndex<TKey>(_model.Dimensions, _options.Index), SealedRebuildCheckpoint.Start);
    }

    /// <summary>Reads one page of rows from the store and indexes those whose sealed vector opens.</summary>
    private async Task<(int Read, int Indexed)> IndexPageAsync(SealedVectorIndex<TKey> index, int skip, int batchSize, CancellationToken cancellationToken)
    {
        int read = 0;
        int indexed = 0;
        using SealedVectorIndex<TKey>.QueueReservation room = await index.ReserveQueueRoomAsync(batchSize, cancellationToken).ConfigureAwait(false);
        var options = new FilteredRecordRetrievalOptions<TRecord> { Skip = skip, IncludeVectors = false };
        await foreach (TRecord stored in _inner.GetAsync(_ => true, batchSize, options, cancellationToken).ConfigureAwait(false))
        {
            read++;
            if (_model.GetKey(stored) is TKey key && TryOpenVector(key, _model.GetSealed(stored), out float[] vector))
            {
                index.Upsert(key, vector);
                indexed++;
            }
        }

        return (read, indexed);
    }

    /// <summary>The highest sequence number of any blob the storage holds (the blobs are not opened: they may be corrupt).</summary>
    private async Task<long> HighestStoredSequenceAsync(CancellationToken cancellationToken)
    {
        long highest = 0;
        await foreach (SealedIndexBlob chunk in _storage.ReadSnapshotAsync(cancellationToken).ConfigureAwait(false))
        {
            highest = Math.Max(highest, chunk.Sequence);
            break;
        }

        await foreach (SealedIndexBlob entry in _storage.ReadLogAsync(highest, cancellationToken).ConfigureAwait(false))
        {
            highest = Math.Max(highest, entry.Sequence);
        }

        try
        {
            if (await _storage.ReadRecordAsync(SealedRecordNames.Head, cancellationToken).ConfigureAwait(false) is { } head)
            {
                highest = Math.Max(highest, _journal.OpenHead(head));
            }
        }
        catch (Exception e) when (e is CryptographicException or InvalidDataException)
        {
            // A corrupt head record is replaced by the rebuild's.
        }

        return highest;
    }

    private async Task<SealedRebuildCheckpoint?> ReadRebuildCheckpointAsync(CancellationToken cancellationToken)
    {
        byte[]? data = await _storage.ReadRecordAsync(SealedRecordNames.RebuildCheckpoint, cancellationToken).ConfigureAwait(false);
        try
        {
            return data is null ? null : SealedRebuildCheckpoint.Decode(_journal.OpenRecord(SealedRecordNames.RebuildCheckpoint, data));
        }
        catch (Exception e) when (e is CryptographicException or InvalidDataException)
        {
            return null;
        }
    }

    private Task WriteRebuildCheckpointAsync(SealedRebuildCheckpoint checkpoint, CancellationToken cancellationToken) =>
        _storage.WriteRecordAsync(SealedRecordNames.RebuildCheckpoint, _journal.SealRecord(SealedRecordNames.RebuildCheckpoint, checkpoint.Encode()), cancellationToken);

    /// <exception cref="InvalidDataException">A rebuild was interrupted: the persisted index is partial.</exception>
    private async Task RefuseInterruptedRebuildAsync(CancellationToken cancellationToken)
    {
        if (await _storage.ReadRecordAsync(SealedRecordNames.RebuildCheckpoint, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new InvalidDataException("The sealed index is being rebuilt from the store (an interrupted RebuildIndexAsync): call RebuildIndexAsync again to finish it.");
        }
    }
}
