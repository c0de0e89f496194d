using System.Numerics.Tensors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Sealed;
using Veil.Testing;

namespace Veil.Extensions.DependencyInjection.Tests;

/// <summary>Sealed collections from the service provider: one by name, one per tenant; options bound and checked at start-up.</summary>
public sealed class SealedRegistrationTests : IDisposable
{
    private static readonly float[][] s_vectors = Vectors(60, seed: 9);
    private readonly TestKeyset _keys = new();

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task SealedCollection_FromDi_SealsVectorsEncryptsFieldsAndSearchesExactly_WithTheBoundOptions()
    {
        var inner = new InMemoryCollection<string, SealedNote>("notes") { RefuseSearch = true };
        Dictionary<string, string?> settings = _keys.Settings();
        settings["Veil:Sealed:notes:Candidates"] = "20";
        settings["Veil:Sealed:notes:Index:Seed"] = "5";
        using IHost host = Build(settings, (services, configuration) =>
            services.AddSealedVectorStoreCollection<string, SealedNote>(
                "notes", _ => Fields(TestKeyset.Acme), _ => new InMemorySealedIndexStorage(), configuration.GetSection("Veil:Sealed:notes"), _ => inner));
        await host.StartAsync();

        VectorStoreCollection<string, SealedNote> collection = host.Services.GetRequiredService<VectorStoreCollection<string, SealedNote>>();
        Assert.Same(collection, host.Services.GetRequiredKeyedService<SealedVectorStoreCollection<string, SealedNote>>("notes"));
        await collection.UpsertAsync(s_vectors.Select((v, i) => new SealedNote { Id = $"n{i}", Topic = $"topic-{i % 3}", Title = $"Title {i}", Embedding = v }));

        SealedNote stored = inner.Stored.Single(n => n.Id == "n4");
        Assert.Null(stored.Embedding);
        Assert.NotNull(stored.SealedEmbedding);
        Assert.NotEqual("topic-1", stored.Topic);
        Assert.NotEqual("Title 4", stored.Title);

        List<VectorSearchResult<SealedNote>> hits = await collection.SearchAsync(s_vectors[4], 5).ToListAsync();
        Assert.Equal(ExactTop(s_vectors[4], 5, _ => true), hits.Select(h => h.Record.Id));
        Assert.Equal("Title 4", hits[0].Record.Title);
        Assert.Equal(20, inner.Fetches[^1].Count);

        List<VectorSearchResult<SealedNote>> filtered = await collection.SearchAsync(s_vectors[4], 5, new VectorSearchOptions<SealedNote> { Filter = n => n.Topic == "topic-2" }).ToListAsync();
        Assert.Equal(ExactTop(s_vectors[4], 5, i => i % 3 == 2), filtered.Select(h => h.Record.Id));
        await host.StopAsync();
    }

    [Fact]
    public async Task Start_WithSealedOptionsOutOfRange_FailsNamingTheSettings()
    {
        Dictionary<string, string?> settings = _keys.Settings();
        settings["Veil:Sealed:notes:Candidates"] = "0";
        settings["Veil:Sealed:notes:Index:MaxQueuedBytes"] = "0";
        using IHost host = Build(settings, (services, configuration) =>
            services.AddSealedVectorStoreCollection<string, SealedNote>(
                "notes", _ => Fields(TestKeyset.Acme), _ => new InMemorySealedIndexStorage(), configuration.GetSection("Veil:Sealed:notes")));

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Sealed:notes:Candidates must be at least 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("Sealed:notes:Index:MaxQueuedBytes must be at least 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SealedFactory_GivesEachTenantItsOwnCollectionAndIndex_AndRefusesOptionsNamingAnotherTenant()
    {
        var store = new InMemoryStore();
        var indexes = new Dictionary<TenantId, InMemorySealedIndexStorage>();
        using IHost host = Build(_keys.Settings(), (services, _) =>
        {
            services.AddSingleton<VectorStore>(store);
            services.AddSealedCollectionFactory<string, SealedNote>(
                "notes",
                (_, tenant) => Fields(tenant == new TenantId("mallory") ? TestKeyset.Acme : tenant),
                (_, tenant) => indexes[tenant] = new InMemorySealedIndexStorage(),
                tenant => $"notes_{tenant.Value}");
        });
        await host.StartAsync();
        ISealedCollectionFactory<string, SealedNote> factory = host.Services.GetRequiredService<ISealedCollectionFactory<string, SealedNote>>();

        SealedVectorStoreCollection<string, SealedNote> acme = factory.GetCollection(TestKeyset.Acme);
        SealedVectorStoreCollection<string, SealedNote> globex = factory.GetCollection(new TenantId("globex"));
        Assert.Same(acme, factory.GetCollection(TestKeyset.Acme));
        await acme.UpsertAsync(new SealedNote { Id = "a", Topic = "t", Embedding = s_vectors[0] });
        await globex.UpsertAsync(new SealedNote { Id = "g", Topic = "t", Embedding = s_vectors[1] });

        Assert.Equal("a", (await acme.SearchAsync(s_vectors[1], 1).SingleAsync()).Record.Id);
        Assert.Equal("g", (await globex.SearchAsync(s_vectors[0], 1).SingleAsync()).Record.Id);
        Assert.Single(store.Collection<string, SealedNote>("notes_acme").Stored);
        Assert.NotSame(indexes[TestKeyset.Acme], indexes[new TenantId("globex")]);

        // Another tenant's sealed rows, moved into this tenant's collection, do not open with this tenant's keys.
        await store.Collection<string, SealedNote>("notes_acme").UpsertAsync(store.Collection<string, SealedNote>("notes_globex").Stored.Single());
        await Assert.ThrowsAsync<System.Security.Cryptography.CryptographicException>(() => acme.GetAsync("g"));

        Assert.Throws<InvalidOperationException>(() => factory.GetCollection(new TenantId("mallory")));
        await host.StopAsync();
    }

    [Fact]
    public void SealedCollection_WithTheKeyService_IsRefusedWhenResolved()
    {
        using IHost host = Build(new() { ["Veil:ServiceUrl"] = "http://127.0.0.1:9/keys", ["Veil:ApiKey"] = "veil_test" }, (services, _) =>
            services.AddSealedVectorStoreCollection<string, SealedNote>("notes", _ => Fields(TestKeyset.Acme), _ => new InMemorySealedIndexStorage(), inner: _ => new InMemoryCollection<string, SealedNote>("notes")));

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<VectorStoreCollection<string, SealedNote>>());
        Assert.Contains("local keys", e.Message, StringComparison.Ordinal);
    }

    private static EncryptingCollectionOptions Fields(TenantId tenant)
    {
        EncryptingCollectionOptions options = EncryptingCollectionOptions.FieldsOnly(tenant);
        options.DeterministicSecretPath = TestKeyset.Secret;
        return options;
    }

    private static IEnumerable<string> ExactTop(float[] query, int top, Func<int, bool> where) =>
        Enumerable.Range(0, s_vectors.Length).Where(where).OrderByDescending(i => TensorPrimitives.CosineSimilarity(s_vectors[i], query)).Take(top).Select(i => $"n{i}");

    private static float[][] Vectors(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, TestKeyset.Dimensions).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToArray();
    }

    private static IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection, IConfiguration> configure)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddVeil(builder.Configuration.GetSection(VeilOptions.SectionName));
        configure(builder.Services, builder.Configuration);
        return builder.Build();
    }

    /// <summary>A note with a sealed vector, a filterable (deterministic) topic and an encrypted title; no ICL info property.</summary>
    public sealed class SealedNote
    {
        [VectorStoreKey]
        public string Id { get; set; } = "";

        [VectorStoreData(IsIndexed = true)]
        [EncryptDeterministically]
        public string? Topic { get; set; }

        [VectorStoreData]
        [EncryptStandard]
        public string? Title { get; set; }

        [VectorStoreVector(TestKeyset.Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
        public ReadOnlyMemory<float>? Embedding { get; set; }

        [VectorStoreData]
        [SealedVector(nameof(Embedding))]
        public string? SealedEmbedding { get; set; }
    }
}
