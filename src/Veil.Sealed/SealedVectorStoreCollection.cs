using System.Linq.Expressions;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;

namespace Veil.Sealed;

/// <summary>
/// A <see cref="VectorStoreCollection{TKey, TRecord}"/> decorator whose store holds no geometry: each vector is sealed
/// with AES-256-GCM into the record's <see cref="SealedVectorAttribute"/> column (bound to the collection name and the
/// record key) and the vector column reaches the store empty. Search runs on the key holder: an HNSW index over
/// int8-quantised vectors picks K′ candidate keys, the collection fetches exactly those rows by key, opens them and
/// ranks them exactly.
/// </summary>
/// <remarks>
/// <para><b>What the store sees.</b> Record keys, the other columns as given, one opaque sealed box of fixed length per
/// row (binary, or base64 text when the record's sealed property is a string), and per query the K′ keys fetched. No coordinate, distance or similarity.</para>
/// <para><b>Index persistence.</b> Every upsert or delete call first appends a sealed change-log entry (its keys) to
/// <see cref="ISealedIndexStorage"/> and moves the sealed head record to it, then writes the rows, then updates the
/// index in memory; every <see cref="SealedCollectionOptions.SnapshotInterval"/> entries a sealed snapshot (in chunks)
/// replaces the log. Loading reads the snapshot, then re-indexes the keys of the later entries from their rows, so a
/// crash between the log write and the row write is repaired (a failed store write also makes this instance reload); a
/// log that ends before the head record is refused. Writes are serialised per instance; one writing instance per
/// collection at a time, by a writer lease kept in the index storage: another instance's write is refused with
/// <see cref="SealedWriterLeaseException"/> until the lease is released (<see cref="ReleaseWriterLeaseAsync"/>) or
/// expires, and a writer working from a stale state is still refused with
/// <see cref="SealedIndexConflictException"/>.</para>
/// <para><b>Rotation.</b> <see cref="ResealAsync"/> re-seals rows and index under the keyring's primary secret,
/// resumably.</para>
/// <para><b>Filters</b> apply to the plaintext columns and are evaluated by the store (see
/// <see cref="SealedCollectionOptions.FilteredScanLimit"/>); a filtered search does not fetch a fixed K′.</para>
/// <para><b>Not supported yet.</b> Several vector properties, text queries, Euclidean distances.</para>
/// </remarks>
/// <typeparam name="TKey">The record key: string, Guid, int or long.</typeparam>
/// <typeparam name="TRecord">The record type: one vector property and a string property marked [SealedVector].</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A VectorStoreCollection, named like MEVD's.")]
public sealed partial class SealedVectorStoreCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>
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
    private readonly SealedWriterLease _lease;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SealedKeyring? _ownedKeys;
    private volatile SealedVectorIndex<TKey>? _index;
    private long _sequence;
    private long _snapshotSequence;
    private long _highestSequence;
    private long _minimumSequence;
    private bool _headMissing;

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
        if (_options.Problems(nameof(options)) is [string problem, ..])
        {
            throw new ArgumentOutOfRangeException(nameof(options), problem);
        }

        _model = new SealedRecordModel<TRecord>(_options.Definition);
        _inner = inner;
        _keys = keys;
        _storage = indexStorage;
        _journal = new SealedIndexJournal<TKey>(keys, inner.Name);
        _lease = new SealedWriterLease(
            indexStorage, (name, data) => _journal.SealRecord(name, data.Span), (name, data) => _journal.OpenRecord(name, data.Span),
            _options.TimeProvider, _options.WriterLeaseDuration, _options.WriterId);
    }

    /// <summary>
    /// One decorator for sealed vectors and encrypted fields: seals each vector as the other constructor does, with a
    /// keyring derived from <paramref name="client"/>'s standard secrets for <paramref name="fieldOptions"/>' tenant
    /// (owned by this collection), and encrypts the record's other protected properties as
    /// <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/> does with <paramref name="fieldOptions"/>: properties
    /// marked <see cref="EncryptDeterministicallyAttribute"/> with AES-SIV (filters on them reach the store as
    /// ciphertext equality), those marked <see cref="EncryptStandardAttribute"/> with AES-256-GCM. The vector never
    /// reaches the field encryption (it is sealed instead), so the options are fields-only
    /// (<see cref="EncryptingCollectionOptions.FieldsOnly"/>) and the client needs no vector secret: only the standard
    /// secrets (sealing, standard fields) and the deterministic secrets its properties name. The record needs no paired
    /// ICL info property.
    /// </summary>
    /// <param name="inner">The collection that stores the records (sealed vector, encrypted fields).</param>
    /// <param name="client">The local keys: the standard secrets seal vectors and the index; the deterministic and standard secrets encrypt fields (not disposed by the collection).</param>
    /// <param name="fieldOptions">Fields-only options (<see cref="EncryptingCollectionOptions.FieldsOnly"/>): the deterministic secret path, the tenant (whose sealed keys are derived) and the other field settings.</param>
    /// <param name="indexStorage">Where the sealed index is persisted.</param>
    /// <param name="options">The sealed collection's settings; its <see cref="SealedCollectionOptions.Definition"/> also describes the record to the field encryption.</param>
    /// <exception cref="ArgumentException">The options encrypt vectors (made with a vector secret path rather than by
    /// <see cref="EncryptingCollectionOptions.FieldsOnly"/>), the client has no primary standard secret, lacks a secret a
    /// property needs, or see the other constructor.</exception>
    /// <exception cref="NotSupportedException">See the other constructor and <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/>.</exception>
    public SealedVectorStoreCollection(
        VectorStoreCollection<TKey, TRecord> inner, VeilClient client, EncryptingCollectionOptions fieldOptions, ISealedIndexStorage indexStorage, SealedCollectionOptions? options = null)
        : this(FieldEncryption(inner, client, fieldOptions, options), OwnedKeyring(client, fieldOptions), indexStorage, options, ownsKeys: true)
    {
    }

    private SealedVectorStoreCollection(
        VectorStoreCollection<TKey, TRecord> inner, SealedKeyring keys, ISealedIndexStorage indexStorage, SealedCollectionOptions? options, bool ownsKeys)
        : this(inner, keys, indexStorage, options)
    {
        _ownedKeys = ownsKeys ? keys : null;
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
            await _lease.EnsureAsync(cancellationToken).ConfigureAwait(false);
            await _inner.EnsureCollectionDeletedAsync(cancellationToken).ConfigureAwait(false);
            _index = new SealedVectorIndex<TKey>(_model.Dimensions, _options.Index);
            await WriteSnapshotAsync(_index, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Loads the index (snapshot, then the change log, repairing from the rows) if it is not loaded yet.</summary>
    /// <exception cref="CryptographicException">The snapshot, a log entry or the head record fails authentication.</exception>
    /// <exception cref="InvalidDataException">The change log has a gap or a truncated tail, the head record is missing, or a blob is malformed.</exception>
    public async Task LoadIndexAsync(CancellationToken cancellationToken = default) => _ = await IndexAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Loads the index, refusing a persisted state older than <paramref name="minimumSequence"/>: pass the
    /// <see cref="IndexSequence"/> an earlier instance reached, kept where whoever controls the index storage cannot
    /// change it, to detect a rollback of the whole index storage (which the head record alone cannot).
    /// </summary>
    /// <exception cref="InvalidDataException">The persisted index is older than <paramref name="minimumSequence"/>, or see <see cref="LoadIndexAsync(CancellationToken)"/>.</exception>
    public async Task LoadIndexAsync(long minimumSequence, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumSequence);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _minimumSequence = Math.Max(_minimumSequence, minimumSequence);
            if (_index is not null && _sequence < _minimumSequence)
            {
                _index = null;
            }

            _index ??= await LoadAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The index as loaded now (null before the first use or after a failed write); for tests and measurements.</summary>
    internal SealedVectorIndex<TKey>? LoadedIndex => _index;

    /// <summary>
    /// Completes when the index has inserted into its graph every vector upserted so far (loading it first if needed).
    /// Upserts return once their rows are written and logged; the index inserts their vectors in the background
    /// (<see cref="SealedIndexOptions.Deferred"/>), and searches find them meanwhile by scoring the not-yet-inserted
    /// ones exactly. A snapshot waits for this too.
    /// </summary>
    public async Task WaitForIndexingAsync(CancellationToken cancellationToken = default) =>
        await (await IndexAsync(cancellationToken).ConfigureAwait(false)).WaitForIndexingAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The loaded index's counts and graph memory (<see cref="SealedIndexStatistics"/>), or null before the index is
    /// loaded (by the first search, write or <see cref="LoadIndexAsync(CancellationToken)"/>). For monitoring and benchmarks.
    /// </summary>
    public SealedIndexStatistics? IndexStatistics => _index?.GetStatistics();

    /// <summary>The sequence number of the last change this instance applied (0 before any); see <see cref="LoadIndexAsync(long, CancellationToken)"/>.</summary>
    public long IndexSequence => Interlocked.Read(ref _sequence);

    /// <summary>
    /// Compacts the change log now: writes a sealed snapshot of the whole index (in chunks), after which the storage
    /// drops the log entries it covers. Also done every <see cref="SealedCollectionOptions.SnapshotInterval"/> changes.
    /// Crash-safe at every step: until the new snapshot is published the old one and the whole log stay; after it, the
    /// log entries it covers are skipped on load (never applied twice) and dropped.
    /// </summary>
    /// <exception cref="SealedIndexConflictException">Another writer wrote a snapshot or entry at this sequence number.</exception>
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

    /// <summary>
    /// Compacts the graph now: rebuilds the index from its live nodes only (no deleted waypoints; see
    /// <see cref="SealedVectorIndex{TKey}.CompactGraph"/>), persists it as a new sealed snapshot, then swaps it in.
    /// Searches keep using the old index until the swap; writes wait. Also done by a write that leaves
    /// <see cref="SealedCollectionOptions.GraphCompactionThreshold"/> of the graph's nodes deleted.
    /// </summary>
    /// <exception cref="SealedIndexConflictException">Another writer wrote a snapshot or entry at this sequence number.</exception>
    public async Task CompactGraphAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CompactGraphCoreAsync(_index ??= await LoadAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Re-seals every row still sealed under another secret than the keyring's primary (after a rotation of the standard
    /// secret), <paramref name="batchSize"/> rows at a time in record-key order, persisting a sealed checkpoint after each
    /// batch; then re-seals the index itself (a new snapshot, which drops the old log, and the head record) and removes
    /// the checkpoint. Resumable: after a kill or a cancellation, calling it again continues after the checkpoint, and a
    /// row already sealed under the primary is never re-sealed, so every row is re-sealed exactly once. Writes through
    /// this instance may continue meanwhile (they are sealed under the primary).
    /// </summary>
    /// <param name="batchSize">Rows fetched and written per batch.</param>
    /// <param name="progress">Told after every batch (on the calling flow, before the next batch starts).</param>
    /// <param name="cancellationToken">Stops between batches or during one; the checkpoint keeps what was done.</param>
    /// <returns>The counts of this call and of the earlier calls the checkpoint records.</returns>
    public async Task<SealedResealSummary> ResealAsync(int batchSize = 500, IProgress<SealedResealProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        SealedVectorIndex<TKey> index = await IndexAsync(cancellationToken).ConfigureAwait(false);
        SealedResealCheckpoint checkpoint = await ReadCheckpointAsync(cancellationToken).ConfigureAwait(false);
        List<(byte[] Encoded, TKey Key)> keys = index.Keys()
            .Select(k => (RecordKeyCodec<TKey>.Encode(k), k))
            .Where(k => checkpoint.After is null || k.Item1.AsSpan().SequenceCompareTo(checkpoint.After) > 0)
            .OrderBy(k => k.Item1, SealedResealCheckpoint.KeyOrder)
            .ToList();
        long total = checkpoint.Done + keys.Count;
        for (int start = 0; start < keys.Count; start += batchSize)
        {
            List<(byte[] Encoded, TKey Key)> batch = keys.GetRange(start, Math.Min(batchSize, keys.Count - start));
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                checkpoint = await ResealBatchAsync(batch, checkpoint, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _gate.Release();
            }

            progress?.Report(new SealedResealProgress(checkpoint.Done, total));
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteSnapshotAsync(_index ??= await LoadAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            await _storage.WriteRecordAsync(SealedRecordNames.ResealCheckpoint, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        return new SealedResealSummary(checkpoint.Resealed, checkpoint.AlreadyCurrent, checkpoint.Failed);
    }

    /// <summary>
    /// Releases the writer lease if this instance holds it, so that another instance may write at once (rather than
    /// after <see cref="SealedCollectionOptions.WriterLeaseDuration"/>). A later write through this instance takes it
    /// again. Call it when a writer is done (the end of an ingest or a job).
    /// </summary>
    public async Task ReleaseWriterLeaseAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _lease.ReleaseAsync(cancellationToken).ConfigureAwait(false);
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
            0,
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
    /// scores are the exact ones of the vector property's distance function. Pass
    /// <see cref="SealedVectorSearchOptions{TRecord}"/> to set the graph's beam width for one search. A filter (on the plaintext columns) goes to
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
        int? efSearch = (options as SealedVectorSearchOptions<TRecord>)?.EfSearch;
        List<(double Score, TRecord Record)> scored = options.Filter is null
            ? await FetchAndScoreAsync(index.Search(query, Math.Max(_options.Candidates, wanted), efSearch), query, options.IncludeVectors, null, cancellationToken, _options.DecoyKeys > 0 ? index : null).ConfigureAwait(false)
            : await FilteredAsync(index, query, wanted, efSearch, options.Filter, options.IncludeVectors, cancellationToken).ConfigureAwait(false);

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

    /// <summary>Disposes the inner collection and the index, and the keyring when this collection derived it (not the storage).</summary>
    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _index?.Dispose();
            _gate.Dispose();
            _ownedKeys?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// The rows matching <paramref name="filter"/>, scored: all of them when the store finds at most
    /// <see cref="SealedCollectionOptions.FilteredScanLimit"/>; otherwise the matching ones among ever more index
    /// candidates, until <paramref name="wanted"/> match or the index is exhausted.
    /// </summary>
    private async Task<List<(double Score, TRecord Record)>> FilteredAsync(
        SealedVectorIndex<TKey> index, float[] query, int wanted, int? efSearch, Expression<Func<TRecord, bool>> filter, bool includeVectors, CancellationToken cancellationToken)
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
            List<(double Score, TRecord Record)> scored = await FetchAndScoreAsync(index.Search(query, count, efSearch), query, includeVectors, predicate, cancellationToken).ConfigureAwait(false);
            if (scored.Count >= wanted || count >= total)
            {
                return scored;
            }
        }
    }

    /// <summary>
    /// Fetches <paramref name="candidates"/> by key, in a cryptographically shuffled order, and scores them exactly.
    /// With <paramref name="decoysFrom"/>, <see cref="SealedCollectionOptions.DecoyKeys"/> random other keys of the
    /// index are shuffled in and their rows discarded unopened.
    /// </summary>
    private async Task<List<(double Score, TRecord Record)>> FetchAndScoreAsync(
        IReadOnlyList<TKey> candidates, float[] query, bool includeVectors, Func<TRecord, bool>? predicate, CancellationToken cancellationToken,
        SealedVectorIndex<TKey>? decoysFrom = null)
    {
        // The keys go to the store in a random order, never nearest first: a store that logs the order of a fetch
        // would otherwise see each query's ranking.
        HashSet<TKey>? decoys = decoysFrom is null ? null : [.. decoysFrom.RandomKeys(_options.DecoyKeys, candidates)];
        TKey[] mixed = decoys is null ? [.. candidates] : [.. candidates, .. decoys];
        RandomNumberGenerator.Shuffle(mixed.AsSpan());
        candidates = mixed;

        var scored = new List<(double Score, TRecord Record)>(candidates.Count);
        for (int start = 0; start < candidates.Count; start += FetchBatch)
        {
            IEnumerable<TKey> batch = candidates.Skip(start).Take(FetchBatch);
            await foreach (TRecord stored in _inner.GetAsync(batch, new RecordRetrievalOptions { IncludeVectors = false }, cancellationToken).ConfigureAwait(false))
            {
                if (decoys is not null && _model.GetKey(stored) is TKey key && decoys.Contains(key))
                {
                    continue;
                }

                (TRecord record, float[] vector) = Open(stored, includeVectors);
                if (predicate is null || predicate(record))
                {
                    scored.Add((Score(query, vector), record));
                }
            }
        }

        return scored;
    }

    private static EncryptingVectorStoreCollection<TKey, TRecord> FieldEncryption(
        VectorStoreCollection<TKey, TRecord> inner, VeilClient client, EncryptingCollectionOptions fieldOptions, SealedCollectionOptions? options)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(fieldOptions);
        if (fieldOptions.EncryptsVectors)
        {
            throw new ArgumentException(
                "The sealed collection seals vectors itself and needs no vector secret: pass EncryptingCollectionOptions.FieldsOnly(tenant) with the field settings.", nameof(fieldOptions));
        }

        if (client.Configuration.Standard?.PrimaryId is null)
        {
            throw new ArgumentException("The sealed mode seals vectors with keys derived from the standard secrets; the client has no primary standard secret.", nameof(client));
        }

        return new EncryptingVectorStoreCollection<TKey, TRecord>(inner, client, fieldOptions, options?.Definition);
    }

    private static SealedKeyring OwnedKeyring(VeilClient client, EncryptingCollectionOptions fieldOptions) =>
        new(client.Configuration.Standard!, fieldOptions.Tenant);

    private static RecordRetrievalOptions? Plain(RecordRetrievalOptions? options) =>
        options is null ? null : new RecordRetrievalOptions { IncludeVectors = false };

    private byte[] SealVector(TKey key, float[] vector) =>
        SealedBox.Seal(_keys, SealedKind.Vector, _inner.Name, RecordKeyCodec<TKey>.Encode(key), MemoryMarshal.AsBytes(vector.AsSpan()));

    private bool TryOpenVector(TKey key, byte[]? box, out float[] vector)
    {
        vector = [];
        if (box is null
            || !SealedBox.TryOpen(_keys, SealedKind.Vector, _inner.Name, RecordKeyCodec<TKey>.Encode(key), box, out byte[] plaintext)
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

    /// <summary>
    /// One write: reserves room for <paramref name="queued"/> vectors in the index's insertion queue, waiting for it
    /// before anything is written (so a cancelled wait leaves no trace), appends the change-log entry, writes the rows, then applies the
    /// change to the index in memory.
    /// </summary>
    private async Task WriteAsync(
        List<(SealedChange, TKey)> changes, int queued, Func<CancellationToken, Task> writeRows, Action<SealedVectorIndex<TKey>> apply, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SealedVectorIndex<TKey> index = _index ??= await LoadAsync(cancellationToken).ConfigureAwait(false);
            using (await index.ReserveQueueRoomAsync(queued, cancellationToken).ConfigureAwait(false))
            {
                await _lease.EnsureAsync(cancellationToken).ConfigureAwait(false);
                await AppendEntryAsync(changes, cancellationToken).ConfigureAwait(false);
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
            }

            if (index.DeletedFraction >= _options.GraphCompactionThreshold && _options.GraphCompactionThreshold < 1)
            {
                await CompactGraphCoreAsync(index, cancellationToken).ConfigureAwait(false);
            }
            else if (_sequence - _snapshotSequence >= _options.SnapshotInterval)
            {
                await WriteSnapshotAsync(index, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Appends the next change-log entry, then moves the head record to it (the head first exists before entry 1).</summary>
    private async Task AppendEntryAsync(List<(SealedChange, TKey)> changes, CancellationToken cancellationToken)
    {
        await EnsureHeadAsync(cancellationToken).ConfigureAwait(false);
        long sequence = _sequence + 1;
        try
        {
            await _storage.AppendAsync(new SealedIndexBlob(sequence, _journal.SealEntry(sequence, changes)), cancellationToken).ConfigureAwait(false);
        }
        catch (SealedIndexConflictException)
        {
            // Another writer went ahead: this instance's index is stale; reload it (with the other writer's changes) on next use.
            _index = null;
            throw;
        }

        Advance(sequence);
        await WriteHeadAsync(sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the first head record (at the last durable sequence number) before any blob exists without one.</summary>
    private async Task EnsureHeadAsync(CancellationToken cancellationToken)
    {
        if (_headMissing)
        {
            await WriteHeadAsync(_sequence, cancellationToken).ConfigureAwait(false);
            _headMissing = false;
        }
    }

    private Task WriteHeadAsync(long sequence, CancellationToken cancellationToken) =>
        _storage.WriteRecordAsync(SealedRecordNames.Head, _journal.SealHead(sequence), cancellationToken);

    private void Advance(long sequence)
    {
        Interlocked.Exchange(ref _sequence, sequence);
        _highestSequence = Math.Max(_highestSequence, sequence);
    }

    private async Task WriteSnapshotAsync(SealedVectorIndex<TKey> index, CancellationToken cancellationToken)
    {
        await _lease.EnsureAsync(cancellationToken).ConfigureAwait(false);
        if (_sequence == _snapshotSequence)
        {
            // A snapshot is never rewritten in place: an empty entry gives the new one (sealed under the current primary) its own number.
            await AppendEntryAsync([], cancellationToken).ConfigureAwait(false);
        }

        await EnsureHeadAsync(cancellationToken).ConfigureAwait(false);
        long sequence = _sequence;
        try
        {
            await _journal.WriteSnapshotAsync(_storage, sequence, index, _options.SnapshotChunkBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (SealedIndexConflictException)
        {
            _index = null;
            throw;
        }

        _snapshotSequence = sequence;
        await WriteHeadAsync(sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the compacted graph, persists it as the snapshot, then swaps it in (the old index stays intact if either step fails).</summary>
    private async Task CompactGraphCoreAsync(SealedVectorIndex<TKey> index, CancellationToken cancellationToken)
    {
        SealedVectorIndex<TKey> compacted = index.CompactGraph();
        try
        {
            await WriteSnapshotAsync(compacted, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            compacted.Dispose();
            throw;
        }

        // Searches may still run on the old index: it is left to the collector rather than disposed under them.
        _index = compacted;
    }

    private async Task<SealedResealCheckpoint> ReadCheckpointAsync(CancellationToken cancellationToken)
    {
        byte[]? data = await _storage.ReadRecordAsync(SealedRecordNames.ResealCheckpoint, cancellationToken).ConfigureAwait(false);
        SealedResealCheckpoint? checkpoint = data is null ? null : SealedResealCheckpoint.Decode(_journal.OpenRecord(SealedRecordNames.ResealCheckpoint, data));
        return checkpoint is { } c && c.Target == _keys.PrimaryId.Value ? c : SealedResealCheckpoint.Start(_keys.PrimaryId.Value);
    }

    /// <summary>Re-seals the rows of one batch that are not under the primary yet, then persists the checkpoint after the batch.</summary>
    private async Task<SealedResealCheckpoint> ResealBatchAsync(List<(byte[] Encoded, TKey Key)> batch, SealedResealCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await _lease.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var rewritten = new List<TRecord>();
        long current = 0;
        long failed = 0;
        await foreach (TRecord stored in _inner.GetAsync(batch.Select(b => b.Key), new RecordRetrievalOptions { IncludeVectors = false }, cancellationToken).ConfigureAwait(false))
        {
            TKey key = _model.GetKey(stored) is TKey k ? k : throw new CryptographicException("A stored record has no key.");
            byte[]? sealedVector = _model.GetSealed(stored);
            if (IsUnderPrimary(sealedVector))
            {
                current++;
            }
            else if (TryOpenVector(key, sealedVector, out float[] vector))
            {
                TRecord copy = SealedRecordModel<TRecord>.Clone(stored);
                _model.SetSealed(copy, SealVector(key, vector));
                _model.SetVector(copy, null);
                rewritten.Add(copy);
            }
            else
            {
                failed++;
            }
        }

        if (rewritten.Count > 0)
        {
            await _inner.UpsertAsync(rewritten, cancellationToken).ConfigureAwait(false);
        }

        var next = checkpoint with
        {
            After = batch[^1].Encoded,
            Done = checkpoint.Done + batch.Count,
            Resealed = checkpoint.Resealed + rewritten.Count,
            AlreadyCurrent = checkpoint.AlreadyCurrent + current,
            Failed = checkpoint.Failed + failed,
        };
        await _storage.WriteRecordAsync(SealedRecordNames.ResealCheckpoint, _journal.SealRecord(SealedRecordNames.ResealCheckpoint, next.Encode()), cancellationToken).ConfigureAwait(false);
        return next;
    }

    private bool IsUnderPrimary(byte[]? sealedVector) =>
        sealedVector is { Length: >= SealedBox.HeaderLength }
        && SealedBox.KeyIdOf(sealedVector) == _keys.PrimaryId
        && sealedVector[1] == (byte)SealedKind.Vector;

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
        await RefuseInterruptedRebuildAsync(cancellationToken).ConfigureAwait(false);
        byte[]? headRecord = await _storage.ReadRecordAsync(SealedRecordNames.Head, cancellationToken).ConfigureAwait(false);
        long? head = headRecord is null ? null : _journal.OpenHead(headRecord);
        (SealedVectorIndex<TKey> Index, long Sequence)? snapshot = await _journal.ReadSnapshotAsync(_storage, _options.Index, cancellationToken).ConfigureAwait(false);
        SealedVectorIndex<TKey> index = snapshot?.Index ?? new SealedVectorIndex<TKey>(_model.Dimensions, _options.Index);
        try
        {
            if (index.Dimensions != _model.Dimensions)
            {
                throw new InvalidDataException("The sealed index snapshot holds vectors of another dimension.");
            }

            long sequence = snapshot?.Sequence ?? 0;
            long snapshotSequence = sequence;
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

            CheckHead(head, snapshot is not null || sequence > 0, sequence);

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

            _snapshotSequence = snapshotSequence;
            _headMissing = head is null;
            Advance(sequence);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses a persisted index whose log ends before its head record (a truncated tail), that has blobs but no head
    /// record (a deleted head), or that is older than what this instance already saw or was told to expect (a rollback).
    /// </summary>
    private void CheckHead(long? head, bool anyBlob, long last)
    {
        if (head is null && anyBlob)
        {
            throw new InvalidDataException("The sealed index has a snapshot or change log but no head record: it was deleted.");
        }

        if (head > last)
        {
            throw new InvalidDataException($"The sealed index's change log ends at {last} but its head record says {head}: entries at its end were dropped.");
        }

        long expected = Math.Max(_highestSequence, _minimumSequence);
        if (last < expected)
        {
            throw new InvalidDataException($"The sealed index ends at {last}, before {expected}, which was already reached: it was rolled back.");
        }
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
