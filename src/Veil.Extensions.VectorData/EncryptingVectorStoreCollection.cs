using System.Buffers;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Veil.Vectors;

namespace Veil.Extensions.VectorData;

/// <summary>
/// A <see cref="VectorStoreCollection{TKey, TRecord}"/> that encrypts records on their way into any inner collection
/// of the same record type and decrypts them on the way out, with client-side exact re-ranking of searches.
/// </summary>
/// <typeparam name="TKey">The key type (stored in the clear).</typeparam>
/// <typeparam name="TRecord">A record class with a public parameterless constructor.</typeparam>
/// <remarks>
/// <para><b>What is encrypted.</b> Every vector property (<c>float[]</c> or <c>ReadOnlyMemory&lt;float&gt;</c>) with
/// Scale-And-Perturb, its paired ICL info stored in the companion property marked <see cref="PairedIclInfoAttribute"/>
/// (nothing in <see cref="EncryptingCollectionOptions.OneWay"/> mode); properties marked
/// <see cref="EncryptDeterministicallyAttribute"/> with AES-SIV; properties marked <see cref="EncryptStandardAttribute"/>
/// with AES-256-GCM. Keys and other data properties are stored in the clear. Upserts copy the caller's records; they
/// are never modified (except that a key the store generates is copied back).</para>
/// <para><b>Security.</b> The store learns approximate distances between vectors (Scale-And-Perturb is not IND-CPA),
/// equality and frequency of deterministic properties, lengths and nullness of every encrypted property, and the
/// clear keys and data. Exception messages name records by key and properties by name, never plaintext values.</para>
/// <para><b>Search.</b> The plaintext query is encrypted once per live vector secret (current and in rotation) and the
/// inner collection is searched once per encrypted query; results are merged by record key. With exact re-ranking
/// (the default) each search fetches <see cref="EncryptingCollectionOptions.RerankCandidates"/> (K′) candidates per
/// key, decrypts their vectors, and orders them by the exact distance to the plaintext query with the vector
/// property's distance function: <b>the returned scores are then the exact plaintext scores</b>, as the store would
/// compute them on unencrypted vectors, and <see cref="VectorSearchOptions{TRecord}.ScoreThreshold"/> applies to
/// them. Without re-ranking (one-way mode, or <see cref="EncryptingCollectionOptions.ExactReranking"/> off) the
/// scores are the store's scores between encrypted vectors, which only approximate the plaintext ones; results of a
/// query under one key are kept only for records stored under that key (when the paired ICL info tells).</para>
/// <para><b>Filters.</b> <c>==</c> and <c>!=</c> comparisons of a deterministic property with a value (and
/// <c>values.Contains(record.Property)</c>) are rewritten to compare with the value's ciphertext under each live
/// secret (<c>p == c1 || p == c2</c> during a rotation). Any other use of a deterministic or standard property in a
/// filter or an order-by throws <see cref="NotSupportedException"/>. Filters on clear properties pass through.</para>
/// <para><b>Binding.</b> With <see cref="EncryptingCollectionOptions.BindStandardProperties"/> each standard property
/// is bound to the record key, its name and the record's set of standard properties that hold a value, so values
/// swapped between properties or records are refused on read (Alloy cannot read them then).</para>
/// <para><b>Errors.</b> A record that fails authentication or cannot be decrypted throws
/// <see cref="CryptographicException"/> naming the record's key and the property; nothing of it is returned.
/// Exceptions from the inner collection pass through unwrapped.</para>
/// <para><b>Thread safety.</b> As thread-safe as the inner collection; the decorator itself holds no mutable state.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Named after the MEVD type it decorates, VectorStoreCollection.")]
public sealed class EncryptingVectorStoreCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    /// <summary>Records encrypted in one parallel batch by <see cref="UpsertAsync(IEnumerable{TRecord}, CancellationToken)"/>.</summary>
    public const int PipelineChunkRows = 4096;

    private readonly VectorStoreCollection<TKey, TRecord> _inner;
    private readonly VeilClient _client;
    private readonly EncryptingCollectionOptions _options;
    private readonly bool _oneWay;
    private readonly bool _bindStandard;
    private readonly bool _rerank;
    private readonly int _rerankCandidates;
    private readonly RecordModel<TRecord> _model;
    private readonly Dictionary<string, DeterministicProperty> _deterministicByName;
    private readonly HashSet<string> _standardNames;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embeddingGenerator;
    private byte[][]? _tenantTags;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The collection that stores the encrypted records.</param>
    /// <param name="client">The client whose secrets encrypt (not disposed by the collection).</param>
    /// <param name="options">Secret paths, tenant and behaviour; read once, here.</param>
    /// <param name="definition">The collection definition, when the record type's vector and key properties are
    /// defined by one rather than by attributes.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A vector property has no paired ICL info property (and the mode is not
    /// one-way), a deterministic property has no secret path, or the options name a missing property.</exception>
    /// <exception cref="NotSupportedException">The record type cannot be handled: no parameterless constructor, no key or
    /// vector property, an encrypted property that is not string or byte[], or a vector that is not float[],
    /// ReadOnlyMemory&lt;float&gt; or Embedding&lt;float&gt;.</exception>
    public EncryptingVectorStoreCollection(
        VectorStoreCollection<TKey, TRecord> inner,
        VeilClient client,
        EncryptingCollectionOptions options,
        VectorStoreCollectionDefinition? definition = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _inner = inner;
        _client = client;
        _options = options;
        _oneWay = options.OneWay;
        _bindStandard = options.BindStandardProperties;
        _rerank = options.ExactReranking && !options.OneWay;
        _rerankCandidates = options.RerankCandidates;
        _model = new RecordModel<TRecord>(options, definition);
        _deterministicByName = _model.Deterministic.ToDictionary(p => p.Value.Name, StringComparer.Ordinal);
        _standardNames = _model.Standard.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        _embeddingGenerator = options.EmbeddingGenerator;
        if (_rerank && _model.Vectors.FirstOrDefault(v => !ExactDistance.IsSupported(v.DistanceFunction)) is { } unsupported)
        {
            throw new NotSupportedException(
                $"Exact re-ranking does not support distance function '{unsupported.DistanceFunction}' of vector property '{unsupported.Name}'; set ExactReranking to false.");
        }
    }

    /// <inheritdoc/>
    public override string Name => _inner.Name;

    /// <summary>The collection that stores the encrypted records.</summary>
    public VectorStoreCollection<TKey, TRecord> InnerCollection => _inner;

    /// <inheritdoc/>
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) =>
        _inner.CollectionExistsAsync(cancellationToken);

    /// <inheritdoc/>
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default) =>
        _inner.EnsureCollectionExistsAsync(cancellationToken);

    /// <inheritdoc/>
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default) =>
        _inner.EnsureCollectionDeletedAsync(cancellationToken);

    /// <inheritdoc/>
    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default) =>
        _model.Tenant is null ? _inner.DeleteAsync(key, cancellationToken) : DeleteAsync([key], cancellationToken);

    /// <inheritdoc/>
    /// <remarks>With a <see cref="EncryptingCollectionOptions.TenantProperty"/>, rows of other tenants are left alone.</remarks>
    public override async Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        if (_model.Tenant is null)
        {
            await _inner.DeleteAsync(keys, cancellationToken).ConfigureAwait(false);
            return;
        }

        var owned = new List<TKey>();
        await foreach (TRecord record in _inner.GetAsync(keys, new RecordRetrievalOptions { IncludeVectors = false }, cancellationToken).ConfigureAwait(false))
        {
            if (OwnedByTenant(record))
            {
                owned.Add((TKey)_model.GetKey(record)!);
            }
        }

        if (owned.Count > 0)
        {
            await _inner.DeleteAsync(owned, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gets a record by key, decrypted.</summary>
    /// <inheritdoc/>
    /// <exception cref="CryptographicException">The stored record fails authentication or cannot be decrypted.</exception>
    public override async Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        TRecord? stored = await _inner.GetAsync(key, options, cancellationToken).ConfigureAwait(false);
        return stored is null || !OwnedByTenant(stored) ? null : DecryptRecords([stored], options?.IncludeVectors ?? false)[0];
    }

    /// <summary>Gets records by key, decrypted.</summary>
    /// <inheritdoc/>
    /// <exception cref="CryptographicException">A stored record fails authentication or cannot be decrypted.</exception>
    public override async IAsyncEnumerable<TRecord> GetAsync(
        IEnumerable<TKey> keys, RecordRetrievalOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stored = new List<TRecord>();
        await foreach (TRecord record in _inner.GetAsync(keys, options, cancellationToken).ConfigureAwait(false))
        {
            if (OwnedByTenant(record))
            {
                stored.Add(record);
            }
        }

        foreach (TRecord record in DecryptRecords(stored, options?.IncludeVectors ?? false))
        {
            yield return record;
        }
    }

    /// <summary>Gets the records that match a filter, decrypted. See the type's remarks for what filters may use.</summary>
    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The filter or order-by uses an encrypted property in a way encryption cannot support.</exception>
    /// <exception cref="CryptographicException">A stored record fails authentication or cannot be decrypted.</exception>
    public override async IAsyncEnumerable<TRecord> GetAsync(
        Expression<Func<TRecord, bool>> filter,
        int top,
        FilteredRecordRetrievalOptions<TRecord>? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (options?.OrderBy is { } orderBy)
        {
            foreach (FilteredRecordRetrievalOptions<TRecord>.OrderByDefinition.SortInfo sort in orderBy(new()).Values)
            {
                FilterRewriter.ThrowIfEncrypted(sort.PropertySelector, _deterministicByName, _standardNames);
            }
        }

        Expression<Func<TRecord, bool>> rewritten = RewriteFilter(filter)!;
        var stored = new List<TRecord>();
        await foreach (TRecord record in _inner.GetAsync(rewritten, top, options, cancellationToken).ConfigureAwait(false))
        {
            if (OwnedByTenant(record))
            {
                stored.Add(record);
            }
        }

        foreach (TRecord record in DecryptRecords(stored, options?.IncludeVectors ?? false))
        {
            yield return record;
        }
    }

    /// <summary>Encrypts a copy of <paramref name="record"/> and upserts it.</summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A vector has the wrong dimension or contains NaN or infinity.</exception>
    public override async Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        TRecord encrypted = EncryptRecords([record])[0];
        await _inner.UpsertAsync(encrypted, cancellationToken).ConfigureAwait(false);
        CopyKeyBack(encrypted, record);
    }

    /// <summary>
    /// Encrypts copies of <paramref name="records"/> and upserts them in one call of the inner collection. Up to
    /// <see cref="PipelineChunkRows"/> records are encrypted in one parallel batch before the inner collection is
    /// called; a longer sequence is read and encrypted in chunks of that size on a background task while the inner
    /// collection stores the chunk before, so encryption and storage overlap and a lazily produced sequence of any
    /// length passes through bounded memory (as far as the inner collection streams it too).
    /// </summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A vector has the wrong dimension or contains NaN or infinity.</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records is ICollection<TRecord> { Count: <= PipelineChunkRows })
        {
            TRecord[] originals = records.ToArray();
            TRecord[] encrypted = EncryptRecords(originals);
            await _inner.UpsertAsync(encrypted, cancellationToken).ConfigureAwait(false);
            CopyKeysBack(originals, encrypted);
            return;
        }

        // Only records without a key can get one from the store; only those are kept to copy it back.
        var keyless = new List<(TRecord Original, TRecord Encrypted)>();
        TRecord[] EncryptChunk(TRecord[] chunk)
        {
            TRecord[] encrypted = EncryptRecords(chunk);
            for (int i = 0; i < chunk.Length; i++)
            {
                if (IsKeyless(_model.GetKey(chunk[i])))
                {
                    keyless.Add((chunk[i], encrypted[i]));
                }
            }

            return encrypted;
        }

        using (var pipeline = new EncryptionPipeline<TRecord>(records, PipelineChunkRows, EncryptChunk, cancellationToken))
        {
            try
            {
                await _inner.UpsertAsync(pipeline.Encrypted(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (pipeline.Failure is { } failure)
            {
                // The inner collection may have wrapped what it read from the pipeline; report the original.
                failure.Throw();
                throw;
            }
        }

        foreach ((TRecord original, TRecord encrypted) in keyless)
        {
            CopyKeyBack(encrypted, original);
        }
    }

    /// <summary>
    /// Searches with the plaintext <paramref name="searchValue"/> (a <c>ReadOnlyMemory&lt;float&gt;</c>,
    /// <c>float[]</c> or <c>Embedding&lt;float&gt;</c>), encrypted once per live key; returns decrypted records.
    /// See the type's remarks for which scores are returned.
    /// </summary>
    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The search value is of another type (for example text: generate the
    /// embedding on the client first), or the filter uses an encrypted property in a way encryption cannot support.</exception>
    /// <exception cref="ArgumentException">The query has the wrong dimension or contains NaN or infinity.</exception>
    /// <exception cref="CryptographicException">A candidate record fails authentication or cannot be decrypted.</exception>
    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(
        TInput searchValue,
        int top,
        VectorSearchOptions<TRecord>? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new VectorSearchOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, nameof(options));
        VectorPropertyModel vector = _model.ResolveVector(options.VectorProperty);
        ReadOnlyMemory<float> query = searchValue switch
        {
            ReadOnlyMemory<float> memory => memory,
            float[] array => array,
            Embedding<float> embedding => EncryptedEmbeddings.Plaintext(embedding, nameof(searchValue)),
            string text when _embeddingGenerator is { } generator =>
                EncryptedEmbeddings.Plaintext(await generator.GenerateAsync(text, cancellationToken: cancellationToken).ConfigureAwait(false), nameof(searchValue)),
            string => throw new NotSupportedException(
                "The encrypting collection searches with text only when EncryptingCollectionOptions.EmbeddingGenerator is set; otherwise pass the query's embedding."),
            _ => throw new NotSupportedException(
                $"The encrypting collection searches with a plaintext vector (ReadOnlyMemory<float>, float[] or Embedding<float>) or, with an embedding generator, text; not with '{typeof(TInput).Name}'."),
        };
        CheckDimensions(vector, query.Length, nameof(searchValue));

        int wanted = checked(options.Skip + top);
        int fetch = _rerank ? Math.Max(_rerankCandidates, wanted) : wanted;
        VectorSearchOptions<TRecord> innerOptions = CopyStoreSettings(options);
        innerOptions.Filter = RewriteFilter(options.Filter);
        innerOptions.VectorProperty = options.VectorProperty;
        innerOptions.Skip = 0;
        innerOptions.IncludeVectors = _rerank || options.IncludeVectors;
        innerOptions.ScoreThreshold = null;

        IReadOnlyList<QueryVector> queries = _client.Vector.GenerateQueryVectors(
            query.Span, _options.VectorSecretPath, _options.VectorDerivationPath, _options.Tenant);
        var candidates = new Dictionary<TKey, (TRecord Record, double? Score)>();
        foreach (QueryVector encryptedQuery in queries)
        {
            await foreach (VectorSearchResult<TRecord> result in _inner.SearchAsync(encryptedQuery.Ciphertext, fetch, innerOptions, cancellationToken).ConfigureAwait(false))
            {
                if (!OwnedByTenant(result.Record))
                {
                    continue;
                }

                TKey key = (TKey)_model.GetKey(result.Record)!;
                if (!_rerank && !_oneWay && StoredKeyId(vector, result.Record) is { } storedKeyId && storedKeyId != encryptedQuery.KeyId)
                {
                    // Scores of a query under one key against vectors under another are meaningless.
                    continue;
                }

                candidates.TryAdd(key, (result.Record, result.Score));
            }
        }

        List<TRecord> records = candidates.Values.Select(c => c.Record).ToList();
        double?[] scores = candidates.Values.Select(c => c.Score).ToArray();
        float[]?[]? plaintextVectors = null;
        if (_rerank)
        {
            plaintextVectors = DecryptVectors(records, vector);
            for (int i = 0; i < records.Count; i++)
            {
                scores[i] = plaintextVectors[i] is { } plaintext ? ExactDistance.Score(vector.DistanceFunction, plaintext, query.Span) : null;
            }
        }

        bool higherIsBetter = ExactDistance.HigherIsBetter(vector.DistanceFunction);
        IEnumerable<int> order = Enumerable.Range(0, records.Count)
            .Where(i => options.ScoreThreshold is not { } threshold || scores[i] is not { } score || (higherIsBetter ? score >= threshold : score <= threshold));
        order = higherIsBetter
            ? order.OrderByDescending(i => scores[i] ?? double.NegativeInfinity)
            : order.OrderBy(i => scores[i] ?? double.PositiveInfinity);
        int[] selected = order.Skip(options.Skip).Take(top).ToArray();

        List<TRecord> selectedRecords = selected.Select(i => records[i]).ToList();
        Dictionary<VectorPropertyModel, float[]?[]>? known = plaintextVectors is null ? null
            : new() { [vector] = selected.Select(i => plaintextVectors[i]).ToArray() };
        List<TRecord> decrypted = DecryptRecords(selectedRecords, options.IncludeVectors, known);
        for (int i = 0; i < selected.Length; i++)
        {
            yield return new VectorSearchResult<TRecord>(decrypted[i], scores[selected[i]]);
        }
    }

    /// <summary>
    /// Answers this collection for its own types, the <see cref="VeilClient"/> for <c>typeof(VeilClient)</c>, and
    /// forwards every other request to the inner collection.
    /// </summary>
    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this
            : serviceKey is null && serviceType == typeof(VeilClient) ? _client
            : _inner.GetService(serviceType, serviceKey);
    }

    /// <summary>Disposes the inner collection (not the client).</summary>
    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void CheckDimensions(VectorPropertyModel vector, int length, string paramName)
    {
        if (vector.Dimensions > 0 && length != vector.Dimensions)
        {
            throw new ArgumentException($"Vector property '{vector.Name}' has {vector.Dimensions} dimensions; got a vector of {length}.", paramName);
        }
    }

    private Expression<Func<TRecord, bool>>? RewriteFilter(Expression<Func<TRecord, bool>>? filter) =>
        FilterRewriter.Rewrite(RestrictToTenant(filter), _deterministicByName, _standardNames, (property, plaintext) =>
            _client.Deterministic.GenerateQueryFieldValues(plaintext, property.SecretPath, property.DerivationPath, _options.Tenant)
                .Select(field => field.Ciphertext)
                .ToList());

    /// <summary>
    /// New search options for the inner store: plain ones, or, when the caller passed a store's own options type (for
    /// example <c>PostgresVectorSearchOptions</c> with its <c>EfSearch</c>), a copy of it, so its settings reach the
    /// store. The caller then sets what the decorator decides (filter, skip, vectors, threshold).
    /// </summary>
    /// <exception cref="NotSupportedException">The options type has no public parameterless constructor.</exception>
    private static VectorSearchOptions<TRecord> CopyStoreSettings(VectorSearchOptions<TRecord> options)
    {
        Type type = options.GetType();
        if (type == typeof(VectorSearchOptions<TRecord>))
        {
            return new VectorSearchOptions<TRecord>();
        }

        if (type.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new NotSupportedException($"The search options type '{type.Name}' needs a public parameterless constructor so that the encrypting collection can pass a copy to its inner store.");
        }

        var copy = (VectorSearchOptions<TRecord>)Activator.CreateInstance(type)!;
        foreach (System.Reflection.PropertyInfo property in type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            if (property.CanRead && property.CanWrite && property.GetIndexParameters().Length == 0)
            {
                property.SetValue(copy, property.GetValue(options));
            }
        }

        return copy;
    }

    /// <summary>The filter AND "the tenant property equals this tenant" (before encryption), with a tenant property.</summary>
    private Expression<Func<TRecord, bool>>? RestrictToTenant(Expression<Func<TRecord, bool>>? filter)
    {
        if (_model.Tenant is not { } tenant)
        {
            return filter;
        }

        ParameterExpression parameter = filter?.Parameters[0] ?? Expression.Parameter(typeof(TRecord), "r");
        Expression ownTenant = Expression.Equal(Expression.Property(parameter, tenant.Value.Property), Expression.Constant(_options.Tenant.Value, typeof(string)));
        return Expression.Lambda<Func<TRecord, bool>>(filter is null ? ownTenant : Expression.AndAlso(filter.Body, ownTenant), parameter);
    }

    /// <summary>Whether a stored row belongs to this tenant (always, without a tenant property): its tenant value is one of this tenant's query values.</summary>
    private bool OwnedByTenant(TRecord stored)
    {
        if (_model.Tenant is not { } tenant)
        {
            return true;
        }

        _tenantTags ??= _client.Deterministic
            .GenerateQueryFieldValues(System.Text.Encoding.UTF8.GetBytes(_options.Tenant.Value), tenant.SecretPath, tenant.DerivationPath, _options.Tenant)
            .Select(field => field.Ciphertext)
            .ToArray();
        return tenant.Value.GetBytes(stored) is { } value && _tenantTags.Any(tag => tag.AsSpan().SequenceEqual(value));
    }

    private void CopyKeysBack(TRecord[] originals, TRecord[] encrypted)
    {
        for (int i = 0; i < originals.Length; i++)
        {
            CopyKeyBack(encrypted[i], originals[i]);
        }
    }

    private void CopyKeyBack(TRecord encrypted, TRecord original)
    {
        object? key = _model.GetKey(encrypted);
        if (!Equals(key, _model.GetKey(original)) && _model.Key.CanWrite)
        {
            _model.Key.SetValue(original, key);
        }
    }

    private Keys.KeyId? StoredKeyId(VectorPropertyModel vector, TRecord record)
    {
        byte[]? info;
        try
        {
            info = vector.Companion?.GetBytes(record);
        }
        catch (FormatException)
        {
            return null;
        }

        return info is null ? null : new EncryptedVector(ReadOnlyMemory<float>.Empty, info, _options.VectorSecretPath, _options.VectorDerivationPath).KeyId;
    }

    /// <summary>Whether a key is one the store may replace with a generated one (none yet).</summary>
    private static bool IsKeyless(object? key) => key is null or "" or 0 or 0L || Guid.Empty.Equals(key);

    /// <summary>
    /// The binding of a record's standard properties: its key as the document id and the names of the standard
    /// properties that hold a value; null when binding is off or no standard property holds a value.
    /// </summary>
    /// <exception cref="ArgumentException">The record has no key yet, or its key's text is not valid UTF-16.</exception>
    private (Documents.DocumentBinding Document, string[] Names)? StandardBinding(TRecord record)
    {
        if (!_bindStandard)
        {
            return null;
        }

        string[] names = _model.Standard.Where(p => p.HasValue(record)).Select(p => p.Name).ToArray();
        if (names.Length == 0)
        {
            return null;
        }

        object? key = _model.GetKey(record);
        if (IsKeyless(key))
        {
            throw new ArgumentException(
                "With BindStandardProperties every record with a standard-encrypted value needs its key before upsert: a key the store generates cannot be bound.");
        }

        string id = key switch
        {
            string text => text,
            Guid guid => guid.ToString("D"),
            IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => key!.ToString() ?? string.Empty,
        };
        return (Documents.DocumentBinding.ForId(id), names);
    }

    private string DescribeKey(TRecord record) => Convert.ToString(_model.GetKey(record), System.Globalization.CultureInfo.InvariantCulture) ?? "(null)";

    private CryptographicException DecryptionFailed(TRecord record, string property, Exception inner, Keys.KeyId? keyId = null) => new(
        $"The record with key '{DescribeKey(record)}' failed to decrypt in property '{property}'" +
        (keyId is { } id ? $" (encrypted with secret key id {id})" : string.Empty) +
        ": it was altered, belongs to another tenant, or was encrypted with a key that is not configured.",
        inner);

    private TRecord[] EncryptRecords(TRecord[] records)
    {
        var copies = new TRecord[records.Length];
        for (int i = 0; i < copies.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(records[i], nameof(records));
            copies[i] = _model.Clone(records[i]);
            _model.Tenant?.Value.Property.SetValue(copies[i], _options.Tenant.Value);
        }

        foreach (VectorPropertyModel vector in _model.Vectors)
        {
            EncryptVectors(copies, vector);
        }

        foreach (DeterministicProperty property in _model.Deterministic)
        {
            EncryptDeterministic(copies, property);
        }

        (Documents.DocumentBinding Document, string[] Names)?[]? bindings = null;
        if (_bindStandard && _model.Standard.Count > 0)
        {
            bindings = new (Documents.DocumentBinding Document, string[] Names)?[copies.Length];
            for (int i = 0; i < copies.Length; i++)
            {
                bindings[i] = StandardBinding(copies[i]);
            }
        }

        foreach (BytesProperty property in _model.Standard)
        {
            EncryptStandard(copies, property, bindings);
        }

        return copies;
    }

    /// <summary>Runs a parallel batch, rethrowing an exception it did not capture per item as itself, not wrapped.</summary>
    private static T Unwrapped<T>(Func<T> batch)
    {
        try
        {
            return batch();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            throw;
        }
    }

    /// <summary>Encrypts one deterministic property of every record in one parallel batch.</summary>
    private void EncryptDeterministic(TRecord[] records, DeterministicProperty property)
    {
        var rows = new List<int>(records.Length);
        var fields = new List<Fields.PlaintextField>(records.Length);
        for (int i = 0; i < records.Length; i++)
        {
            if (property.Value.GetPlaintext(records[i]) is { } plaintext)
            {
                rows.Add(i);
                fields.Add(new Fields.PlaintextField(plaintext, property.SecretPath, property.DerivationPath));
            }
        }

        if (rows.Count == 0)
        {
            return;
        }

        BatchResult<Fields.EncryptedField> encrypted = Unwrapped(() => _client.Deterministic.EncryptDeterministicallyBatch(fields, _options.Tenant));
        for (int r = 0; r < rows.Count; r++)
        {
            BatchItemResult<Fields.EncryptedField> item = encrypted[r];
            if (item.Error is { } error)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }

            property.Value.SetBytes(records[rows[r]], item.Value!.Ciphertext);
        }
    }

    /// <summary>
    /// Encrypts one standard property of every record in one parallel batch, bound to each record's binding when
    /// <paramref name="bindings"/> is given (one per record; Alloy's format when null).
    /// </summary>
    private void EncryptStandard(TRecord[] records, BytesProperty property, (Documents.DocumentBinding Document, string[] Names)?[]? bindings)
    {
        var rows = new List<int>(records.Length);
        var plaintexts = new List<byte[]>(records.Length);
        List<Documents.FieldBinding>? fieldBindings = bindings is null ? null : new(records.Length);
        for (int i = 0; i < records.Length; i++)
        {
            if (property.GetPlaintext(records[i]) is { } plaintext)
            {
                rows.Add(i);
                plaintexts.Add(plaintext);
                if (bindings?[i] is { } binding)
                {
                    fieldBindings!.Add(new Documents.FieldBinding(binding.Document, property.Name, binding.Names));
                }
            }
        }

        if (rows.Count == 0)
        {
            return;
        }

        BatchResult<byte[]> encrypted = Unwrapped(() => fieldBindings is null
            ? _client.StandardAttached.EncryptBatch(plaintexts, _options.Tenant)
            : _client.StandardAttached.EncryptBatch(plaintexts, _options.Tenant, fieldBindings));
        for (int r = 0; r < rows.Count; r++)
        {
            BatchItemResult<byte[]> item = encrypted[r];
            if (item.Error is { } error)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }

            property.SetBytes(records[rows[r]], item.Value);
        }
    }

    private void EncryptVectors(TRecord[] records, VectorPropertyModel vector)
    {
        var rows = new List<int>(records.Length);
        int dimensions = vector.Dimensions;
        for (int i = 0; i < records.Length; i++)
        {
            if (vector.GetVector(records[i]) is { } value)
            {
                CheckDimensions(vector, value.Length, nameof(records));
                if (dimensions <= 0)
                {
                    dimensions = value.Length;
                }
                else if (value.Length != dimensions)
                {
                    throw new ArgumentException($"The vectors in property '{vector.Name}' have different lengths.", nameof(records));
                }

                rows.Add(i);
            }
            else
            {
                vector.Companion?.SetBytes(records[i], null);
            }
        }

        if (rows.Count == 0)
        {
            return;
        }

        // The records share one ciphertext array (each its own slice) unless their property is a float[]; the plaintexts
        // pass through a pooled buffer, cleared before it goes back.
        int length = rows.Count * dimensions;
        float[] plaintexts = ArrayPool<float>.Shared.Rent(length);
        float[] ciphertexts = new float[length];
        byte[] infos = _oneWay ? [] : new byte[rows.Count * VectorEncryptor.PairedIclInfoLength];
        try
        {
            for (int r = 0; r < rows.Count; r++)
            {
                vector.GetVector(records[rows[r]])!.Value.Span.CopyTo(plaintexts.AsSpan(r * dimensions, dimensions));
            }

            VectorEncryptor encryptor = _client.Vector.GetEncryptor(_options.VectorSecretPath, _options.VectorDerivationPath, _options.Tenant);
            bool[] succeeded = _oneWay
                ? encryptor.EncryptOneWayBatch(dimensions, plaintexts.AsMemory(0, length), ciphertexts)
                : encryptor.EncryptBatch(dimensions, plaintexts.AsMemory(0, length), ciphertexts, infos);
            for (int r = 0; r < rows.Count; r++)
            {
                TRecord copy = records[rows[r]];
                if (!succeeded[r])
                {
                    throw new ArgumentException(
                        $"The vector in property '{vector.Name}' of the record with key '{DescribeKey(copy)}' cannot be encrypted: it contains NaN or infinity, or overflows.",
                        nameof(records));
                }

                vector.SetVector(copy, ciphertexts.AsMemory(r * dimensions, dimensions));
                vector.Companion?.SetBytes(copy, _oneWay ? null : infos.AsSpan(r * VectorEncryptor.PairedIclInfoLength, VectorEncryptor.PairedIclInfoLength).ToArray());
            }
        }
        finally
        {
            Array.Clear(plaintexts, 0, length);
            ArrayPool<float>.Shared.Return(plaintexts);
        }
    }

    /// <summary>Decrypts one vector property of every stored record: null where there is no vector (or in one-way mode).</summary>
    private float[]?[] DecryptVectors(List<TRecord> stored, VectorPropertyModel vector)
    {
        var result = new float[]?[stored.Count];
        if (_oneWay)
        {
            return result;
        }

        var indexes = new List<int>();
        var encrypted = new List<EncryptedVector>();
        for (int i = 0; i < stored.Count; i++)
        {
            if (vector.GetVector(stored[i]) is not { Length: > 0 } ciphertext)
            {
                continue;
            }

            byte[]? info;
            try
            {
                info = vector.Companion!.GetBytes(stored[i]);
            }
            catch (FormatException e)
            {
                throw DecryptionFailed(stored[i], vector.Companion!.Name, e);
            }

            if (info is null)
            {
                throw new CryptographicException(
                    $"The record with key '{DescribeKey(stored[i])}' has a vector in property '{vector.Name}' but no paired ICL info in '{vector.Companion.Name}', so it cannot be decrypted.");
            }

            indexes.Add(i);
            encrypted.Add(new EncryptedVector(ciphertext, info, _options.VectorSecretPath, _options.VectorDerivationPath));
        }

        BatchResult<float[]> decrypted = _client.Vector.DecryptBatch(encrypted, _options.Tenant);
        for (int j = 0; j < indexes.Count; j++)
        {
            BatchItemResult<float[]> item = decrypted[j];
            if (!item.IsSuccess)
            {
                foreach (BatchItemResult<float[]> other in decrypted)
                {
                    if (other.Value is { } plaintext)
                    {
                        Array.Clear(plaintext);
                    }
                }

                throw DecryptionFailed(stored[indexes[j]], vector.Name, item.Error!, encrypted[j].KeyId);
            }

            result[indexes[j]] = item.Value;
        }

        return result;
    }

    /// <summary>
    /// Copies and decrypts stored records. Vectors are decrypted only when <paramref name="includeVectors"/>
    /// (otherwise cleared); <paramref name="known"/> supplies vectors already decrypted (by re-ranking).
    /// </summary>
    private List<TRecord> DecryptRecords(List<TRecord> stored, bool includeVectors, Dictionary<VectorPropertyModel, float[]?[]>? known = null)
    {
        var vectors = new Dictionary<VectorPropertyModel, float[]?[]>();
        if (includeVectors)
        {
            foreach (VectorPropertyModel vector in _model.Vectors)
            {
                vectors[vector] = known is not null && known.TryGetValue(vector, out float[]?[]? plaintexts) ? plaintexts : DecryptVectors(stored, vector);
            }
        }

        var output = new List<TRecord>(stored.Count);
        for (int i = 0; i < stored.Count; i++)
        {
            TRecord copy = _model.Clone(stored[i]);
            foreach (DeterministicProperty property in _model.Deterministic)
            {
                try
                {
                    if (property.Value.GetBytes(copy) is { } bytes)
                    {
                        property.Value.SetPlaintext(copy, _client.Deterministic.Decrypt(
                            new Fields.EncryptedField(bytes, property.SecretPath, property.DerivationPath), _options.Tenant));
                    }
                }
                catch (Exception e) when (e is CryptographicException or FormatException)
                {
                    throw DecryptionFailed(stored[i], property.Value.Name, e);
                }
            }

            (Documents.DocumentBinding Document, string[] Names)? binding = null;
            foreach (BytesProperty property in _model.Standard)
            {
                try
                {
                    if (property.GetBytes(copy) is { } bytes)
                    {
                        binding ??= StandardBinding(copy);
                        property.SetPlaintext(copy, binding is { } bound
                            ? _client.StandardAttached.Decrypt(bytes, _options.Tenant, new Documents.FieldBinding(bound.Document, property.Name, bound.Names))
                            : _client.StandardAttached.Decrypt(bytes, _options.Tenant));
                    }
                }
                catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
                {
                    throw DecryptionFailed(stored[i], property.Name, e);
                }
            }

            foreach (VectorPropertyModel vector in _model.Vectors)
            {
                vector.SetVector(copy, vectors.TryGetValue(vector, out float[]?[]? plaintexts) ? plaintexts[i] : null);
            }

            output.Add(copy);
        }

        return output;
    }
}
