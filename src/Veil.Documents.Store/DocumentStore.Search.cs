using System.Globalization;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Documents.Store;

/// <summary>What to search for: a plaintext query vector, or the (decrypted) vector of a stored document.</summary>
/// <param name="Collection">The collection.</param>
/// <param name="Tenant">The tenant whose keys encrypt the query (the collection's).</param>
public sealed record DocumentSearch(string Collection, TenantId Tenant)
{
    /// <summary>Gets the query vector (or null with <see cref="Id"/>).</summary>
    public float[]? Vector { get; init; }

    /// <summary>Gets where <see cref="Vector"/> came from, for messages (such as <c>the model 'all-MiniLM-L6-v2'</c>).</summary>
    public string VectorSource { get; init; } = "the query vector";

    /// <summary>Gets the id of a stored document whose vector is the query (it is its own first hit), or null.</summary>
    public string? Id { get; init; }

    /// <summary>Gets how many hits.</summary>
    public int Top { get; init; } = 10;

    /// <summary>Gets a value indicating whether the candidates are re-ranked exactly on the plaintext query.</summary>
    public bool Rerank { get; init; } = true;

    /// <summary>Gets K′: how many candidates re-ranking fetches and decrypts.</summary>
    public int RerankCandidates { get; init; } = EncryptingCollectionOptions.DefaultRerankCandidates;

    /// <summary>Gets the category the hits must have (compared as deterministic ciphertext), or null.</summary>
    public string? Category { get; init; }

    /// <summary>Gets a value indicating whether the hits carry their decrypted vectors.</summary>
    public bool IncludeVectors { get; init; }
}

/// <summary>One hit of <see cref="DocumentStore.SearchAsync"/>: the decrypted record and its score.</summary>
/// <param name="Record">The decrypted document.</param>
/// <param name="Score">The score (lower is closer for <see cref="VeilDocument.ScoreDistance"/>).</param>
/// <param name="Distance">What the score is: <see cref="VeilDocument.ScoreDistance"/>, or <see cref="VeilDocument.SealedScoreDistance"/> on a sealed collection.</param>
public sealed record DocumentHit(VeilDocument Record, double? Score, string Distance);

/// <content>Search: one encrypted query, decrypted hits.</content>
public sealed partial class DocumentStore
{
    /// <summary>
    /// Encrypts the query of <paramref name="search"/> under the collection's keys for its tenant (or, on a sealed
    /// collection, searches the key holder's index), and yields the decrypted hits, closest first.
    /// </summary>
    /// <param name="search">The query and its options.</param>
    /// <param name="client">The key holder (its configuration must hold the collection's secret path).</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The hits.</returns>
    /// <exception cref="DocumentStoreException">No such collection or document, the wrong tenant, a query of another dimension, keys the collection was not made with, or no re-ranking asked of a sealed collection.</exception>
    public async IAsyncEnumerable<DocumentHit> SearchAsync(DocumentSearch search, VeilClient client, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(search);
        ArgumentNullException.ThrowIfNull(client);
        CollectionManifest manifest = await GetManifestAsync(search.Collection, cancellationToken).ConfigureAwait(false);
        StoreConfiguration.Check(client.Configuration, new SecretPath(manifest.VectorSecretPath), encrypting: false, manifest.Mode);
        await EnsureTenantAsync(manifest, client, search.Tenant, cancellationToken).ConfigureAwait(false);
        if (manifest.Mode == CollectionMode.Sealed && !search.Rerank)
        {
            throw new DocumentStoreException($"Invalid options: collection \"{search.Collection}\" is sealed, and sealed search always ranks exactly; drop --no-rerank.");
        }

        using DocumentAccess access = OpenCollection(manifest, client, search.Tenant, rerank: search.Rerank, candidates: search.RerankCandidates);
        VectorStoreCollection<string, VeilDocument> collection = access.Collection;
        float[] query = search.Vector ?? [];
        string source = search.VectorSource;
        if (search.Id is { } id)
        {
            VeilDocument document = await collection.GetAsync(id, new RecordRetrievalOptions { IncludeVectors = true }, cancellationToken).ConfigureAwait(false)
                ?? throw new DocumentStoreException($"Collection \"{search.Collection}\" has no document with id \"{id}\".");
            query = document.Embedding!.Value.ToArray();
            source = $"document \"{id}\"";
        }

        if (query.Length != manifest.Dimensions)
        {
            throw new DocumentStoreException(string.Create(
                CultureInfo.InvariantCulture,
                $"Invalid query: {source} gives {query.Length} dimensions; collection \"{search.Collection}\" has {manifest.Dimensions}."));
        }

        string? category = search.Category;
        Expression<Func<VeilDocument, bool>>? filter = category is null ? null : d => d.Category == category;
        var options = new VectorSearchOptions<VeilDocument> { Filter = filter, IncludeVectors = search.IncludeVectors };
        await foreach (VectorSearchResult<VeilDocument> hit in collection.SearchAsync(query, search.Top, options, cancellationToken).ConfigureAwait(false))
        {
            yield return new DocumentHit(hit.Record, hit.Score, access.ScoreDistance);
        }
    }
}
