using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.VectorData;
using Veil.Configuration;
using Veil.Extensions.AI;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Service;
using Veil.Service.Client;
using Veil.Testing;
using Veil.Stores.DuckDb;

namespace Veil.Extensions.DependencyInjection.Tests;

public sealed class AddVeilTests : IDisposable
{
    private readonly TestKeyset _keys = new();

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task Start_WithNeitherKeysNorService_FailsNamingTheSettings()
    {
        using IHost host = Build([]);
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Veil: give either Keys:KeysetPath", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Veil:Keys:KeysetPath", "missing.json", "Veil:Keys:KeysetPath: the file")]
    [InlineData("Veil:ServiceUrl", "ftp://keys", "not both")]
    public async Task Start_WithABadKeysetOrBothSources_FailsWithAClearMessage(string key, string value, string expected)
    {
        Dictionary<string, string?> settings = _keys.Settings();
        settings[key] = key.EndsWith("KeysetPath", StringComparison.Ordinal) ? Path.Combine(_keys.Directory, value) : value;
        using IHost host = Build(settings);
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAServiceUrlButNoApiKey_FailsNamingTheApiKey()
    {
        using IHost host = Build(new() { ["Veil:ServiceUrl"] = "not a url" });
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Veil:ApiKey is required", e.Message, StringComparison.Ordinal);
        Assert.Contains("'not a url' is not an absolute", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WhenTheKmsPassphraseIsNotSet_FailsAtStartNamingTheVariable()
    {
        Dictionary<string, string?> settings = _keys.Settings();
        settings["Veil:Keys:PassphraseVariable"] = "VEIL_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        using IHost host = Build(settings);
        ConfigurationFileException e = await Assert.ThrowsAsync<ConfigurationFileException>(() => host.StartAsync());
        Assert.Contains("VEIL_TEST_UNSET_", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalKeys_ResolveAsOperations_ThatRoundTrip()
    {
        using IHost host = Build(_keys.Settings());
        await host.StartAsync();
        IVeilOperations operations = host.Services.GetRequiredService<IVeilOperations>();
        Assert.IsType<LocalVeilOperations>(operations);
        float[] vector = TestKeyset.Unit(1, 2, 3, 4, 5, 6, 7, 8);

        BatchResult<Veil.Vectors.EncryptedVector> encrypted = await operations.Vector.EncryptBatchAsync([vector], TestKeyset.Secret, TestKeyset.Derivation, TestKeyset.Acme);
        BatchResult<float[]> decrypted = await operations.Vector.DecryptBatchAsync([encrypted[0].Value!], TestKeyset.Acme);

        Assert.Equal(vector, decrypted[0].Value!, (a, b) => Math.Abs(a - b) < 1e-4);
        Assert.Same(operations, host.Services.GetRequiredService<IVeilOperations>());
        await host.StopAsync();
    }

    [Fact]
    public async Task ServiceUrl_ResolvesTheKeyServiceClient()
    {
        using IHost host = Build(new() { ["Veil:ServiceUrl"] = "http://127.0.0.1:9/keys", ["Veil:ApiKey"] = "veil_test" });
        await host.StartAsync();
        Assert.IsType<VeilServiceClient>(host.Services.GetRequiredService<IVeilOperations>());
        await host.StopAsync();
    }

    /// <summary>The attack: anything holding the service provider, a collection or a generator asks for the key holder.</summary>
    [Fact]
    public async Task NothingResolvable_HandsOutKeys()
    {
        using IHost host = Build(_keys.Settings(), services =>
        {
            services.AddEmbeddingGenerator(new FakeEmbeddings()).UseVectorEncryption(new EncryptingEmbeddingGeneratorOptions(TestKeyset.Secret, TestKeyset.Derivation, TestKeyset.Acme));
        });
        await host.StartAsync();
        IServiceProvider services = host.Services;
        foreach (Type keyHolder in new[] { typeof(VeilClient), typeof(VeilConfiguration), typeof(UnwrappedKeyset), typeof(LoadedVeilKeys), typeof(Keyset), typeof(IKmsClient) })
        {
            Assert.Null(services.GetService(keyHolder));
        }

        IEmbeddingGenerator<string, Embedding<float>> generator = services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.Null(generator.GetService(typeof(VeilClient)));
        Assert.Null(generator.GetService(typeof(IVeilOperations)));
        Assert.NotNull(generator.GetService(typeof(EncryptingEmbeddingGenerator)));
        await host.StopAsync();
    }

    [Fact]
    public async Task UseVectorEncryption_FromTheServiceProvider_EncryptsWithItsKeys()
    {
        using IHost host = Build(_keys.Settings(), services =>
            services.AddEmbeddingGenerator(new FakeEmbeddings()).UseVectorEncryption(new EncryptingEmbeddingGeneratorOptions(TestKeyset.Secret, TestKeyset.Derivation, TestKeyset.Acme) { Decryptable = true }));
        await host.StartAsync();
        IEmbeddingGenerator<string, Embedding<float>> generator = host.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(["hello"]);

        float[] ciphertext = embeddings[0].Vector.ToArray();
        Assert.NotEqual(FakeEmbeddings.Vector, ciphertext);
        var info = (byte[])embeddings[0].AdditionalProperties![EncryptingEmbeddingGenerator.PairedIclInfoKey]!;
        BatchResult<float[]> decrypted = await host.Services.GetRequiredService<IVeilOperations>().Vector.DecryptBatchAsync([new Veil.Vectors.EncryptedVector(ciphertext, info, TestKeyset.Secret, TestKeyset.Derivation)], TestKeyset.Acme);
        Assert.Equal(FakeEmbeddings.Vector, decrypted[0].Value!, (a, b) => Math.Abs(a - b) < 1e-4);
        await host.StopAsync();
    }

    [Fact]
    public async Task EncryptedCollection_FromTheServiceProvider_RoundTripsARecord_AndStoresCiphertext()
    {
        string database = Path.Combine(_keys.Directory, "store.duckdb");
        using IHost host = Build(_keys.Settings(), services =>
        {
            services.AddSingleton<VectorStore>(_ => new DuckDbVectorStore(database));
            services.AddEncryptedVectorStoreCollection<string, Note>("notes", new EncryptingCollectionOptions(TestKeyset.Secret, TestKeyset.Derivation, TestKeyset.Acme));
        });
        await host.StartAsync();
        VectorStoreCollection<string, Note> notes = host.Services.GetRequiredService<VectorStoreCollection<string, Note>>();
        Assert.Same(notes, host.Services.GetRequiredKeyedService<VectorStoreCollection<string, Note>>("notes"));
        await notes.EnsureCollectionExistsAsync();
        float[] vector = TestKeyset.Unit(1, 0, 0, 0, 0, 0, 0, 1);

        await notes.UpsertAsync(new Note { Id = "n1", Title = "secret title", Embedding = vector });
        Note? read = await notes.GetAsync("n1", new RecordRetrievalOptions { IncludeVectors = true });
        List<VectorSearchResult<Note>> found = await notes.SearchAsync(vector, top: 1).ToListAsync();

        Assert.Equal("secret title", read!.Title);
        Assert.Equal("n1", Assert.Single(found).Record.Id);
        Assert.Null(notes.GetService(typeof(VeilClient)));
        Assert.Null(notes.GetService(typeof(IVeilOperations)));
        Note raw = (await host.Services.GetRequiredService<VectorStore>().GetCollection<string, Note>("notes").GetAsync("n1"))!;
        Assert.NotEqual("secret title", raw.Title);
        Assert.NotNull(raw.EmbeddingInfo);
        await host.StopAsync();
    }

    /// <summary>The app holds no keys: AddVeil points at a running key service, and the collection from DI encrypts through it.</summary>
    [Fact]
    public async Task EncryptedCollection_ThroughTheKeyService_RoundTripsARecord_WithNoKeysInTheApp()
    {
        string apiKey = ServiceClients.GenerateApiKey();
        using var keys = new TestKeys();
        using UnwrappedKeyset unwrapped = keys.Unwrap();
        await using VeilKeyService service = await VeilKeyService.StartAsync(new VeilKeyServiceOptions
        {
            Configuration = unwrapped.Configuration,
            Clients = ServiceClients.Create([new ClientPolicy { Name = "app", KeySha256 = ServiceClients.HashApiKey(apiKey), Tenants = ["acme"], SecretPaths = ["*"], Operations = ["*"] }]),
        });
        using IHost host = Build(new() { ["Veil:ServiceUrl"] = service.Addresses.Single(), ["Veil:ApiKey"] = apiKey }, services =>
        {
            services.AddSingleton<VectorStore>(_ => DuckDbVectorStore.CreateInMemory());
            services.AddEncryptedVectorStoreCollection<string, Note>("notes", new EncryptingCollectionOptions(TestKeyset.Secret, TestKeyset.Derivation, TestKeyset.Acme));
        });
        await host.StartAsync();
        VectorStoreCollection<string, Note> notes = host.Services.GetRequiredService<VectorStoreCollection<string, Note>>();
        await notes.EnsureCollectionExistsAsync();
        float[] vector = TestKeyset.Unit(0, 1, 0, 1, 0, 1, 0, 1);

        await notes.UpsertAsync(new Note { Id = "n1", Title = "through the service", Embedding = vector });
        List<VectorSearchResult<Note>> found = await notes.SearchAsync(vector, top: 1).ToListAsync();

        Assert.Equal("through the service", Assert.Single(found).Record.Title);
        Assert.IsType<VeilServiceClient>(host.Services.GetRequiredService<IVeilOperations>());
        await host.StopAsync();
    }

    [Fact]
    public async Task CollectionFactory_GivesEachTenantItsOwnCollection_AndRefusesOptionsNamingAnotherTenant()
    {
        using IHost host = Build(_keys.Settings(), services =>
        {
            services.AddSingleton<VectorStore>(_ => DuckDbVectorStore.CreateInMemory());
            services.AddEncryptedCollectionFactory<string, Note>(
                "notes",
                (_, tenant) => new EncryptingCollectionOptions(TestKeyset.Secret, TestKeyset.Derivation, tenant.Value == "mallory" ? TestKeyset.Acme : tenant),
                tenant => "notes_" + tenant.Value);
        });
        await host.StartAsync();
        IEncryptedCollectionFactory<string, Note> factory = host.Services.GetRequiredService<IEncryptedCollectionFactory<string, Note>>();

        VectorStoreCollection<string, Note> acme = factory.GetCollection(TestKeyset.Acme);
        VectorStoreCollection<string, Note> globex = factory.GetCollection(new TenantId("globex"));
        await acme.EnsureCollectionExistsAsync();
        await globex.EnsureCollectionExistsAsync();
        await acme.UpsertAsync(new Note { Id = "n1", Title = "acme's", Embedding = TestKeyset.Unit(1, 1, 1, 1, 1, 1, 1, 1) });

        Assert.Same(acme, factory.GetCollection(TestKeyset.Acme));
        Assert.Equal("notes_acme", acme.Name);
        Assert.Equal("notes_globex", globex.Name);
        Assert.Equal("acme's", (await acme.GetAsync("n1"))!.Title);
        Assert.Null(await globex.GetAsync("n1"));
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => factory.GetCollection(new TenantId("mallory")));
        Assert.Contains("must use the tenant they are given", e.Message, StringComparison.Ordinal);
        await host.StopAsync();
    }

    private static IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddVeil(builder.Configuration.GetSection(VeilOptions.SectionName));
        configure?.Invoke(builder.Services);
        return builder.Build();
    }

    public sealed class Note
    {
        [VectorStoreKey]
        public string Id { get; set; } = "";

        [VectorStoreData]
        [EncryptStandard]
        public string? Title { get; set; }

        [VectorStoreData]
        [PairedIclInfo(nameof(Embedding))]
        public string? EmbeddingInfo { get; set; }

        [VectorStoreVector(TestKeyset.Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
        public ReadOnlyMemory<float>? Embedding { get; set; }
    }

    private sealed class FakeEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public static readonly float[] Vector = TestKeyset.Unit(3, 1, 4, 1, 5, 9, 2, 6);

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(Vector.ToArray()))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
