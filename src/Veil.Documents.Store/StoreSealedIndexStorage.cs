using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData;
using Veil.Sealed;

namespace Veil.Documents.Store;

/// <summary>
/// Persists a sealed collection's index in the store itself (DuckDB or PostgreSQL), in the shared
/// <see cref="SealedIndexRecord.CollectionName"/> collection, so that every <c>veil</c> process (and any instance of an
/// application) can load it. Snapshots are split into parts (<see cref="DefaultPartBytes"/> by default); a new snapshot's parts are all
/// written before the older snapshot and the log entries it covers are deleted, and a reader takes the newest snapshot
/// whose parts are all there, so a crash while writing leaves the previous snapshot and log usable.
/// </summary>
/// <param name="rows">The index collection.</param>
/// <param name="collection">The sealed collection whose index this is.</param>
/// <param name="partBytes">The bytes of sealed data per stored part of a snapshot (default <see cref="DefaultPartBytes"/>).</param>
public sealed class StoreSealedIndexStorage(VectorStoreCollection<string, SealedIndexRecord> rows, string collection, int partBytes = StoreSealedIndexStorage.DefaultPartBytes) : ISealedIndexStorage
{
    /// <summary>The default bytes of sealed data per stored part of a snapshot (4 MiB, 5.6 MB of base64).</summary>
    public const int DefaultPartBytes = 4 << 20;

    private readonly int _partBytes = partBytes >= 1 ? partBytes : throw new ArgumentOutOfRangeException(nameof(partBytes));

    /// <inheritdoc/>
    public async Task<SealedIndexBlob?> ReadSnapshotAsync(CancellationToken cancellationToken = default)
    {
        if (!await rows.CollectionExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        // First the first part of every snapshot (small), then the newest complete one.
        string name = collection;
        var heads = new List<SealedIndexRecord>();
        await foreach (SealedIndexRecord head in rows.GetAsync(r => r.Collection == name && r.Kind == SealedIndexRecord.SnapshotKind && r.Part == 0, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            heads.Add(head);
        }

        foreach (SealedIndexRecord head in heads.OrderByDescending(h => h.Sequence))
        {
            if (await ReadPartsAsync(head, cancellationToken).ConfigureAwait(false) is { } data)
            {
                return new SealedIndexBlob(head.Sequence, data);
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public async Task WriteSnapshotAsync(SealedIndexBlob snapshot, CancellationToken cancellationToken = default)
    {
        await rows.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        ReadOnlyMemory<byte> data = snapshot.Data;
        int parts = Math.Max(1, (data.Length + _partBytes - 1) / _partBytes);
        for (int part = 0; part < parts; part++)
        {
            ReadOnlyMemory<byte> piece = data.Slice(part * _partBytes, Math.Min(_partBytes, data.Length - (part * _partBytes)));
            await rows.UpsertAsync(Row(SealedIndexRecord.SnapshotKind, snapshot.Sequence, part, parts, piece), cancellationToken).ConfigureAwait(false);
        }

        // The new snapshot is complete: drop the older ones and the log it covers.
        string name = collection;
        long sequence = snapshot.Sequence;
        var stale = new List<string>();
        await foreach (SealedIndexRecord head in rows.GetAsync(r => r.Collection == name && r.Kind == SealedIndexRecord.SnapshotKind && r.Part == 0 && r.Sequence != sequence, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            stale.AddRange(Enumerable.Range(0, head.Parts).Select(p => SealedIndexRecord.KeyOf(name, SealedIndexRecord.SnapshotKind, head.Sequence, p)));
        }

        await foreach (SealedIndexRecord entry in rows.GetAsync(r => r.Collection == name && r.Kind == SealedIndexRecord.LogKind && r.Sequence <= sequence, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            stale.Add(entry.Key);
        }

        if (stale.Count > 0)
        {
            await rows.DeleteAsync(stale, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The log already holds an entry with this sequence number (another writer).</exception>
    public async Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default)
    {
        await rows.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        SealedIndexRecord row = Row(SealedIndexRecord.LogKind, entry.Sequence, 0, 1, entry.Data);
        if (await rows.GetAsync(row.Key, cancellationToken: cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new InvalidOperationException($"The sealed index of collection \"{collection}\" already holds change {entry.Sequence}: another process is writing to it.");
        }

        await rows.UpsertAsync(row, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<SealedIndexBlob> ReadLogAsync(long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!await rows.CollectionExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            yield break;
        }

        string name = collection;
        var entries = new List<SealedIndexRecord>();
        await foreach (SealedIndexRecord entry in rows.GetAsync(r => r.Collection == name && r.Kind == SealedIndexRecord.LogKind && r.Sequence > afterSequence, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
        }

        foreach (SealedIndexRecord entry in entries.OrderBy(e => e.Sequence))
        {
            yield return new SealedIndexBlob(entry.Sequence, Convert.FromBase64String(entry.Data));
        }
    }

    /// <summary>Deletes every stored piece of this collection's index.</summary>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>A task that completes when they are deleted.</returns>
    public async Task DeleteAllAsync(CancellationToken cancellationToken)
    {
        if (!await rows.CollectionExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        string name = collection;
        var keys = new List<string>();
        await foreach (SealedIndexRecord head in rows.GetAsync(r => r.Collection == name && r.Part == 0, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.AddRange(Enumerable.Range(0, Math.Max(1, head.Parts)).Select(p => SealedIndexRecord.KeyOf(name, head.Kind, head.Sequence, p)));
        }

        if (keys.Count > 0)
        {
            await rows.DeleteAsync(keys, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<byte[]?> ReadPartsAsync(SealedIndexRecord head, CancellationToken cancellationToken)
    {
        if (head.Parts < 1)
        {
            return null;
        }

        string[] keys = Enumerable.Range(0, head.Parts).Select(p => SealedIndexRecord.KeyOf(collection, SealedIndexRecord.SnapshotKind, head.Sequence, p)).ToArray();
        var parts = new Dictionary<int, byte[]>();
        await foreach (SealedIndexRecord row in rows.GetAsync(keys, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            parts[row.Part] = Convert.FromBase64String(row.Data);
        }

        if (parts.Count != head.Parts)
        {
            return null;
        }

        var data = new byte[parts.Values.Sum(p => (long)p.Length)];
        int offset = 0;
        for (int part = 0; part < head.Parts; part++)
        {
            parts[part].CopyTo(data, offset);
            offset += parts[part].Length;
        }

        return data;
    }

    private SealedIndexRecord Row(string kind, long sequence, int part, int parts, ReadOnlyMemory<byte> data) => new()
    {
        Key = SealedIndexRecord.KeyOf(collection, kind, sequence, part),
        Collection = collection,
        Kind = kind,
        Sequence = sequence,
        Part = part,
        Parts = parts,
        Data = Convert.ToBase64String(data.Span),
    };
}
