using Microsoft.Extensions.VectorData;
using Veil.Extensions.Tests.Support;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Extensions.Tests;

/// <summary>
/// The encrypting collection over an <see cref="IVeilOperations"/> that is not a <see cref="VeilClient"/>: a user-written
/// relay standing for the key service, counting the calls. Nothing of the decorator needs the concrete client, the
/// stored format is the same as with local keys, and the configuration is checked when the collection is made.
/// </summary>
public sealed class CollectionOperationsTests(RotatingClients keys) : IClassFixture<RotatingClients>
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(40, 4, 0.3f, seed: 11);

    [Fact]
    public async Task EveryOperation_RunsThroughTheOperationsAlone_AndReadsAsLocalKeysWrite()
    {
        var remote = new RemoteLikeOperations(new LocalVeilOperations(keys.Client));
        var inner = new InMemoryCollection<string, Doc>();
        var collection = new EncryptingVectorStoreCollection<string, Doc>(inner, remote, TestOptions.Create());

        await collection.UpsertAsync(s_vectors.Select((v, i) => Synthetic.Record(i, v)));
        Doc? got = await collection.GetAsync("doc-7", new RecordRetrievalOptions { IncludeVectors = true });
        List<Doc> filtered = await collection.GetAsync(d => d.Category == "cat-1", 100).ToListAsync();
        VectorSearchResult<Doc> nearest = await collection.SearchAsync(s_vectors[12], 1).SingleAsync();

        Assert.Equal("Title 7", got!.Title);
        Assert.Equal(s_vectors[7], got.Embedding!.Value.ToArray(), (a, b) => Math.Abs(a - b) < 1e-5f);
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i % 3 == 1).Select(i => $"doc-{i}").Order(), filtered.Select(d => d.Id).Order());
        Assert.Equal("doc-12", nearest.Record.Id);
        Assert.Contains(nameof(IVeilVectorOperations.EncryptBatchAsync), remote.Calls);
        Assert.Contains("Standard.EncryptBatchAsync", remote.Calls);
        Assert.Contains("Standard.DecryptBatchAsync", remote.Calls);
        Assert.Contains("Deterministic.DecryptBatchAsync", remote.Calls);
        Assert.Contains("Vector.DecryptBatchAsync", remote.Calls);
        Assert.Contains(nameof(IVeilFieldOperations.GenerateQueryFieldValuesBatchAsync), remote.Calls);
        Assert.Contains(nameof(IVeilVectorOperations.GenerateQueryVectorsBatchAsync), remote.Calls);

        // Alloy's attached format, as before: local keys read what went through the relay, and the client's own
        // attached-document operations decrypt a stored standard property.
        var local = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.Client, TestOptions.Create());
        Assert.Equal("Title 7", (await local.GetAsync("doc-7"))!.Title);
        byte[] stored = Convert.FromBase64String(inner.Stored.Single(d => d.Id == "doc-7").Title!);
        Assert.Equal("Title 7", System.Text.Encoding.UTF8.GetString(keys.Client.StandardAttached.Decrypt(stored, new TenantId(RotatingClients.Tenant))));
    }

    [Fact]
    public async Task ARecordTheKeyHolderRefuses_FailsTheUpsertAndStoresNothing()
    {
        var remote = new RemoteLikeOperations(new LocalVeilOperations(keys.Client));
        var inner = new InMemoryCollection<string, Doc>();
        var collection = new EncryptingVectorStoreCollection<string, Doc>(inner, remote, TestOptions.Create());
        remote.FailIndexes.Add(1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => collection.UpsertAsync([Synthetic.Record(0, s_vectors[0]), Synthetic.Record(1, s_vectors[1])]));

        Assert.Empty(inner.Upserted);
    }

    [Fact]
    public void GetService_NeverReturnsTheOperationsOrTheClient()
    {
        var remote = new RemoteLikeOperations(new LocalVeilOperations(keys.Client));
        var collection = new EncryptingVectorStoreCollection<string, Doc>(new InMemoryCollection<string, Doc>(), remote, TestOptions.Create());
        var store = new EncryptingVectorStore(new InMemoryStore(), remote, TestOptions.Create());

        foreach (Type keyHolder in new[] { typeof(VeilClient), typeof(IVeilOperations), typeof(RemoteLikeOperations), typeof(LocalVeilOperations), typeof(IVeilDocumentOperations) })
        {
            Assert.Null(collection.GetService(keyHolder));
            Assert.Null(store.GetService(keyHolder));
        }
    }

    [Fact]
    public void Constructor_WithBoundStandardPropertiesAndNoLocalKeys_RefusesAtOnce()
    {
        EncryptingCollectionOptions options = TestOptions.Create();
        options.BindStandardProperties = true;
        var remote = new RemoteLikeOperations(new LocalVeilOperations(keys.Client));

        NotSupportedException e = Assert.Throws<NotSupportedException>(() => new EncryptingVectorStoreCollection<string, Doc>(new InMemoryCollection<string, Doc>(), remote, options));

        Assert.Contains(nameof(Doc.Title), e.Message, StringComparison.Ordinal);
        Assert.Empty(remote.Calls);
    }

    [Fact]
    public void Constructor_WhenTheClientLacksTheVectorSecret_NamesTheVectorProperty()
    {
        var options = new EncryptingCollectionOptions(new SecretPath("not-configured"), new DerivationPath("minilm"), new TenantId(RotatingClients.Tenant))
        {
            DeterministicSecretPath = new SecretPath(RotatingClients.FieldPath),
        };

        ArgumentException e = Assert.Throws<ArgumentException>(() => new EncryptingVectorStoreCollection<string, Doc>(new InMemoryCollection<string, Doc>(), keys.Client, options));

        Assert.Contains($"'{nameof(Doc.Embedding)}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("not-configured", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_WhenTheClientLacksTheDeterministicSecret_NamesTheProperty()
    {
        EncryptingCollectionOptions options = TestOptions.Create();
        options.DeterministicSecretPath = new SecretPath("no-such-field-secret");

        ArgumentException e = Assert.Throws<ArgumentException>(() => new EncryptingVectorStoreCollection<string, Doc>(new InMemoryCollection<string, Doc>(), keys.Client, options));

        Assert.Contains($"'{nameof(Doc.Category)}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_WhenADeterministicPropertyHasNoSecretPath_NamesThePropertyBeforeAnyUpsert()
    {
        var options = new EncryptingCollectionOptions(new SecretPath(RotatingClients.VectorPath), new DerivationPath("minilm"), new TenantId(RotatingClients.Tenant));

        ArgumentException e = Assert.Throws<ArgumentException>(() => new EncryptingVectorStoreCollection<string, Doc>(new InMemoryCollection<string, Doc>(), keys.Client, options));

        Assert.Contains($"'{nameof(Doc.Category)}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_WhenTheClientHasNoStandardSecret_NamesTheProperty()
    {
        using var secret = Secret.Generate();
        var rotatable = new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret));
        using var client = new VeilClient(new VeilConfiguration(
            vector: new Dictionary<SecretPath, VectorSecret> { [new SecretPath(RotatingClients.VectorPath)] = new VectorSecret(2.5f, rotatable) },
            deterministic: new Dictionary<SecretPath, RotatableSecret> { [new SecretPath(RotatingClients.FieldPath)] = rotatable },
            standard: null));

        ArgumentException e = Assert.Throws<ArgumentException>(() => new EncryptingVectorStoreCollection<string, Doc>(new InMemoryCollection<string, Doc>(), client, TestOptions.Create()));

        Assert.Contains($"'{nameof(Doc.Title)}'", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>What the decorator cannot serve says so when it is made.</summary>
public sealed class UnsupportedRecordTests(RotatingClients keys) : IClassFixture<RotatingClients>
{
    [Fact]
    public void Constructor_WhenARecordClassVectorIsTextForAGenerator_ThrowsNotSupportedExceptionPointingToDynamicCollections()
    {
        var definition = new VectorStoreCollectionDefinition
        {
            EmbeddingGenerator = new Microsoft.Extensions.AI.EmbeddingGeneratorBuilder<string, Microsoft.Extensions.AI.Embedding<float>>(new NoGenerator()).Build(),
            Properties =
            [
                new VectorStoreKeyProperty(nameof(TextRecord.Id), typeof(string)),
                new VectorStoreDataProperty(nameof(TextRecord.Info), typeof(string)),
                new VectorStoreVectorProperty(nameof(TextRecord.Text), typeof(string), 4),
            ],
        };
        EncryptingCollectionOptions options = TestOptions.Create();
        options.PairedIclInfoProperties[nameof(TextRecord.Text)] = nameof(TextRecord.Info);

        NotSupportedException e = Assert.Throws<NotSupportedException>(
            () => new EncryptingVectorStoreCollection<string, TextRecord>(new InMemoryCollection<string, TextRecord>(), keys.Client, options, definition));

        Assert.Contains("'Text'", e.Message, StringComparison.Ordinal);
        Assert.Contains("GetDynamicCollection", e.Message, StringComparison.Ordinal);
    }

    public sealed class TextRecord
    {
        public string Id { get; set; } = string.Empty;

        public string? Info { get; set; }

        public string? Text { get; set; }
    }

    private sealed class NoGenerator : Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>
    {
        public Task<Microsoft.Extensions.AI.GeneratedEmbeddings<Microsoft.Extensions.AI.Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, Microsoft.Extensions.AI.EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("Not called: the collection is refused when it is made.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
