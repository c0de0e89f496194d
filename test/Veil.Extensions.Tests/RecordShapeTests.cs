using System.Numerics.Tensors;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.Tests.Support;
using Veil.Extensions.VectorData;

namespace Veil.Extensions.Tests;

/// <summary>
/// The decorator reads and writes record classes through accessors it compiles once per property: records whose
/// properties have init-only or private setters, vectors as <c>float[]</c>, <c>ReadOnlyMemory&lt;float&gt;</c> or its
/// nullable form, and records described by a definition instead of attributes all round-trip.
/// </summary>
public sealed class RecordShapeTests(RotatingClients keys) : IClassFixture<RotatingClients>
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(8, 2, 0.6f, seed: 13);

    [Fact]
    public async Task UpsertAsync_WhenSettersAreInitOnlyOrPrivate_StoresCiphertextAndReadsBackPlaintext()
    {
        var inner = new InMemoryCollection<string, SealedSetters>();
        var collection = new EncryptingVectorStoreCollection<string, SealedSetters>(inner, keys.Client, TestOptions.Create());
        SealedSetters original = SealedSetters.Create("a", "red", s_vectors[0]);

        await collection.UpsertAsync(original);
        SealedSetters? read = await collection.GetAsync("a", new RecordRetrievalOptions { IncludeVectors = true });

        SealedSetters stored = inner.Upserted.Single();
        Assert.Equal("a", stored.Id);
        Assert.NotEqual("red", stored.Category);
        Assert.Equal(54, stored.Info!.Length);
        Assert.True(TensorPrimitives.Distance(stored.Embedding!, s_vectors[0]) > 0.1f, "the stored vector is the plaintext");
        Assert.NotNull(read);
        Assert.Equal("red", read.Category);
        Assert.True(TensorPrimitives.Distance(read.Embedding!, s_vectors[0]) < 1e-4f);
        Assert.Null(original.Info);
        Assert.Equal(s_vectors[0], original.Embedding);
    }

    [Fact]
    public async Task UpsertAsync_WhenNullableVectorIsNull_StoresNeitherVectorNorInfo()
    {
        var inner = new InMemoryCollection<string, Doc>();
        var collection = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.Client, TestOptions.Create());
        Doc record = Synthetic.Record(1, s_vectors[1]);
        record.Embedding = null;

        await collection.UpsertAsync(record);
        Doc? read = await collection.GetAsync("doc-1", new RecordRetrievalOptions { IncludeVectors = true });

        Assert.Null(inner.Upserted.Single().Embedding);
        Assert.Null(inner.Upserted.Single().EmbeddingInfo);
        Assert.NotNull(read);
        Assert.Null(read.Embedding);
        Assert.Equal("Title 1", read.Title);
    }

    [Fact]
    public async Task GetAsync_WhenVectorIsNonNullableMemory_ReadsPlaintextOrEmptyWithoutVectors()
    {
        var inner = new InMemoryCollection<string, MemoryVector>();
        var collection = new EncryptingVectorStoreCollection<string, MemoryVector>(inner, keys.Client, TestOptions.Create());

        await collection.UpsertAsync(new MemoryVector { Id = "m", Embedding = s_vectors[2] });
        MemoryVector? withVectors = await collection.GetAsync("m", new RecordRetrievalOptions { IncludeVectors = true });
        MemoryVector? without = await collection.GetAsync("m");

        Assert.True(TensorPrimitives.Distance(inner.Upserted.Single().Embedding.Span, s_vectors[2]) > 0.1f, "the stored vector is the plaintext");
        Assert.True(TensorPrimitives.Distance(withVectors!.Embedding.Span, s_vectors[2]) < 1e-4f);
        Assert.True(without!.Embedding.IsEmpty);
    }

    [Fact]
    public async Task UpsertAsync_WhenDefinedByDefinitionWithEmptyGuidKeys_GeneratesKeysAndCopiesThemBackInEveryChunk()
    {
        // More records than one batch: the pipelined path, which copies generated keys back after the inner upsert.
        const int Count = EncryptingVectorStoreCollection<Guid, Defined>.PipelineChunkRows + 300;
        var inner = new InMemoryCollection<Guid, Defined>();
        EncryptingCollectionOptions options = TestOptions.Create();
        options.PairedIclInfoProperties[nameof(Defined.Vector)] = nameof(Defined.Info);
        options.DeterministicProperties.Add(nameof(Defined.Label));
        var collection = new EncryptingVectorStoreCollection<Guid, Defined>(inner, keys.Client, options, Defined.Definition);
        Defined[] records = [.. Enumerable.Range(0, Count).Select(i => new Defined { Label = $"label-{i % 5}", Vector = s_vectors[i % s_vectors.Length] })];

        await collection.UpsertAsync(records);
        Defined? third = await collection.GetAsync(records[3].Id, new RecordRetrievalOptions { IncludeVectors = true });

        Assert.Equal(Count, records.Select(r => r.Id).Where(id => id != Guid.Empty).Distinct().Count());
        Assert.Equal(records.Select(r => r.Id).Order(), inner.Upserted.Select(r => r.Id).Order());
        Assert.DoesNotContain(inner.Upserted, stored => stored.Label!.StartsWith("label-", StringComparison.Ordinal));
        Assert.Equal(5, inner.Upserted.Select(stored => stored.Label).Distinct().Count());
        Assert.NotNull(third);
        Assert.Equal("label-3", third.Label);
        Assert.True(TensorPrimitives.Distance(third.Vector!, s_vectors[3]) < 1e-4f);
        Assert.All(records, r => Assert.Null(r.Info));
    }

    [Fact]
    public async Task UpsertAsync_WhenDeterministicValueIsNullInADefinedRecord_StoresAndReadsNull()
    {
        var inner = new InMemoryCollection<Guid, Defined>();
        EncryptingCollectionOptions options = TestOptions.Create();
        options.PairedIclInfoProperties[nameof(Defined.Vector)] = nameof(Defined.Info);
        options.DeterministicProperties.Add(nameof(Defined.Label));
        var collection = new EncryptingVectorStoreCollection<Guid, Defined>(inner, keys.Client, options, Defined.Definition);
        var id = Guid.NewGuid();

        await collection.UpsertAsync(new Defined { Id = id, Label = null, Vector = s_vectors[4] });
        Defined? read = await collection.GetAsync(id);

        Assert.Null(inner.Upserted.Single().Label);
        Assert.NotNull(read);
        Assert.Null(read.Label);
        Assert.Null(read.Vector);
    }

    /// <summary>A record whose properties are set once: init-only, or privately through <see cref="Create"/>.</summary>
    public sealed class SealedSetters
    {
        [VectorStoreKey]
        public string Id { get; init; } = string.Empty;

        [VectorStoreData]
        [EncryptDeterministically]
        public string? Category { get; init; }

        [VectorStoreData]
        [PairedIclInfo(nameof(Embedding))]
        public byte[]? Info { get; private set; }

        [VectorStoreVector(Doc.Dimensions, DistanceFunction = DistanceFunction.EuclideanDistance)]
        public float[]? Embedding { get; private set; }

        public static SealedSetters Create(string id, string category, float[] embedding) => new() { Id = id, Category = category, Embedding = embedding };
    }

    public sealed class MemoryVector
    {
        [VectorStoreKey]
        public string Id { get; set; } = string.Empty;

        [VectorStoreData]
        [PairedIclInfo(nameof(Embedding))]
        public string? Info { get; set; }

        [VectorStoreVector(Doc.Dimensions)]
        public ReadOnlyMemory<float> Embedding { get; set; }
    }

    /// <summary>A record described by a definition; the key attribute is there only for the in-memory test store.</summary>
    public sealed class Defined
    {
        public static readonly VectorStoreCollectionDefinition Definition = new()
        {
            Properties =
            [
                new VectorStoreKeyProperty(nameof(Id), typeof(Guid)),
                new VectorStoreDataProperty(nameof(Label), typeof(string)),
                new VectorStoreDataProperty(nameof(Info), typeof(string)),
                new VectorStoreVectorProperty(nameof(Vector), typeof(float[]), Doc.Dimensions),
            ],
        };

        [VectorStoreKey]
        public Guid Id { get; set; }

        public string? Label { get; set; }

        public string? Info { get; set; }

        public float[]? Vector { get; set; }
    }
}
