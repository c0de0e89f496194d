using System.Linq.Expressions;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace Veil.Sealed;

/// <summary>
/// A <see cref="VectorStoreCollection{TKey, TRecord}"/> decorator whose store holds no geometry: each vector is sealed
/// with AES-256-GCM into the record's <see cref="SealedVectorAttribute"/> column (bound to the collection name and the
/// record key) and the vector column reaches the store empty. Search runs on the key holder: an HNSW index over
/// int8-quantised vectors picks K′ candidate keys, the collection fetches exactly those rows by key, opens them and
/// ranks them exactly.
/// </summary>
/// <remarks>
/// <para><b>What the store sees.</b> Record keys, the other columns as given, one opaque base64 string of fixed length
/// per row, and per query the K′ keys fetched. No coordinate, distance or similarity.</para>
/// <para><b>Index persistence.</b> Every upsert or delete call first appends a sealed change-log entry (its keys) to
/// <see cref="ISealedIndexStorage"/>, then writes the rows, then updates the index in memory; every
/// <see cref="SealedCollectionOptions.SnapshotInterval"/> entries a sealed snapshot replaces the log. Loading reads the
/// snapshot, then re-indexes the keys of the later entries from their rows, so a crash between the log write and the
/// row write is repaired (a failed store write also makes this instance reload). Writes are serialised per instance;
/// one writing instance per collection.</para>
/// <para><b>Filters</b> apply to the plaintext columns and are evaluated by the store (see
/// <see cref="SealedCollectionOptions.FilteredScanLimit"/>); a filtered search does not fetch a fixed K′.</para>
/// <para><b>Not supported yet.</b> Several vector properties, text queries, Euclidean distances.</para>
/// </remarks>
/// <typeparam name="TKey">The record key: string, Guid, int or long.</typeparam>
/// <typeparam name="TRecord">The record type: one vector property and a string property marked [SealedVector].</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A VectorStoreCollection, named like MEVD's.")]
public sealed class SealedVectorStoreCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    private const int FetchBatch = 1000;

    private readonly VectorStoreCollection<TKey, TRecord> _inner;
    private readonly SealedKeyring _keys;
    private readonly ISealedIndexStorage _storage;
    private readonly SealedCollectionOptions _options;
    private readonly SealedRecordModel<TRecord> _model;
    private readonly SealedIndexJournal<TKey> _journal;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile SealedVectorIndex<TKey>? _index;
    private long _sequence;
    private long _snapshotSequence;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <exception cref="ArgumentException">The record type lacks a key or a [SealedVector] string column, or the options are out of range.</exception>
    /// <exception cref="NotSupportedException">The key type, vector type or distance function is not supported.</exception>
    public SealedVectorStoreCollection(
        VectorStoreCollection<TKey, TRecord> inner, SealedKeyring keys, ISealedIndexStorage indexStorage, SealedCollectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(indexStorage);
        RecordKeyCodec<TKey>.EnsureSupported();
        _options = options ?? new SealedCollectionOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Candidates, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.SnapshotInterval, 1, nameof(options));
        _model = new SealedRecordModel<TRecord>(_options.Definition);
        _inner = inner;
        _keys = keys;
        _storage = indexStorage;
        _journal = new SealedIndexJournal<TKey>(keys, inner.Name);
    }

    /// <inheritdoc/>
    public override string Name => _inner.Name;

    /// <summary>The collection that stores the sealed records.</summary>
    public VectorStoreCollection<TKey, TRecord> InnerCollection => _inner;

    /// <inheritdoc/>
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) => _inner.CollectionExistsAsync(cancellationToken);

    /// <inheritdoc/>
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default) => _inner.EnsureCollectionExistsAsync(cancellationToken);

    /// <summary>Deletes the inner collection, then replaces the persisted index with an empty snapshot.</summary>
    public override async Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _index ??= await LoadAsync(cancellationToken).ConfigureAwait(false);
            await _inner.EnsureCollectionDeletedAsync(cancellationToken).ConfigureAwait(false);
            _index = new SealedVectorIndex<TKey>(_model.Dimensions, _options.Index);
            _sequence++;
            await WriteSnapshotAsync(_index, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Loads the index (snapshot, then the change log, repairing from the rows) if it is not loaded yet.</summary>
    /// <exception cref="CryptographicException">The snapshot or a log entry fails authentication.</exception>
    /// <exception cref="InvalidDataException">The change log has a gap, or a blob is malformed.</exception>
    public async Task LoadIndexAsync(CancellationToken cancellationToken = default) => _ = await IndexAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Writes a sealed snapshot of the index now (the change log up to it may then be dropped).</summary>
    public async Task SnapshotAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteSnapshotAsync(_index ??= await LoadAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Seals a copy of <paramref name="record"/> and upserts it.</summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The record has no key, or its vector is missing, of the wrong dimension, zero or not finite.</exception>
    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default) => UpsertAsync([record], cancellationToken);

    /// <summary>Seals copies of <paramref name="records"/> and upserts them (one change-log entry for the call).</summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A record has no key, or its vector is missing, of the wrong dimension, zero or not finite.</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var sealedRecords = new List<TRecord>();
        var changes = new List<(SealedChange, TKey)>();
        var vectors = new List<float[]>();
        foreach (TRecord record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
            TKey key = _model.GetKey(record) is TKey k ? k : throw new ArgumentException("The sealed collection needs every record's key set before upsert.", nameof(records));
            float[] vector = CheckVector(_model.GetVector(record), nameof(records));
            TRecord copy = SealedRecordModel<TRecord>.Clone(record);
            _model.SetSealed(copy, Convert.ToBase64String(SealVector(key, vector)));
            _model.SetVector(copy, null);
            sealedRecords.Add(copy);
            changes.Add((SealedChange.Upsert, key));
            vectors.Add(vector);
        }

        if (sealedRecords.Count == 0)
        {
            return;
        }

        await WriteAsync(
            changes,
            ct => _inner.UpsertAsync(sealedRecords, ct),
            index =>
            {
                for (int i = 0; i < changes.Count; i++)
                {
                    index.Upsert(changes[i].Item2, vectors[i]);
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default) => DeleteAsync([key], cancellationToken);

    /// <inheritdoc/>
    public override async Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        List<TKey> list = keys.ToList();
        if (list.Count == 0)
        {
            return;
        }

        await WriteAsync(
            list.Select(k => (SealedChange.Delete, k)).ToList(),
            ct => _inner.DeleteAsync(list, ct),
            index => list.ForEach(k => index.Delete(k)),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets a record by key; its sealed vector is authenticated (and restored with IncludeVectors).</summary>
    /// <inheritdoc/>
    /// <exception cref="CryptographicException">The stored vector fails authentication: altered, or moved from another record or collection.</exception>
    public override async Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        TRecord? stored = await _inner.GetAsync(key, Plain(options), cancellationToken).ConfigureAwait(false);
        return stored is null ? null : Open(stored, options?.IncludeVectors ?? false).Record;
    }

    /// <inheritdoc cref="GetAsync(TKey, RecordRetrievalOptions?, CancellationToken)"/>
    public override async IAsyncEnumerable<TRecord> GetAsync(
        IEnumerable<TKey> keys, RecordRetrievalOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (TRecord stored in _inner.GetAsync(keys, Plain(options), cancellationToken).ConfigureAwait(false))
        {
            yield return Open(stored, options?.IncludeVectors ?? false).Record;
        }
    }

    /// <summary>Gets the records matching a filter on the plaintext columns (passed to the store as is).</summary>
    /// <inheritdoc/>
    /// <exception cref="CryptographicException">A stored vector fails authentication.</exception>
    public override async IAsyncEnumerable<TRecord> GetAsync(
        Expression<Func<TRecord, bool>> filter, int top, FilteredRecordRetrievalOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        bool includeVectors = options?.IncludeVectors ?? false;
        if (options is not null)
        {
            options = new FilteredRecordRetrievalOptions<TRecord> { Skip = options.Skip, OrderBy = options.OrderBy, IncludeVectors = false };
        }

        await foreach (TRecord stored in _inner.GetAsync(filter, top, options, cancellationToken).ConfigureAwait(false))
        {
            yield return Open(stored, includeVectors).Record;
        }
    }

    /// <summary>
    /// Searches with a plaintext vector (<c>ReadOnlyMemory&lt;float&gt;</c>, <c>float[]</c> or <c>Embedding&lt;float&gt;</c>):
    /// the key holder's index picks K′ candidates, exactly those rows are fetched by key, opened and ranked exactly;
    /// scores are the exact ones of the vector property's distance function. A filter (on the plaintext columns) goes to
    /// the store: see <see cref="SealedCollectionOptions.FilteredScanLimit"/>.
    /// </summary>
    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The search value is of another type.</exception>
    /// <exception cref="ArgumentException">The query has the wrong dimension, is zero or not finite.</exception>
    /// <exception cref="CryptographicException">A fetched row's vector fails authentication.</exception>
    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(
        TInput searchValue, int top, VectorSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new VectorSearchOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, nameof(options));
        ReadOnlyMemory<float> value = searchValue switch
        {
            ReadOnlyMemory<float> memory => memory,
            float[] array => array,
            Embedding<float> embedding => embedding.Vector,
            _ => throw new NotSupportedException(
                $"The sealed collection searches with a plaintext vector (ReadOnlyMemory<float>, float[] or Embedding<float>), not with '{typeof(TInput).Name}'."),
        };
        float[] query = CheckVector(value, nameof(searchValue));
        int wanted = checked(options.Skip + top);
        SealedVectorIndex<TKey> index = await IndexAsync(cancellationToken).ConfigureAwait(false);
        List<(double Score, TRecord Record)> scored = options.Filter is null
            ? await FetchAndScoreAsync(index.Search(query, Math.Max(_options.Candidates, wanted)), query, options.IncludeVectors, null, cancellationToken).ConfigureAwait(false)
            : await FilteredAsync(index, query, wanted, options.Filter, options.IncludeVectors, cancellationToken).ConfigureAwait(false);

        IEnumerable<(double Score, TRecord Record)> ordered = _model.HigherIsBetter ? scored.OrderByDescending(s => s.Score) : scored.OrderBy(s => s.Score);
        foreach ((double score, TRecord record) in ordered.Skip(options.Skip).Take(top))
        {
            yield return new VectorSearchResult<TRecord>(record, score);
        }
    }

    /// <summary>Answers this collection for its own types and forwards other requests to the inner collection (never the keys).</summary>
    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this
            : serviceType == typeof(SealedKeyring) ? null
            : _inner.GetService(serviceType, serviceKey);
    }

    /// <summary>Disposes the inner collection and the index (not the keyring or the storage).</summary>
    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _index?.Dispose();
            _gate.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// The rows matching <paramref name="filter"/>, scored: all of them when the store finds at most
    /// <see cref="SealedCollectionOptions.FilteredScanLimit"/>; otherwise the matching ones among ever more index
    /// candidates, until <paramref name="wanted"/> match or the index is exhausted.
    /// </summary>
    private async Task<List<(double Score, TRecord Record)>> FilteredAsync(
        SealedVectorIndex<TKey> index, float[] query, int wanted, Expression<Func<TRecord, bool>> filter, bool includeVectors, CancellationToken cancellationToken)
    {
        int limit = _options.FilteredScanLimit;
        var matching = new List<(double Score, TRecord Record)>();
        await foreach (TRecord stored in _inner.GetAsync(filter, limit + 1, new FilteredRecordRetrievalOptions<TRecord> { IncludeVectors = false }, cancellationToken).ConfigureAwait(false))
        {
            (TRecord record, float[] vector) = Open(stored, includeVectors);
            matching.Add((Score(query, vector), record));
        }

        if (matching.Count <= limit)
        {
            return matching;
        }

        Func<TRecord, bool> predicate = filter.Compile();
        int total = index.Count;
        for (int count = Math.Max(_options.Candidates, wanted); ; count = (int)Math.Min(total, 2L * count))
        {
            List<(double Score, TRecord Record)> scored = await FetchAndScoreAsync(index.Search(query, count), query, includeVectors, predicate, cancellationToken).ConfigureAwait(false);
            if (scored.Count >= wanted || count >= total)
            {
                return scored;
            }
        }
    }

    private async Task<List<(double Score, TRecord Record)>> FetchAndScoreAsync(
        IReadOnlyList<TKey> candidates, float[] query, bool includeVectors, Func<TRecord, bool>? predicate, CancellationToken cancellationToken)
    {
        var scored = new List<(double Score, TRecord Record)>(candidates.Count);
        for (int start = 0; start < candidates.Count; start += FetchBatch)
        {
            IEnumerable<TKey> batch = candidates.Skip(start).Take(FetchBatch);
            await foreach (TRecord stored in _inner.GetAsync(batch, new RecordRetrievalOptions { IncludeVectors = false }, cancellationToken).ConfigureAwait(false))
            {
                (TRecord record, float[] vector) = Open(stored, includeVectors);
                if (predicate is null || predicate(record))
                {
                    scored.Add((Score(query, vector), record));
                }
            }
        }

        return scored;
    }

    private static RecordRetrievalOptions? Plain(RecordRetrievalOptions? options) =>
        options is null ? null : new RecordRetrievalOptions { IncludeVectors = false };

    private byte[] SealVector(TKey key, float[] vector) =>
        SealedBox.Seal(_keys, SealedKind.Vector, _inner.Name, RecordKeyCodec<TKey>.Encode(key), MemoryMarshal.AsBytes(vector.AsSpan()));

    private bool TryOpenVector(TKey key, string? sealedVector, out float[] vector)
    {
        vector = [];
        byte[] box;
        try
        {
            box = Convert.FromBase64String(sealedVector ?? string.Empty);
        }
        catch (FormatException)
        {
            return false;
        }

        if (!SealedBox.TryOpen(_keys, SealedKind.Vector, _inner.Name, RecordKeyCodec<TKey>.Encode(key), box, out byte[] plaintext)
            || plaintext.Length != _model.Dimensions * sizeof(float))
        {
            return false;
        }

        vector = MemoryMarshal.Cast<byte, float>(plaintext).ToArray();
        return true;
    }

    private (TRecord Record, float[] Vector) Open(TRecord stored, bool includeVector)
    {
        TKey key = _model.GetKey(stored) is TKey k ? k : throw new CryptographicException("A stored record has no key.");
        if (!TryOpenVector(key, _model.GetSealed(stored), out float[] vector))
        {
            throw new CryptographicException("A stored record's sealed vector failed authentication (altered, or moved from another record or collection).");
        }

        TRecord record = SealedRecordModel<TRecord>.Clone(stored);
        _model.SetSealed(record, null);
        _model.SetVector(record, includeVector ? vector : null);
        return (record, vector);
    }

    private float[] CheckVector(ReadOnlyMemory<float>? vector, string paramName)
    {
        if (vector is not { } v || v.Length != _model.Dimensions)
        {
            throw new ArgumentException($"Vectors of this collection must have {_model.Dimensions} dimensions.", paramName);
        }

        float norm = TensorPrimitives.Norm(v.Span);
        if (!float.IsFinite(norm) || norm == 0f)
        {
            throw new ArgumentException("The vector contains NaN or infinity, or is zero.", paramName);
        }

        return v.ToArray();
    }

    private double Score(float[] query, float[] vector) => _model.DistanceFunction switch
    {
        DistanceFunction.CosineDistance => 1 - TensorPrimitives.CosineSimilarity(query, vector),
        DistanceFunction.DotProductSimilarity => TensorPrimitives.Dot(query, vector),
        _ => TensorPrimitives.CosineSimilarity(query, vector),
    };

    private async Task WriteAsync(
        List<(SealedChange, TKey)> changes, Func<CancellationToken, Task> writeRows, Action<SealedVectorIndex<TKey>> apply, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SealedVectorIndex<TKey> index = _index ??= await LoadAsync(cancellationToken).ConfigureAwait(false);
            long sequence = _sequence + 1;
            await _storage.AppendAsync(new SealedIndexBlob(sequence, _journal.SealEntry(sequence, changes)), cancellationToken).ConfigureAwait(false);
            _sequence = sequence;
            try
            {
                await writeRows(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // The rows may be partly written: reload (which re-indexes this entry's keys from the store) on next use.
                _index = null;
                throw;
            }

            apply(index);
            if (_sequence - _snapshotSequence >= _options.SnapshotInterval)
            {
                await WriteSnapshotAsync(index, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task WriteSnapshotAsync(SealedVectorIndex<TKey> index, CancellationToken cancellationToken)
    {
        long sequence = _sequence;
        await _storage.WriteSnapshotAsync(new SealedIndexBlob(sequence, _journal.SealSnapshot(sequence, index)), cancellationToken).ConfigureAwait(false);
        _snapshotSequence = sequence;
    }

    private async ValueTask<SealedVectorIndex<TKey>> IndexAsync(CancellationToken cancellationToken)
    {
        if (_index is { } loaded)
        {
            return loaded;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _index ??= await LoadAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<SealedVectorIndex<TKey>> LoadAsync(CancellationToken cancellationToken)
    {
        SealedIndexBlob? snapshot = await _storage.ReadSnapshotAsync(cancellationToken).ConfigureAwait(false);
        SealedVectorIndex<TKey> index = snapshot is { } s ? _journal.OpenSnapshot(s) : new SealedVectorIndex<TKey>(_model.Dimensions, _options.Index);
        if (index.Dimensions != _model.Dimensions)
        {
            throw new InvalidDataException("The sealed index snapshot holds vectors of another dimension.");
        }

        long sequence = snapshot?.Sequence ?? 0;
        _snapshotSequence = sequence;
        var changes = new List<(SealedChange Change, TKey Key)>();
        await foreach (SealedIndexBlob entry in _storage.ReadLogAsync(sequence, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Sequence != sequence + 1)
            {
                throw new InvalidDataException($"The sealed index's change log jumps from {sequence} to {entry.Sequence}: an entry is missing.");
            }

            changes.AddRange(_journal.OpenEntry(entry));
            sequence = entry.Sequence;
        }

        // Re-index every key the log touched from its row as the store holds it now: a row written without its index
        // change, or an index change whose row write failed, both end up as the store says.
        Dictionary<TKey, float[]> rows = await FetchVectorsAsync(changes.Select(c => c.Key).Distinct().ToList(), cancellationToken).ConfigureAwait(false);
        foreach ((_, TKey key) in changes)
        {
            if (rows.TryGetValue(key, out float[]? vector))
            {
                index.Upsert(key, vector);
            }
            else
            {
                index.Delete(key);
            }
        }

        _sequence = sequence;
        return index;
    }

    /// <summary>The opened vectors of the rows that exist and authenticate (a row that does not is left out of the index).</summary>
    private async Task<Dictionary<TKey, float[]>> FetchVectorsAsync(List<TKey> keys, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<TKey, float[]>();
        for (int start = 0; start < keys.Count; start += FetchBatch)
        {
            await foreach (TRecord stored in _inner.GetAsync(keys.Skip(start).Take(FetchBatch), new RecordRetrievalOptions { IncludeVectors = false }, cancellationToken).ConfigureAwait(false))
            {
                if (_model.GetKey(stored) is TKey key && TryOpenVector(key, _model.GetSealed(stored), out float[] vector))
                {
                    rows[key] = vector;
                }
            }
        }

        return rows;
    }
}
