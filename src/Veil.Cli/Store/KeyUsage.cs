using Veil.Keys;

namespace Veil.Cli.Store;

/// <summary>
/// How many rows of a store's collections are still encrypted with one secret, found by its key-id header (see
/// <see cref="KeyIdPrefixes"/>): what <c>veil keys retire --store</c> checks before a secret is retired, since data
/// under a retired secret can no longer be decrypted.
/// </summary>
internal static class KeyUsage
{
    /// <summary>
    /// The rows under secret <paramref name="id"/> of <paramref name="section"/>/<paramref name="path"/> in
    /// <paramref name="collection"/>, or in every collection veil created in the store when it is null; only
    /// collections with such rows are listed.
    /// </summary>
    /// <exception cref="Cli.CliUsageException">The store does not exist, or has no such collection.</exception>
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
            using var rows = store.Plain(manifest.Name, manifest.Dimensions);
            long count = await KeyIdPrefixes.CountAsync(rows, KeyIdPrefixes.Of(section, path, id, manifest).Filter(), cancellationToken).ConfigureAwait(false);
            if (count > 0)
            {
                found.Add(new CollectionRows(manifest.Name, count));
            }
        }

        return found;
    }

    /// <summary>The refusal when rows are left: how many, where, and how to re-encrypt them.</summary>
    public static string Refusal(IReadOnlyList<CollectionRows> rows, StoreLocation location, KeyId id) =>
        $"retire refused: {rows.Sum(r => r.Rows)} row(s) of {location} are still encrypted with secret {id} "
        + $"({string.Join(", ", rows.Select(r => $"collection \"{r.Collection}\": {r.Rows}"))}); retiring it would make them undecryptable. "
        + $"Re-encrypt them first with 'veil rotate --store {location} --collection <name>' (after promoting a new secret), or retire anyway with --force.";
}

/// <summary>A collection and its rows under one secret.</summary>
internal sealed record CollectionRows(string Collection, long Rows);
