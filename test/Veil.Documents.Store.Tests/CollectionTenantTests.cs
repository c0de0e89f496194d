using System.Globalization;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store.Tests.Support;
using Veil.Keys;
using Veil.Testing;

namespace Veil.Documents.Store.Tests;

/// <summary>
/// One tenant per collection: the tenant a collection was created for is recorded, and ingest, export and rotation
/// for another tenant are refused before anything is written or decrypted. Collections made before tenants were
/// recorded adopt the first tenant their documents decrypt for.
/// </summary>
public sealed class CollectionTenantTests : IDisposable
{
    private const string Collection = "documents";
    private const string Acme = "acme";
    private const string Other = "other";

    private readonly TempDirectory _directory = new();
    private readonly RotationKeys _keys = new();

    public void Dispose()
    {
        _keys.Dispose();
        _directory.Dispose();
    }

    private StoreLocation Location => new(StoreLocation.DuckDbKind, _directory.File("veil.duckdb"));

    [Fact]
    public async Task IngestAsync_ForAnotherTenant_IsRefusedNamingBothTenantsAndStoresNothing()
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        await IngestAsync(store, new TenantId(Acme), first: 0);

        var error = await Assert.ThrowsAsync<DocumentStoreException>(() => IngestAsync(store, new TenantId(Other), first: 10));

        Assert.Contains("belongs to tenant \"acme\", not \"other\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(10, (await ExportAsync(store, new TenantId(Acme))).Count);
    }

    [Fact]
    public async Task ExportAndRotate_ForAnotherTenant_AreRefusedWithTheTenantsNamed()
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        await IngestAsync(store, new TenantId(Acme), first: 0);

        var export = await Assert.ThrowsAsync<DocumentStoreException>(() => ExportAsync(store, new TenantId(Other)));
        var rotate = await Assert.ThrowsAsync<DocumentStoreException>(() => store.RotateAsync(Collection, _keys.Promoted, new TenantId(Other), batchSize: 5));

        Assert.Contains("belongs to tenant \"acme\", not \"other\"", export.Message, StringComparison.Ordinal);
        Assert.Contains("belongs to tenant \"acme\", not \"other\"", rotate.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await store.RotateAsync(Collection, _keys.Promoted, new TenantId(Acme), batchSize: 5)).Failed);

        // After a rotation the record still says acme, and is still true: the rows decrypt for acme under the new
        // secret, and another tenant is still refused.
        Assert.True(await store.CheckTenantAsync(Collection, new TenantId(Acme), CancellationToken.None));
        Assert.Equal(10, (await ExportAsync(store, new TenantId(Acme), _keys.NewOnly)).Count);
        await Assert.ThrowsAsync<DocumentStoreException>(() => store.RotateAsync(Collection, _keys.Promoted, new TenantId(Other), batchSize: 5));
    }

    [Fact]
    public async Task CollectionWithoutARecordedTenant_AdoptsTheFirstTenantItsDocumentsDecryptFor_ThenRefusesOthers()
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        await IngestAsync(store, new TenantId(Acme), first: 0);
        await ForgetTenantsAsync(); // as a store written before tenants were recorded

        // A wrong tenant is not adopted: the documents do not decrypt for it, and nothing is written.
        var wrong = await Assert.ThrowsAsync<DocumentStoreException>(() => IngestAsync(store, new TenantId(Other), first: 10));
        Assert.Contains("do not decrypt for tenant \"other\"", wrong.Message, StringComparison.Ordinal);
        Assert.False(await store.CheckTenantAsync(Collection, new TenantId(Other), CancellationToken.None));

        // The right one is adopted on first use, and from then on the others are refused as for a new collection.
        Assert.Equal(10, (await ExportAsync(store, new TenantId(Acme))).Count);
        Assert.True(await store.CheckTenantAsync(Collection, new TenantId(Acme), CancellationToken.None));
        var refused = await Assert.ThrowsAsync<DocumentStoreException>(() => ExportAsync(store, new TenantId(Other)));
        Assert.Contains("belongs to tenant \"acme\", not \"other\"", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IngestAsync_WithReplace_RecordsTheNewTenant()
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        await IngestAsync(store, new TenantId(Acme), first: 0);

        await IngestAsync(store, new TenantId(Other), first: 0, replace: true);

        Assert.True(await store.CheckTenantAsync(Collection, new TenantId(Other), CancellationToken.None));
        Assert.Equal(10, (await ExportAsync(store, new TenantId(Other))).Count);
    }

    [Fact]
    public async Task DeleteDocumentsAsync_DeletesTheGivenIdsForTheCollectionsTenantOnly()
    {
        using DocumentStore store = DocumentStore.Open(Location, mustExist: false);
        await IngestAsync(store, new TenantId(Acme), first: 0);

        var refused = await Assert.ThrowsAsync<DocumentStoreException>(() => store.DeleteDocumentsAsync(Collection, ["1", "2"], _keys.Before, new TenantId(Other)));
        long deleted = await store.DeleteDocumentsAsync(Collection, ["1", "2", "2", "missing"], _keys.Before, new TenantId(Acme));

        Assert.Contains("belongs to tenant \"acme\", not \"other\"", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, deleted);
        Assert.Equal(["0", "3", "4", "5", "6", "7", "8", "9"], (await ExportAsync(store, new TenantId(Acme))).Select(d => d.Id));
    }

    private async Task IngestAsync(DocumentStore store, TenantId tenant, int first, bool replace = false)
    {
        string lines = string.Join('\n', Enumerable.Range(first, 10).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{{\"id\":\"{i}\",\"vector\":[{i + 1},0.5,-0.25,1],\"category\":\"c\",\"title\":\"t{i}\"}}")));
        await store.IngestAsync(DocumentInput.JsonLines(new StringReader(lines)), new IngestOptions(Collection, tenant) { Replace = replace }, _keys.Before);
    }

    private async Task<List<VeilDocument>> ExportAsync(DocumentStore store, TenantId tenant, VeilClient? keys = null)
    {
        var documents = new List<VeilDocument>();
        await foreach (VeilDocument document in store.ExportAsync(Collection, keys ?? _keys.Before, tenant))
        {
            documents.Add(document);
        }

        return documents;
    }

    private async Task ForgetTenantsAsync()
    {
        using VectorStore raw = Location.Open(mustExist: true);
        await raw.EnsureCollectionDeletedAsync(CollectionTenant.CollectionName);
    }
}
