using Veil.Keys;

namespace Veil.Documents.Store;

/// <summary>
/// How many rows of a store's collections are still encrypted with one secret, found by its key-id header (see
/// <see cref="KeyIdPrefixes"/>): what <c>veil keys retire --store</c> checks before a secret is retired, since data
/// under a retired secret can no longer be decrypted.
/// </summary>
public static class KeyUsage
{
    /// <summary>
    /// The rows under secret <paramref name="id"/> of <paramref name="section"/>/<paramref name="path"/> in
    /// <paramref name="collection"/>, or in every collection veil created in the store when it is null; only
    /// collections with such rows are listed.
    /// </summary>
    /// <param name="location">The store.</param>
    /// <param name="collection">One collection, or null for all of them.</param>
    /// <param name="section">The keyset section of the secret.</param>
    /// <param name="path">The secret path (ignored for standard secrets, which have none).</param>
    /// <param name="id">The secret's key id.</param>
    /// <param name="cancellationToken">Cancels the count.</param>
    /// <returns>The collections with rows under the secret, and how many.</returns>
    /// <exception cref="DocumentStoreException">The store does not exist, or has no such collection.</exception>
    public static async Task<IReadOnlyList<CollectionRows>> CountAsync(
        StoreLocation location, string? collection, KeysetSection section, SecretPath path, KeyId id, CancellationToken cancellationToken)
    {
        using DocumentStore store = DocumentStore.Open(location, mustExist: true);
        IReadOnlyList<CollectionManifest> manifests = collection is null
            ? await store.ListManifestsAsync(cancellationToken).ConfigureAwait(false)
            : [await store.GetManifestAsync(collection, cancellationToken).ConfigureAwait(false)];
        var found = new List<CollectionRows>();
        foreach (CollectionManifest manifest in manifests)
        {
            using var rows = store.Plain(manifest);
            long count = await KeyIdPrefixes.CountAsync(rows, KeyIdPrefixes.Of(section, path, id, manifest).Filter(manifest.SealedFormat), cancellationToken).ConfigureAwait(false);
            if (count > 0)
            {
                found.Add(new CollectionRows(manifest.Name, count));
            }
        }

        return found;
    }

    /// <summary>
    /// The check before secret <paramref name="id"/> is retired: counts its rows (<see cref="CountAsync"/>) and refuses
    /// while any are left, unless <paramref name="force"/>.
    /// </summary>
    /// <param name="location">The store.</param>
    /// <param name="collection">One collection, or null for all of them.</param>
    /// <param name="section">The keyset section of the secret.</param>
    /// <param name="path">The secret path (ignored for standard secrets, which have none).</param>
    /// <param name="id">The secret's key id.</param>
    /// <param name="force">Retire even though rows are left (they can no longer be decrypted).</param>
    /// <param name="cancellationToken">Cancels the count.</param>
    /// <returns>The line to report: no rows are left, or a warning of how many are lost to <paramref name="force"/>.</returns>
    /// <exception cref="DocumentStoreException">Rows are left and <paramref name="force"/> is false (<see cref="RetireRefusal"/>), or the store or collection does not exist.</exception>
    public static async Task<string> CheckRetireAsync(
        StoreLocation location, string? collection, KeysetSection section, SecretPath path, KeyId id, bool force, CancellationToken cancellationToken)
    {
        IReadOnlyList<CollectionRows> rows = await CountAsync(location, collection, section, path, id, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? $"keys: no rows of {location} are encrypted with secret {id}."
            : force ? $"warning: --force: {rows.Sum(r => r.Rows)} row(s) of {location} are still encrypted with secret {id}; once it is retired they can no longer be decrypted."
            : throw new DocumentStoreException(RetireRefusal(rows, location, id));
    }

    /// <summary>The refusal to retire secret <paramref name="id"/> while <paramref name="rows"/> are left: how many, where, and how to re-encrypt them.</summary>
    /// <param name="rows">The collections still holding rows under the secret (<see cref="CountAsync"/>).</param>
    /// <param name="location">The store.</param>
    /// <param name="id">The secret's key id.</param>
    /// <returns>The message.</returns>
    public static string RetireRefusal(IReadOnlyList<CollectionRows> rows, StoreLocation location, KeyId id)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return $"retire refused: {rows.Sum(r => r.Rows)} row(s) of {location} are still encrypted with secret {id} "
            + $"({string.Join(", ", rows.Select(r => $"collection \"{r.Collection}\": {r.Rows}"))}); retiring it would make them undecryptable. "
            + $"Re-encrypt them first with 'veil rotate --store {location} --collection <name>' (after promoting a new secret), or retire anyway with --force.";
    }
}

/// <summary>A collection and its rows under one secret.</summary>
/// <param name="Collection">The collection's name.</param>
/// <param name="Rows">How many of its rows are encrypted with the secret.</param>
public sealed record CollectionRows(string Collection, long Rows);
