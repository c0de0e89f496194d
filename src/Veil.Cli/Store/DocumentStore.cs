using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Cli.Store;

/// <summary>
/// An opened store with its collection manifests, handing out encrypting collections of <see cref="VeilDocument"/>s
/// (used by <c>ingest</c>, <c>search</c>, <c>export</c> and <c>demo</c>).
/// </summary>
internal sealed class DocumentStore : IDisposable
{
    private readonly VectorStore _store;
    private readonly VectorStoreCollection<string, CollectionManifest> _manifests;

    private DocumentStore(StoreLocation location, VectorStore store)
    {
        Location = location;
        _store = store;
        _manifests = store.GetCollection<string, CollectionManifest>(CollectionManifest.CollectionName);
    }

    public StoreLocation Location { get; }

    /// <exception cref="CliUsageException">The store cannot be opened (or must exist and does not).</exception>
    public static DocumentStore Open(StoreLocation location, bool mustExist) => new(location, location.Open(mustExist));

    /// <summary>Checks that <paramref name="name"/> can name a collection.</summary>
    /// <exception cref="CliUsageException">It cannot.</exception>
    public static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Equals(CollectionManifest.CollectionName, StringComparison.OrdinalIgnoreCase))
        {
            throw new CliUsageException($"Invalid options: --collection must be a non-blank name other than \"{CollectionManifest.CollectionName}\" (which holds veil's collection descriptions).");
        }
    }

    /// <summary>The manifest of <paramref name="name"/>, or null when veil has not created such a collection.</summary>
    public async Task<CollectionManifest?> FindManifestAsync(string name, CancellationToken cancellationToken)
    {
        if (!await _manifests.CollectionExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return await _manifests.GetAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false) is { } manifest
            && await _store.CollectionExistsAsync(name, cancellationToken).ConfigureAwait(false)
            ? manifest
            : null;
    }

    /// <summary>The manifest of <paramref name="name"/>.</summary>
    /// <exception cref="CliUsageException">There is no such collection; the message lists the ones there are.</exception>
    public async Task<CollectionManifest> GetManifestAsync(string name, CancellationToken cancellationToken)
    {
        if (await FindManifestAsync(name, cancellationToken).ConfigureAwait(false) is { } manifest)
        {
            return manifest;
        }

        var names = new List<string>();
        if (await _manifests.CollectionExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            await foreach (CollectionManifest m in _manifests.GetAsync(m => true, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                names.Add(m.Name);
            }
        }

        string existing = names.Count == 0 ? "it has none" : "it has " + string.Join(", ", names.Order(StringComparer.Ordinal).Select(n => $"\"{n}\""));
        throw new CliUsageException($"The store {Location} has no collection \"{name}\" ({existing}). Create it with veil ingest --collection {name}.");
    }

    /// <summary>Creates the collection (and its manifest) if needed.</summary>
    public async Task CreateAsync(CollectionManifest manifest, CancellationToken cancellationToken)
    {
        await _manifests.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        await Plain(manifest.Name, manifest.Dimensions).EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        await _manifests.UpsertAsync(manifest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the collection and its manifest, if they exist.</summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await _store.EnsureCollectionDeletedAsync(name, cancellationToken).ConfigureAwait(false);
        if (await _manifests.CollectionExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            await _manifests.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The collection as stored (no encryption): what the database sees.</summary>
    public VectorStoreCollection<string, VeilDocument> Plain(string name, int dimensions) =>
        _store.GetCollection<string, VeilDocument>(name, VeilDocument.Definition(dimensions));

    /// <summary>The collection behind an encrypting decorator for <paramref name="tenant"/>.</summary>
    public EncryptingVectorStoreCollection<string, VeilDocument> Encrypted(
        CollectionManifest manifest, VeilClient client, TenantId tenant, bool rerank = true, int rerankCandidates = EncryptingCollectionOptions.DefaultRerankCandidates)
    {
        var options = new EncryptingCollectionOptions(manifest.VectorSecretPath, manifest.VectorDerivationPath, tenant)
        {
            DeterministicSecretPath = manifest.VectorSecretPath,
            ExactReranking = rerank,
            RerankCandidates = rerankCandidates,
        };
        VectorStoreCollectionDefinition definition = VeilDocument.Definition(manifest.Dimensions);
        return new EncryptingVectorStoreCollection<string, VeilDocument>(Plain(manifest.Name, manifest.Dimensions), client, options, definition);
    }

    public void Dispose()
    {
        _manifests.Dispose();
        _store.Dispose();
    }
}
