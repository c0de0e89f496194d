using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Pipelines;
using Veil.Documents;

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
/// <para><b>Keys.</b> Every encryption and decryption goes through an <see cref="IVeilOperations"/>: local keys
/// (<see cref="LocalVeilOperations"/>, or the <see cref="VeilClient"/> constructor) or the key service's client, so an
/// application can encrypt without holding keys. <see cref="GetService"/> never returns a key-holding object.</para>
/// <para><b>Records.</b> Record classes and dynamic (<c>Dictionary&lt;string, object?&gt;</c>) records, described by MEVD's
/// attributes or a <see cref="VectorStoreCollectionDefinition"/> (MEVD's own record model); the protected properties
/// are named by Veil's attributes or the options. Empty <see cref="Guid"/> keys are generated on upsert, as MEVD
/// specifies. A vector property whose input a generator embeds (MEVD's embedding generation) is embedded, then encrypted.</para>
/// <para><b>Thread safety.</b> As thread-safe as the inner collection.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Named after the MEVD type it decorates, VectorStoreCollection.")]
public sealed class EncryptingVectorStoreCollection<TKey, TRecord> : DelegatingVectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    /// <summary>
    /// Records encrypted in one batch by <see cref="UpsertAsync(IEnumerable{TRecord}, CancellationToken)"/> unless
    /// <see cref="EncryptingCollectionOptions.UpsertChunkRows"/> says otherwise.
    /// </summary>
    public const int PipelineChunkRows = EncryptingCollectionOptions.DefaultUpsertChunkRows;

    /// <summary>
    /// Records in the first chunk of a pipelined upsert (the chunks then double up to <see cref="EncryptingCollectionOptions.UpsertChunkRows"/>):
    /// the inner collection waits only for these before it starts storing. With full first chunks, a PostgreSQL COPY
    /// of 10 000 records waited for 4 096 encryptions before its first row.
    /// </summary>
    public const int PipelineFirstChunkRows = 256;

    private readonly EncryptingCollectionOptions _options;
    private readonly EncryptedRecordModel<TRecord> _model;
    private readonly RecordCipher<TRecord> _cipher;
    private readonly EncryptedSearch<TKey, TRecord> _search;
    private readonly Dictionary<string, DeterministicField> _deterministicByName;
    private readonly HashSet<string> _standardNames;

    /// <summary>Wraps <paramref name="inner"/>, encrypting through <paramref name="operations"/>.</summary>
    /// <param name="inner">The collection that stores the encrypted records.</param>
    /// <param name="operations">Local keys or the key service's client (not disposed by the collection).</param>
    /// <param name="options">Secret paths, tenant and behaviour; read once, here.</param>
    /// <param name="definition">The collection definition, when the record type's properties are defined by one rather
    /// than by attributes (always, for dynamic records).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The configuration does not fit the record, named in the message: a vector
    /// property has no paired ICL info property (and the mode is not one-way), a deterministic property has no secret
    /// path, the options name a missing property, or a dynamic collection has no definition.</exception>
    /// <exception cref="NotSupportedException">The record type cannot be handled: no parameterless constructor, no key
    /// property, an encrypted property that is not string or byte[], a vector that is neither float[],
    /// ReadOnlyMemory&lt;float&gt;, Embedding&lt;float&gt; nor (on a dynamic record) an input its generator embeds, a
    /// distance function exact re-ranking cannot compute, or <see cref="EncryptingCollectionOptions.BindStandardProperties"/>
    /// without local keys.</exception>
    public EncryptingVectorStoreCollection(
        VectorStoreCollection<TKey, TRecord> inner,
        IVeilOperations operations,
        EncryptingCollectionOptions options,
        VectorStoreCollectionDefinition? definition = null)
        : this(inner, operations, boundStandard: null, options, definition)
    {
    }

    /// <summary>Wraps <paramref name="inner"/>, encrypting with a local <paramref name="client"/>'s keys.</summary>
    /// <param name="inner">The collection that stores the encrypted records.</param>
    /// <param name="client">The client whose secrets encrypt (not disposed by the collection).</param>
    /// <param name="options">Secret paths, tenant and behaviour; read once, here.</param>
    /// <param name="definition">The collection definition, when the record type's properties are defined by one rather than by attributes.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">As the other constructor, and: the client has no vector secret at the
    /// options' path, no deterministic secret a deterministic property names, or no standard secret while a property
    /// is encrypted with standard encryption (each named in the message).</exception>
    /// <exception cref="NotSupportedException">As the other constructor.</exception>
    public EncryptingVectorStoreCollection(
        VectorStoreCollection<TKey, TRecord> inner,
        VeilClient client,
        EncryptingCollectionOptions options,
        VectorStoreCollectionDefinition? definition = null)
        : this(inner, new LocalVeilOperations(client ?? throw new ArgumentNullException(nameof(client))), client.StandardAttached, options, definition)
    {
        ConfigurationCheck.ThrowIfMissingSecrets(client.Configuration, _model, options);
    }

    private EncryptingVectorStoreCollection(
        VectorStoreCollection<TKey, TRecord> inner,
        IVeilOperations operations,
        AttachedDocumentOperations? boundStandard,
        EncryptingCollectionOptions options,
        VectorStoreCollectionDefinition? definition)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _model = new EncryptedRecordModel<TRecord>(typeof(TKey), options, definition);
        ConfigurationCheck.ThrowIfUnsupported(_model, options, boundStandard is not null);
        _cipher = new RecordCipher<TRecord>(operations, boundStandard, _model, options);
        _search = new EncryptedSearch<TKey, TRecord>(inner, _model, _cipher, options);
        _deterministicByName = _model.Deterministic.ToDictionary(p => p.Value.Name, StringComparer.Ordinal);
        _standardNames = _model.Standard.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    /// <remarks>With a <see cref="EncryptingCollectionOptions.TenantProperty"/>, another tenant's row is left alone.</remarks>
    public override Task DeleteAsync(TKey key, CancellationToken cancellationToken = default) =>
        _model.Tenant is null ? InnerCollection.DeleteAsync(key, cancellationToken) : DeleteAsync([key], cancellationToken);

    /// <inheritdoc/>
    /// <remarks>With a <see cref="EncryptingCollectionOptions.TenantProperty"/>, rows of other tenants are left alone.</remarks>
    public override async Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        if (_model.Tenant is null)
        {
            await InnerCollection.DeleteAsync(keys, cancellationToken).ConfigureAwait(false);
            return;
        }

        List<TRecord> owned = await OwnedAsync(InnerCollection.GetAsync(keys, new RecordRetrievalOptions { IncludeVectors = false }, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (owned.Count > 0)
        {
            await InnerCollection.DeleteAsync(owned.Select(r => (TKey)_model.GetKey(r)!).ToList(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gets a record by key, decrypted.</summary>
    /// <inheritdoc/>
    /// <exception cref="CryptographicException">The stored record fails authentication or cannot be decrypted.</exception>
    public override async Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        TRecord? stored = await InnerCollection.GetAsync(key, options, cancellationToken).ConfigureAwait(false);
        await _cipher.PrepareTenantAsync(cancellationToken).ConfigureAwait(false);
        return stored is null || !_cipher.OwnedByTenant(stored) ? null
            : (await _cipher.DecryptAsync([stored], options?.IncludeVectors ?? false, cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>Gets records by key, decrypted.</summary>
    /// <inheritdoc/>
    /// <exception cref="CryptographicException">A stored record fails authentication or cannot be decrypted.</exception>
    public override async IAsyncEnumerable<TRecord> GetAsync(
        IEnumerable<TKey> keys, RecordRetrievalOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<TRecord> stored = await OwnedAsync(InnerCollection.GetAsync(keys, options, cancellationToken), cancellationToken).ConfigureAwait(false);
        foreach (TRecord record in await _cipher.DecryptAsync(stored, options?.IncludeVectors ?? false, cancellationToken).ConfigureAwait(false))
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

        Expression<Func<TRecord, bool>> rewritten = (await RewriteFilterAsync(filter, cancellationToken).ConfigureAwait(false))!;
        List<TRecord> stored = await OwnedAsync(InnerCollection.GetAsync(rewritten, top, options, cancellationToken), cancellationToken).ConfigureAwait(false);
        foreach (TRecord record in await _cipher.DecryptAsync(stored, options?.IncludeVectors ?? false, cancellationToken).ConfigureAwait(false))
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
        TRecord encrypted = (await _cipher.EncryptAsync([record], cancellationToken).ConfigureAwait(false))[0];
        await InnerCollection.UpsertAsync(encrypted, cancellationToken).ConfigureAwait(false);
        CopyKeyBack(encrypted, record);
    }

    /// <summary>
    /// Encrypts copies of <paramref name="records"/> and upserts them in one call of the inner collection. Up to
    /// <see cref="EncryptingCollectionOptions.UpsertChunkRows"/> records are encrypted in one batch before the inner collection is
    /// called; a longer sequence is read and encrypted in chunks on a background task (<see cref="PipelineFirstChunkRows"/>
    /// first, doubling up to <see cref="EncryptingCollectionOptions.UpsertChunkRows"/>, at most
    /// <see cref="EncryptingCollectionOptions.UpsertChunksAhead"/> waiting) while the inner collection stores the chunks before, so
    /// encryption and storage overlap from the first few hundred records and a lazily produced sequence of any
    /// length passes through bounded memory (as far as the inner collection streams it too).
    /// </summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A vector has the wrong dimension or contains NaN or infinity.</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        int chunkRows = _options.UpsertChunkRows;
        if (records is ICollection<TRecord> collection && collection.Count <= chunkRows)
        {
            TRecord[] originals = records.ToArray();
            TRecord[] encrypted = await _cipher.EncryptAsync(originals, cancellationToken).ConfigureAwait(false);
            await InnerCollection.UpsertAsync(encrypted, cancellationToken).ConfigureAwait(false);
            if (_model.KeysMayBeGenerated)
            {
                for (int i = 0; i < originals.Length; i++)
                {
                    CopyKeyBack(encrypted[i], originals[i]);
                }
            }

            return;
        }

        // Only records without a key can get one (from the store or the decorator); only those are kept to copy it back,
        // and none are looked for when no store generates keys of this type.
        var keyless = new List<(TRecord Original, TRecord Encrypted)>();
        async Task<TRecord[]> EncryptChunkAsync(TRecord[] chunk, CancellationToken token)
        {
            TRecord[] encrypted = await _cipher.EncryptAsync(chunk, token).ConfigureAwait(false);
            if (_model.KeysMayBeGenerated)
            {
                keyless.AddRange(chunk.Select((original, i) => (original, encrypted[i])).Where(pair => StandardBinding<TRecord>.IsKeyless(_model.GetKey(pair.original))));
            }

            return encrypted;
        }

        async Task EncryptChunksAsync(Action<TRecord[]> add, CancellationToken token)
        {
            foreach (TRecord[] chunk in ChunkPipeline<TRecord>.GrowingChunks(records, Math.Min(PipelineFirstChunkRows, chunkRows), chunkRows))
            {
                add(await EncryptChunkAsync(chunk, token).ConfigureAwait(false));
            }
        }

        using (var pipeline = new ChunkPipeline<TRecord>(EncryptChunksAsync, cancellationToken, _options.UpsertChunksAhead))
        {
            try
            {
                await InnerCollection.UpsertAsync(pipeline.Items(), cancellationToken).ConfigureAwait(false);
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
    /// <c>float[]</c> or <c>Embedding&lt;float&gt;</c>, or what the vector property's embedding generator embeds, such
    /// as text), encrypted once per live key; returns decrypted records. See the type's remarks for which scores are returned.
    /// </summary>
    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The search value is of another type (for example text without an
    /// embedding generator), or the filter uses an encrypted property in a way encryption cannot support.</exception>
    /// <exception cref="InvalidOperationException">The options name no vector property of the record, or none while it has several (MEVD's messages).</exception>
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
        VectorField vector = _model.ResolveVector(options);
        ReadOnlyMemory<float> query = await EncryptedSearch<TKey, TRecord>.QueryAsync(searchValue, vector, cancellationToken).ConfigureAwait(false);
        Expression<Func<TRecord, bool>>? filter = await RewriteFilterAsync(options.Filter, cancellationToken).ConfigureAwait(false);
        await _cipher.PrepareTenantAsync(cancellationToken).ConfigureAwait(false);
        List<VectorSearchResult<TRecord>> results = await _search.SearchAsync(query, vector, top, options, o => InnerSearchOptions.For(o, filter), cancellationToken).ConfigureAwait(false);
        foreach (VectorSearchResult<TRecord> result in results)
        {
            yield return result;
        }
    }

    /// <summary>
    /// Answers this collection for its own types and forwards every other request to the inner collection, except
    /// for key holders: <see cref="VeilClient"/>, <see cref="IVeilOperations"/> and their parts are never returned.
    /// </summary>
    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        KeyHolders.IsKeyHolder(serviceType) ? null : base.GetService(serviceType, serviceKey);

    /// <summary>Decrypt-side filter: the records of <paramref name="stored"/> that belong to this tenant.</summary>
    private async Task<List<TRecord>> OwnedAsync(IAsyncEnumerable<TRecord> stored, CancellationToken cancellationToken)
    {
        await _cipher.PrepareTenantAsync(cancellationToken).ConfigureAwait(false);
        var owned = new List<TRecord>();
        await foreach (TRecord record in stored.ConfigureAwait(false))
        {
            if (_cipher.OwnedByTenant(record))
            {
                owned.Add(record);
            }
        }

        return owned;
    }

    /// <summary>The filter restricted to this tenant, with deterministic comparisons rewritten to ciphertexts.</summary>
    private async Task<Expression<Func<TRecord, bool>>?> RewriteFilterAsync(Expression<Func<TRecord, bool>>? filter, CancellationToken cancellationToken) =>
        await FilterRewriter.RewriteAsync(TenantFilter.Restrict(filter, _model, _options), _deterministicByName, _standardNames, _cipher.QueryValuesAsync, cancellationToken).ConfigureAwait(false);

    /// <summary>Copies a key the store or the decorator generated back into the caller's record.</summary>
    private void CopyKeyBack(TRecord encrypted, TRecord original)
    {
        object? key = _model.GetKey(encrypted);
        if (!Equals(key, _model.GetKey(original)))
        {
            _model.KeyAccess.Set(original, key);
        }
    }
}
