using Veil.Keys;

namespace Veil.Documents.Store;

/// <summary>
/// A collection an ingest creates: unless the ingest <see cref="Complete"/>s, disposing removes the collection and its
/// manifest again, so that a failed (or cancelled) ingest into a new collection leaves nothing behind to be mistaken
/// for a collection with those dimensions and secret path. An ingest into an existing collection creates nothing, and
/// its committed transactions stay.
/// </summary>
/// <param name="store">The store the collection is created in (open until this is disposed).</param>
public sealed class CollectionCreation(DocumentStore store) : IAsyncDisposable
{
    private string? _created;
    private bool _completed;

    /// <summary>Creates the collection (see <see cref="DocumentStore.CreateAsync"/>).</summary>
    /// <param name="manifest">The new collection.</param>
    /// <param name="tenant">Its tenant.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>A task that completes when the collection exists.</returns>
    public async Task CreateAsync(CollectionManifest manifest, TenantId tenant, CancellationToken cancellationToken)
    {
        await store.EnsureNewAsync(manifest.Name, cancellationToken).ConfigureAwait(false);
        _created = manifest.Name; // from here on, whatever fails removes what was created
        await store.CreateAsync(manifest, tenant, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The ingest succeeded: keep the collection.</summary>
    public void Complete() => _completed = true;

    /// <summary>Removes the collection and its manifest if this created them and the ingest did not complete.</summary>
    /// <returns>A task that completes when they are removed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_created is not null && !_completed)
        {
            await store.DeleteAsync(_created, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
