using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.Tests.Support;
using Veil.Extensions.VectorData;

namespace Veil.Extensions.Tests;

/// <summary>
/// <see cref="EncryptingCollectionOptions.BindStandardProperties"/>: someone who can write the store moves encrypted
/// property values between records or properties; the default (Alloy's format) lets it through, the bound mode refuses
/// it on read.
/// </summary>
public sealed class BoundStandardPropertiesTests(RotatingClients keys) : IClassFixture<RotatingClients>
{
    [Fact]
    public async Task GetAndSearch_WhenBound_ReturnPlaintext()
    {
        (InMemoryCollection<string, Note> inner, EncryptingVectorStoreCollection<string, Note> collection) = Create(bind: true);
        await collection.UpsertAsync([NewNote("a", "title a", "body a", 0), NewNote("b", "title b", null, 1)]);

        Note a = (await collection.GetAsync("a"))!;
        Note b = (await collection.GetAsync("b"))!;
        VectorSearchResult<Note> found = await collection.SearchAsync(Vector(1), 1).SingleAsync();

        Assert.Equal(("title a", "body a"), (a.Title, a.Body));
        Assert.Equal(("title b", null), (b.Title, b.Body));
        Assert.Equal("title b", found.Record.Title);
        Assert.NotEqual("title a", inner.Stored.Single(n => n.Id == "a").Title);
    }

    [Fact]
    public async Task GetAsync_WhenEncryptedValuesAreSwappedBetweenTwoRecords_RefusesWithBindingOnly()
    {
        foreach (bool bind in new[] { false, true })
        {
            (InMemoryCollection<string, Note> inner, EncryptingVectorStoreCollection<string, Note> collection) = Create(bind);
            await collection.UpsertAsync([NewNote("alice", "Alice", "salary 90k", 0), NewNote("bob", "Bob", "salary 60k", 1)]);
            Note alice = inner.Stored.Single(n => n.Id == "alice");
            Note bob = inner.Stored.Single(n => n.Id == "bob");
            inner.Tamper("alice", n => (n.Title, n.Body) = (bob.Title, bob.Body));
            inner.Tamper("bob", n => (n.Title, n.Body) = (alice.Title, alice.Body));

            if (bind)
            {
                CryptographicException refused = await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("alice"));
                Assert.Contains("'alice'", refused.Message, StringComparison.Ordinal);
                Assert.DoesNotContain("salary", refused.ToString(), StringComparison.Ordinal);
                await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync(["alice", "bob"]).ToListAsync().AsTask());
            }
            else
            {
                // Alloy's format: the swap goes unnoticed and Alice's record shows Bob's values.
                Assert.Equal("salary 60k", (await collection.GetAsync("alice"))!.Body);
            }
        }
    }

    [Fact]
    public async Task GetAsync_WhenTwoPropertiesOfARecordAreSwapped_Refuses()
    {
        (InMemoryCollection<string, Note> inner, EncryptingVectorStoreCollection<string, Note> collection) = Create(bind: true);
        await collection.UpsertAsync(NewNote("a", "public title", "private body", 0));

        inner.Tamper("a", n => (n.Title, n.Body) = (n.Body, n.Title));

        await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("a"));
    }

    [Fact]
    public async Task GetAsync_WhenAPropertyIsClearedOrFilledFromAnotherRecord_Refuses()
    {
        (InMemoryCollection<string, Note> inner, EncryptingVectorStoreCollection<string, Note> collection) = Create(bind: true);
        await collection.UpsertAsync([NewNote("a", "title a", "body a", 0), NewNote("b", "title b", null, 1)]);
        string? bodyOfA = inner.Stored.Single(n => n.Id == "a").Body;

        inner.Tamper("a", n => n.Body = null);
        inner.Tamper("b", n => n.Body = bodyOfA);

        await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("a"));
        await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("b"));
    }

    [Fact]
    public async Task GetAsync_WhenBoundRowsAreReadUnboundOrUnboundRowsBound_Refuses()
    {
        var inner = new InMemoryCollection<string, Note>();
        var bound = new EncryptingVectorStoreCollection<string, Note>(inner, keys.Client, Options(bind: true));
        var unbound = new EncryptingVectorStoreCollection<string, Note>(inner, keys.Client, Options(bind: false));
        await bound.UpsertAsync(NewNote("bound", "t", "b", 0));
        await unbound.UpsertAsync(NewNote("unbound", "t", "b", 1));

        await Assert.ThrowsAsync<CryptographicException>(() => unbound.GetAsync("bound"));
        await Assert.ThrowsAsync<CryptographicException>(() => bound.GetAsync("unbound"));
        Assert.Equal("t", (await bound.GetAsync("bound"))!.Title);
    }

    [Fact]
    public async Task UpsertAsync_WhenBoundRecordHasNoKey_ThrowsAndIntKeysBindAsInvariantText()
    {
        var inner = new InMemoryCollection<int, NumberedNote>();
        var collection = new EncryptingVectorStoreCollection<int, NumberedNote>(inner, keys.Client, Options(bind: true));

        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(new NumberedNote { Id = 0, Title = "t", Embedding = Vector(0) }));
        await collection.UpsertAsync([new NumberedNote { Id = 7, Title = "seven", Embedding = Vector(0) }, new NumberedNote { Id = 8, Title = "eight", Embedding = Vector(1) }]);
        Assert.Equal("seven", (await collection.GetAsync(7))!.Title);

        string? seven = inner.Stored.Single(n => n.Id == 7).Title;
        inner.Tamper(8, n => n.Title = seven);
        await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync(8));
    }

    private static EncryptingCollectionOptions Options(bool bind)
    {
        EncryptingCollectionOptions options = TestOptions.Create();
        options.BindStandardProperties = bind;
        return options;
    }

    private static float[] Vector(int axis)
    {
        float[] vector = new float[4];
        vector[axis] = 1f;
        return vector;
    }

    private static Note NewNote(string id, string? title, string? body, int axis) =>
        new() { Id = id, Title = title, Body = body, Embedding = Vector(axis) };

    private (InMemoryCollection<string, Note> Inner, EncryptingVectorStoreCollection<string, Note> Collection) Create(bool bind)
    {
        var inner = new InMemoryCollection<string, Note>();
        return (inner, new EncryptingVectorStoreCollection<string, Note>(inner, keys.Client, Options(bind)));
    }
}

/// <summary>A record with two standard-encrypted properties.</summary>
public sealed class Note
{
    public const int Dimensions = 4;

    [VectorStoreKey]
    public string Id { get; set; } = string.Empty;

    [VectorStoreData]
    [EncryptStandard]
    public string? Title { get; set; }

    [VectorStoreData]
    [EncryptStandard]
    public string? Body { get; set; }

    [VectorStoreData]
    [PairedIclInfo(nameof(Embedding))]
    public string? EmbeddingInfo { get; set; }

    [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
    public ReadOnlyMemory<float>? Embedding { get; set; }
}

/// <summary>A record with an int key and a standard-encrypted property.</summary>
public sealed class NumberedNote
{
    [VectorStoreKey]
    public int Id { get; set; }

    [VectorStoreData]
    [EncryptStandard]
    public string? Title { get; set; }

    [VectorStoreData]
    [PairedIclInfo(nameof(Embedding))]
    public byte[]? EmbeddingInfo { get; set; }

    [VectorStoreVector(Note.Dimensions)]
    public float[]? Embedding { get; set; }
}
