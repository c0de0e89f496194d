using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Stores.Postgres;

namespace Veil.Documents.Store;

/// <summary>
/// An opened store with its collection manifests, handing out encrypting collections of <see cref="VeilDocument"/>s
/// (used by <c>ingest</c>, <c>search</c>, <c>export</c> and <c>demo</c>).
/// </summary>
public sealed partial class DocumentStore : IDisposable
{
    private readonly VectorStore _store;
    private readonly VectorStoreCollection<string, CollectionManifest> _manifests;
    private readonly VectorStoreCollection<string, CollectionTenant> _tenants;
    private readonly VectorStoreCollection<string, CollectionModeRecord> _modes;

    private DocumentStore(StoreLocation location, VectorStore store)
    {
        Location = location;
        _store = store;
        _manifests = store.GetCollection<string, CollectionManifest>(CollectionManifest.CollectionName);
        _tenants = store.GetCollection<string, CollectionTenant>(CollectionTenant.CollectionName);
        _modes = store.GetCollection<string, CollectionModeRecord>(CollectionModeRecord.CollectionName);
    }

    /// <summary>Gets where the store lives.</summary>
    public StoreLocation Location { get; }

    /// <exception cref="DocumentStoreException">The store cannot be opened (or must exist and does not).</exception>
    public static DocumentStore Open(StoreLocation location, bool mustExist) => new(location, location.Open(mustExist));

    /// <summary>Checks that <paramref name="name"/> can name a collection.</summary>
    /// <exception cref="DocumentStoreException">It cannot.</exception>
    public static void ValidateName(string name)
    {
        string[] reserved = [CollectionManifest.CollectionName, CollectionTenant.CollectionName, CollectionModeRecord.CollectionName, SealedIndexRecord.CollectionName];
        if (string.IsNullOrWhiteSpace(name) || reserved.Any(r => name.Equals(r, StringComparison.OrdinalIgnoreCase)))
        {
            throw new DocumentStoreException($"Invalid options: --collection must be a non-blank name other than {string.Join(", ", reserved.Select(r => $"\"{r}\""))} (which hold veil's collection descriptions).");
        }
    }

    /// <summary>
    /// The manifest of <paramref name="name"/>, or null when veil has not created such a collection. Names are compared
    /// as the database compares table names (<see cref="StoreLocation.CollectionNames"/>).
    /// </summary>
    /// <exception cref="DocumentStoreException">Another collection's name is the same table to the database (<c>DOCUMENTS</c> and <c>documents</c> in DuckDB).</exception>
    public async Task<CollectionManifest?> FindManifestAsync(string name, CancellationToken cancellationToken)
    {
        IReadOnlyList<CollectionManifest> manifests = await ListManifestsAsync(cancellationToken).ConfigureAwait(false);
        if (manifests.FirstOrDefault(m => m.Name == name) is not { } manifest)
        {
            if (manifests.FirstOrDefault(m => Location.CollectionNames.Equals(m.Name, name)) is { } other)
            {
                throw Clash(name, other.Name);
            }

            return null;
        }

        if (!await _store.CollectionExistsAsync(name, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return manifest;
    }

    /// <summary>The manifest of <paramref name="name"/>.</summary>
    /// <exception cref="DocumentStoreException">There is no such collection (the message lists the ones there are), or its name clashes with another's.</exception>
    public async Task<CollectionManifest> GetManifestAsync(string name, CancellationToken cancellationToken)
    {
        if (await FindManifestAsync(name, cancellationToken).ConfigureAwait(false) is { } manifest)
        {
            return manifest;
        }

        IReadOnlyList<CollectionManifest> manifests = await ListManifestsAsync(cancellationToken).ConfigureAwait(false);
        string existing = manifests.Count == 0 ? "it has none" : "it has " + string.Join(", ", manifests.Select(m => m.Name).Order(StringComparer.Ordinal).Select(n => $"\"{n}\""));
        throw new DocumentStoreException($"The store {Location} has no collection \"{name}\" ({existing}). Create it with veil ingest --collection {name}.");
    }

    /// <summary>The manifests of every collection veil created in the store, each with its <see cref="CollectionManifest.Mode"/>.</summary>
    public async Task<IReadOnlyList<CollectionManifest>> ListManifestsAsync(CancellationToken cancellationToken)
    {
        var manifests = new List<CollectionManifest>();
        if (!await _manifests.CollectionExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return manifests;
        }

        // Every manifest carries its mode, so a caller that looks over all collections (key usage before a retire)
        // never takes a sealed collection for a DCPE one. No mode row means DCPE (collections made before modes).
        var modes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (await _modes.CollectionExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            await foreach (CollectionModeRecord r in _modes.GetAsync(r => true, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                modes[r.Name] = r.Mode;
            }
        }

        await foreach (CollectionManifest m in _manifests.GetAsync(m => true, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            (m.Mode, m.SealedFormat) = modes.TryGetValue(m.Name, out string? mode) ? CollectionModeRecord.Parse(m.Name, mode) : (CollectionMode.Dcpe, SealedVectorFormat.Binary);
            manifests.Add(m);
        }

        return manifests;
    }

    /// <summary>Checks that <paramref name="name"/> can name a new collection: the database has no table of that name (as it compares names).</summary>
    /// <exception cref="DocumentStoreException">
    /// It has one: another collection's, or one veil did not create (or whose ingest crashed); veil never writes into it.
    /// </exception>
    public async Task EnsureNewAsync(string name, CancellationToken cancellationToken)
    {
        await foreach (string table in _store.ListCollectionNamesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Location.CollectionNames.Equals(table, name))
            {
                throw table == name
                    ? new DocumentStoreException($"The store {Location} already has a table \"{table}\" that is not a veil collection (or an ingest into it was interrupted); veil does not write into it. Remove it with veil ingest --replace --collection {table}, or choose another --collection.")
                    : Clash(name, table);
            }
        }
    }

    /// <summary>Creates the collection, its manifest and its tenant record, after <see cref="EnsureNewAsync"/>.</summary>
    /// <exception cref="DocumentStoreException">See <see cref="EnsureNewAsync"/>.</exception>
    public async Task CreateAsync(CollectionManifest manifest, TenantId tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        await EnsureNewAsync(manifest.Name, cancellationToken).ConfigureAwait(false);
        await _manifests.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        await Plain(manifest).EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        await RecordTenantAsync(manifest.Name, tenant, cancellationToken).ConfigureAwait(false);
        if (manifest.Mode != CollectionMode.Dcpe)
        {
            await _modes.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
            await _modes.UpsertAsync(new CollectionModeRecord { Name = manifest.Name, Mode = CollectionModeRecord.Format(manifest.Mode, manifest.SealedFormat) }, cancellationToken).ConfigureAwait(false);
        }

        await _manifests.UpsertAsync(manifest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the collection and its manifest (and any manifest whose name is the same table to the database), if they exist.</summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await _store.EnsureCollectionDeletedAsync(name, cancellationToken).ConfigureAwait(false);
        await DeleteTenantAsync(name, cancellationToken).ConfigureAwait(false);
        await DeleteSealedStateAsync(name, cancellationToken).ConfigureAwait(false);
        foreach (CollectionManifest manifest in await ListManifestsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Location.CollectionNames.Equals(manifest.Name, name))
            {
                await _manifests.DeleteAsync(manifest.Name, cancellationToken).ConfigureAwait(false);
                await DeleteTenantAsync(manifest.Name, cancellationToken).ConfigureAwait(false);
                await DeleteSealedStateAsync(manifest.Name, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The collection as stored (no encryption), with the columns of its mode: what the database sees. A sealed
    /// collection on PostgreSQL keeps its rows (about 2 KiB of sealed vector each) in the table, out of TOAST (see
    /// <see cref="PostgresCollectionOptions.ToastTupleTarget"/>).
    /// </summary>
    public VectorStoreCollection<string, VeilDocument> Plain(CollectionManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        VectorStoreCollectionDefinition definition = VeilDocument.Definition(manifest);
        return _store is PostgresVectorStore postgres && manifest.Mode == CollectionMode.Sealed
            ? postgres.GetCollection<string, VeilDocument>(manifest.Name, new PostgresCollectionOptions { Definition = definition, ToastTupleTarget = PostgresCollectionOptions.MaxToastTupleTarget })
            : _store.GetCollection<string, VeilDocument>(manifest.Name, definition);
    }

    /// <summary>A DCPE collection as stored (no encryption): what the database sees.</summary>
    public VectorStoreCollection<string, VeilDocument> Plain(string name, int dimensions) =>
        _store.GetCollection<string, VeilDocument>(name, VeilDocument.Definition(dimensions));

    /// <summary>
    /// The collection behind the decorator encrypting its fields (and, for a DCPE collection, its vectors) for
    /// <paramref name="tenant"/>. For a sealed collection use <see cref="OpenCollection"/>, which seals the vectors on top.
    /// </summary>
    public EncryptingVectorStoreCollection<string, VeilDocument> Encrypted(
        CollectionManifest manifest, VeilClient client, TenantId tenant, bool rerank = true, int rerankCandidates = EncryptingCollectionOptions.DefaultRerankCandidates)
    {
        VectorStoreCollectionDefinition definition = VeilDocument.Definition(manifest);
        EncryptingCollectionOptions options = FieldOptions(manifest, tenant, rerank, rerankCandidates);
        if (_store is PostgresVectorStore)
        {
            UsePostgresUpsertPipeline(options);
        }

        return new EncryptingVectorStoreCollection<string, VeilDocument>(Plain(manifest), client, options, definition);
    }

    /// <summary>
    /// Sets the encrypting decorator's upsert pipeline for a PostgreSQL collection: chunks of at most 256 records, two
    /// waiting. The server takes rows more slowly than they are encrypted, so encrypted records that wait longer only
    /// outlive gen-0 collections (and are copied by the GC); at 10⁵ × 384 on 2 cores this raised encrypted COPY ingest
    /// from ~0.68× to ~0.8× the plaintext rate (docs/scale.md §3).
    /// </summary>
    /// <param name="options">The decorator's options.</param>
    public static void UsePostgresUpsertPipeline(EncryptingCollectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.UpsertChunkRows = 256;
        options.UpsertChunksAhead = 2;
    }

    /// <summary>How the category and fields (and, for DCPE, the vectors) of <paramref name="manifest"/>'s collection are encrypted.</summary>
    private static EncryptingCollectionOptions FieldOptions(CollectionManifest manifest, TenantId tenant, bool rerank, int rerankCandidates)
    {
        if (manifest.Mode == CollectionMode.Sealed)
        {
            // The sealed decorator seals the vectors with the standard secrets: no vector secret is used.
            EncryptingCollectionOptions fields = EncryptingCollectionOptions.FieldsOnly(tenant);
            fields.DeterministicSecretPath = new SecretPath(manifest.VectorSecretPath);
            return fields;
        }

        return new(new SecretPath(manifest.VectorSecretPath), new DerivationPath(manifest.VectorDerivationPath), tenant)
        {
            DeterministicSecretPath = new SecretPath(manifest.VectorSecretPath),
            ExactReranking = rerank,
            RerankCandidates = rerankCandidates,
        };
    }

    private DocumentStoreException Clash(string name, string existing) => new(
        $"Invalid options: --collection \"{name}\" is the same table as the existing collection \"{existing}\" in {Location} ({Location.CollectionNamesDescription}); use --collection {existing}, or another name.");

    /// <summary>Closes the store.</summary>
    public void Dispose()
    {
        _manifests.Dispose();
        _tenants.Dispose();
        _modes.Dispose();
        _store.Dispose();
    }
}
