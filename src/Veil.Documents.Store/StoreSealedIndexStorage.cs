using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData;
using Veil.Sealed;

namespace Veil.Documents.Store;

/// <summary>
/// Persists a sealed collection's index in the store itself (DuckDB or PostgreSQL), in the shared
/// <see cref="SealedIndexRecord.CollectionName"/> collection, so that every <c>veil</c> process (and any instance of an
/// application) can load it. A snapshot's chunks are staged as rows, then published by upserting one row naming its
/// sequence number and chunk count (one row: atomic), then the previous snapshot's chunks and the log entries it covers
/// are deleted; a crash before the publish leaves the previous snapshot and the whole log.
/// </summary>
/// <param name="rows">The index collection.</param>
/// <param name="collection">The sealed collection whose index this is.</param>
public sealed class StoreSealedIndexStorage(VectorStoreCollection<string, SealedIndexRecord> rows, string collection) : ISealedIndexStorage
{
    private string PublishedKey => SealedIndexRecord.KeyOf(collection, SealedIndexRecord.PublishedKind, 0, 0);

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">A chunk of the published snapshot is missing.</exception>
    public async IAsyncEnumerable<SealedIndexBlob> ReadSnapshotAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (await PublishedAsync(cancellationToken).ConfigureAwait(false) is not { } published)
        {
            yield break;
        }

        for (int part = 0; part < published.Parts; part++)
        {
            string key = SealedIndexRecord.KeyOf(collection, SealedIndexRecord.SnapshotKind, published.Sequence, part);
            SealedIndexRecord chunk = await rows.GetAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"Chunk {part} of the sealed index snapshot of collection \"{collection}\" is missing.");
            yield return new SealedIndexBlob(published.Sequence, Convert.FromBase64String(chunk.Data));
        }
    }

    /// <inheritdoc/>
    public async Task WriteSnapshotAsync(long sequence, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        await rows.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        SealedIndexRecord? previous = await PublishedAsync(cancellationToken).ConfigureAwait(false);
        if (previous is not null && previous.Sequence >= sequence)
        {
            throw new SealedIndexConflictException($"A snapshot at sequence number {previous.Sequence} exists; this one is at {sequence}.");
        }

        int parts = 0;
        await foreach (ReadOnlyMemory<byte> chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await rows.UpsertAsync(Row(SealedIndexRecord.SnapshotKind, sequence, parts++, chunk), cancellationToken).ConfigureAwait(false);
        }

        // Publish (one row), then drop what the new snapshot replaces.
        SealedIndexRecord publish = Row(SealedIndexRecord.PublishedKind, 0, 0, ReadOnlyMemory<byte>.Empty);
        publish.Sequence = sequence;
        publish.Parts = parts;
        await rows.UpsertAsync(publish, cancellationToken).ConfigureAwait(false);

        var stale = new List<string>();
        if (previous is not null)
        {
            stale.AddRange(Enumerable.Range(0, previous.Parts).Select(p => SealedIndexRecord.KeyOf(collection, SealedIndexRecord.SnapshotKind, previous.Sequence, p)));
        }

        string name = collection;
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
    public async Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default)
    {
        await rows.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        SealedIndexRecord row = Row(SealedIndexRecord.LogKind, entry.Sequence, 0, entry.Data);
        if ((await PublishedAsync(cancellationToken).ConfigureAwait(false) is { } published && published.Sequence >= entry.Sequence)
            || await rows.GetAsync(row.Key, cancellationToken: cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new SealedIndexConflictException($"The sealed index of collection \"{collection}\" already holds change {entry.Sequence}: another writer.");
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

    /// <inheritdoc/>
    public async Task<byte[]?> ReadRecordAsync(string name, CancellationToken cancellationToken = default)
    {
        CheckName(name);
        return await rows.CollectionExistsAsync(cancellationToken).ConfigureAwait(false)
            && await rows.GetAsync(RecordKey(name), cancellationToken: cancellationToken).ConfigureAwait(false) is { } row
            ? Convert.FromBase64String(row.Data)
            : null;
    }

    /// <inheritdoc/>
    public async Task WriteRecordAsync(string name, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken = default)
    {
        CheckName(name);
        await rows.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        if (data is { } bytes)
        {
            SealedIndexRecord row = Row(SealedIndexRecord.RecordKind, 0, 0, bytes);
            row.Key = RecordKey(name);
            await rows.UpsertAsync(row, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await rows.DeleteAsync(RecordKey(name), cancellationToken).ConfigureAwait(false);
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

        // Every row but snapshot chunks is small; chunks are found by the published row (stale staged chunks by part 0 onwards).
        string name = collection;
        var keys = new List<string>();
        await foreach (SealedIndexRecord row in rows.GetAsync(r => r.Collection == name && r.Kind != SealedIndexRecord.SnapshotKind, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.Add(row.Key);
            if (row.Kind == SealedIndexRecord.PublishedKind)
            {
                keys.AddRange(Enumerable.Range(0, row.Parts).Select(p => SealedIndexRecord.KeyOf(name, SealedIndexRecord.SnapshotKind, row.Sequence, p)));
            }
        }

        if (keys.Count > 0)
        {
            await rows.DeleteAsync(keys, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 64 || name.Any(c => c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')))
        {
            throw new ArgumentException("A record name is 1–64 characters of a–z, 0–9 and '-'.", nameof(name));
        }
    }

    private string RecordKey(string name) => $"{collection}/{SealedIndexRecord.RecordKind}/{name}";

    private async Task<SealedIndexRecord?> PublishedAsync(CancellationToken cancellationToken) =>
        await rows.CollectionExistsAsync(cancellationToken).ConfigureAwait(false)
            ? await rows.GetAsync(PublishedKey, cancellationToken: cancellationToken).ConfigureAwait(false)
            : null;

    private SealedIndexRecord Row(string kind, long sequence, int part, ReadOnlyMemory<byte> data) => new()
    {
        Key = SealedIndexRecord.KeyOf(collection, kind, sequence, part),
        Collection = collection,
        Kind = kind,
        Sequence = sequence,
        Part = part,
        Parts = 1,
        Data = Convert.ToBase64String(data.Span),
    };
}
