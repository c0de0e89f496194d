using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.Tests.Support;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Extensions.Tests;

/// <summary>
/// Tenants sharing one collection (<see cref="EncryptingCollectionOptions.TenantProperty"/>): each tenant's decorator
/// sees, finds and deletes only its own rows; without the property another tenant's rows break its reads (the failure
/// the adoption report saw as a web app's 500).
/// </summary>
public sealed class SharedTenantCollectionTests(RotatingClients keys) : IClassFixture<RotatingClients>
{
    [Fact]
    public async Task WithoutATenantProperty_AnotherTenantsRowsBreakSearch()
    {
        var inner = new InMemoryCollection<string, TenantNote>();
        EncryptingVectorStoreCollection<string, TenantNote> acme = Collection(inner, "acme", scoped: false);
        EncryptingVectorStoreCollection<string, TenantNote> other = Collection(inner, "other", scoped: false);
        await acme.UpsertAsync(Note("a1", "acme secret", 0));
        await other.UpsertAsync(Note("o1", "other secret", 0));

        await Assert.ThrowsAnyAsync<CryptographicException>(() => acme.SearchAsync(Axis(0), 2).ToListAsync().AsTask());
    }

    [Fact]
    public async Task WithATenantProperty_EachTenantSeesFindsAndDeletesOnlyItsOwnRows()
    {
        var inner = new InMemoryCollection<string, TenantNote>();
        EncryptingVectorStoreCollection<string, TenantNote> acme = Collection(inner, "acme", scoped: true);
        EncryptingVectorStoreCollection<string, TenantNote> other = Collection(inner, "other", scoped: true);
        await acme.UpsertAsync([Note("a1", "acme one", 0), Note("a2", "acme two", 1)]);
        await other.UpsertAsync([Note("o1", "other one", 0), Note("o2", "other two", 2)]);

        List<VectorSearchResult<TenantNote>> acmeHits = await acme.SearchAsync(Axis(0), 10).ToListAsync();
        List<TenantNote> acmeFiltered = await acme.GetAsync(n => n.Id != "none", 10).ToListAsync();
        List<TenantNote> acmeByKeys = await acme.GetAsync(["a1", "o1", "o2"]).ToListAsync();
        TenantNote? crossRead = await acme.GetAsync("o1");
        await acme.DeleteAsync(["o1", "a2"]);

        Assert.Equal(["a1", "a2"], acmeHits.Select(h => h.Record.Id).Order());
        Assert.Equal(["a1", "a2"], acmeFiltered.Select(n => n.Id).Order());
        Assert.Equal(["a1"], acmeByKeys.Select(n => n.Id));
        Assert.Null(crossRead);
        Assert.Equal("acme", acmeHits[0].Record.Tenant);
        Assert.Equal(["a1", "o1", "o2"], inner.Stored.Select(n => n.Id).Order());
        Assert.Equal("other one", (await other.GetAsync("o1"))!.Body);
    }

    [Fact]
    public async Task TheStoredTenantValue_IsEncryptedPerTenant_AndACallerCannotClaimAnotherTenant()
    {
        var inner = new InMemoryCollection<string, TenantNote>();
        EncryptingVectorStoreCollection<string, TenantNote> acme = Collection(inner, "acme", scoped: true);
        EncryptingVectorStoreCollection<string, TenantNote> other = Collection(inner, "other", scoped: true);
        TenantNote claimed = Note("a1", "acme one", 0);
        claimed.Tenant = "other";
        await acme.UpsertAsync([claimed, Note("a2", "acme two", 1)]);
        await other.UpsertAsync(Note("o1", "other one", 0));

        string?[] stored = inner.Stored.OrderBy(n => n.Id).Select(n => n.Tenant).ToArray();

        Assert.Equal(stored[0], stored[1]);
        Assert.NotEqual(stored[0], stored[2]);
        Assert.DoesNotContain(stored, s => s is "acme" or "other");
        Assert.Null(await other.GetAsync("a1"));
        Assert.Equal("other", claimed.Tenant);
    }

    [Fact]
    public void ATenantPropertyNeedsADeterministicSecretPathAndAPlainStringProperty()
    {
        EncryptingCollectionOptions options = new(new SecretPath(RotatingClients.VectorPath), new DerivationPath("minilm"), new TenantId("acme")) { TenantProperty = nameof(TenantNote.Tenant) };
        Assert.Throws<ArgumentException>(() => new EncryptingVectorStoreCollection<string, TenantNote>(new InMemoryCollection<string, TenantNote>(), keys.Client, options));

        options.DeterministicSecretPath = new SecretPath(RotatingClients.FieldPath);
        options.TenantProperty = nameof(TenantNote.Body);
        Assert.Throws<ArgumentException>(() => new EncryptingVectorStoreCollection<string, TenantNote>(new InMemoryCollection<string, TenantNote>(), keys.Client, options));

        options.TenantProperty = "Missing";
        Assert.Throws<ArgumentException>(() => new EncryptingVectorStoreCollection<string, TenantNote>(new InMemoryCollection<string, TenantNote>(), keys.Client, options));
    }

    private EncryptingVectorStoreCollection<string, TenantNote> Collection(InMemoryCollection<string, TenantNote> inner, string tenant, bool scoped) =>
        new(inner, keys.Client, new EncryptingCollectionOptions(new SecretPath(RotatingClients.VectorPath), new DerivationPath("minilm"), new TenantId(tenant))
        {
            DeterministicSecretPath = new SecretPath(RotatingClients.FieldPath),
            TenantProperty = scoped ? nameof(TenantNote.Tenant) : null,
        });

    private static TenantNote Note(string id, string body, int axis) => new() { Id = id, Body = body, Embedding = Axis(axis) };

    private static float[] Axis(int axis)
    {
        float[] vector = new float[TenantNote.Dimensions];
        vector[axis] = 1f;
        return vector;
    }
}

/// <summary>A record with a tenant column, a standard-encrypted body and a vector.</summary>
public sealed class TenantNote
{
    public const int Dimensions = 4;

    [VectorStoreKey]
    public string Id { get; set; } = string.Empty;

    [VectorStoreData(IsIndexed = true)]
    public string? Tenant { get; set; }

    [VectorStoreData]
    [EncryptStandard]
    public string? Body { get; set; }

    [VectorStoreData]
    [PairedIclInfo(nameof(Embedding))]
    public string? EmbeddingInfo { get; set; }

    [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
    public float[]? Embedding { get; set; }
}
