using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

public sealed class SealedVectorIndexTests
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(1500, Doc.Dimensions, 30, 0.5f, seed: 11);
    private static readonly float[][] s_queries = Synthetic.Clustered(40, Doc.Dimensions, 30, 0.5f, seed: 12);

    [Fact]
    public void Search_WhenAskedForHundredCandidates_HoldsTheExactTopTenAtLeast99Percent()
    {
        using SealedVectorIndex<int> index = Build();

        int hits = 0;
        foreach (float[] query in s_queries)
        {
            HashSet<int> candidates = [.. index.Search(query, 100)];
            hits += Synthetic.ExactTop(s_vectors, query, 10).Count(candidates.Contains);
        }

        Assert.True(hits / (10.0 * s_queries.Length) >= 0.99, $"recall {hits / (10.0 * s_queries.Length)}");
    }

    [Fact]
    public void Search_WhenAskedForOne_FindsAStoredVectorItself()
    {
        using SealedVectorIndex<int> index = Build();

        int found = Enumerable.Range(0, 100).Count(i => index.Search(s_vectors[i], 1)[0] == i);

        Assert.True(found >= 99, $"{found} of 100");
    }

    [Fact]
    public void DeleteAndUpsert_WhenApplied_SearchNoLongerReturnsTheOldEntry()
    {
        using SealedVectorIndex<int> index = Build();

        Assert.True(index.Delete(5));
        Assert.False(index.Delete(5));
        index.Upsert(6, s_vectors[900]);

        Assert.DoesNotContain(5, index.Search(s_vectors[5], 50));
        Assert.DoesNotContain(6, index.Search(s_vectors[6], 5));
        Assert.Contains(6, index.Search(s_vectors[900], 2));
        Assert.Equal(s_vectors.Length - 1, index.Count);
    }

    [Fact]
    public void ReadFrom_WhenWrittenByWriteTo_GivesTheSameResults()
    {
        using SealedVectorIndex<int> index = Build();
        index.Delete(3);
        using var stream = new MemoryStream();
        index.WriteTo(stream);
        stream.Position = 0;

        using SealedVectorIndex<int> copy = SealedVectorIndex.ReadFrom<int>(stream);

        Assert.Equal(index.Count, copy.Count);
        Assert.All(s_queries, q => Assert.Equal(index.Search(q, 20), copy.Search(q, 20)));
    }

    [Fact]
    public void ReadFrom_WhenTheIndexSpansTwoCodeBlocks_RoundTripsEveryCode()
    {
        float[][] vectors = Synthetic.Clustered(16_500, 4, 50, 0.5f, seed: 13);
        using var index = new SealedVectorIndex<int>(4, new SealedIndexOptions { M = 4, EfConstruction = 8, EfSearch = 8, Seed = 2 });
        for (int i = 0; i < vectors.Length; i++)
        {
            index.Upsert(i, vectors[i]);
        }

        using var stream = new MemoryStream();
        index.WriteTo(stream);
        stream.Position = 0;
        using SealedVectorIndex<int> copy = SealedVectorIndex.ReadFrom<int>(stream);

        foreach (int i in new[] { 0, 16_383, 16_384, 16_499 })
        {
            Assert.Equal(index.Search(vectors[i], 5), copy.Search(vectors[i], 5));
        }
    }

    [Fact]
    public void ReadFrom_WhenTruncatedOrOfAnotherKeyType_ThrowsInvalidData()
    {
        using SealedVectorIndex<int> index = Build(200);
        using var stream = new MemoryStream();
        index.WriteTo(stream);
        byte[] bytes = stream.ToArray();

        foreach (int length in new[] { 0, 3, 40, bytes.Length / 2, bytes.Length - 1 })
        {
            Assert.Throws<InvalidDataException>(() => SealedVectorIndex.ReadFrom<int>(new MemoryStream(bytes, 0, length)));
        }

        Assert.Throws<InvalidDataException>(() => SealedVectorIndex.ReadFrom<string>(new MemoryStream(bytes)));
    }

    [Theory]
    [InlineData(8, int.MaxValue)]
    [InlineData(12, int.MaxValue)]
    [InlineData(16, int.MaxValue)]
    [InlineData(20, -1)]
    [InlineData(32, 1_000_000)]
    [InlineData(36, int.MaxValue)]
    [InlineData(36, -5)]
    [InlineData(40, 99)]
    public void ReadFrom_WhenAHeaderFieldIsCorrupted_ThrowsInvalidData(int offset, int value)
    {
        using SealedVectorIndex<int> index = Build(50);
        using var stream = new MemoryStream();
        index.WriteTo(stream);
        byte[] bytes = stream.ToArray();

        // Layout: index version, efSearch, graph version, dimensions (12), M (16), efConstruction (20), seed (24..31),
        // count (32), entry (36), top level (40).
        BitConverter.TryWriteBytes(bytes.AsSpan(offset), value);

        Assert.Throws<InvalidDataException>(() => SealedVectorIndex.ReadFrom<int>(new MemoryStream(bytes)));
    }

    [Fact]
    public void Upsert_WhenVectorIsInvalid_ThrowsArgumentException()
    {
        using var index = new SealedVectorIndex<int>(Doc.Dimensions);

        Assert.Throws<ArgumentException>(() => index.Upsert(1, new float[Doc.Dimensions - 1]));
        Assert.Throws<ArgumentException>(() => index.Upsert(1, new float[Doc.Dimensions]));
        float[] nan = (float[])s_vectors[0].Clone();
        nan[3] = float.NaN;
        Assert.Throws<ArgumentException>(() => index.Upsert(1, nan));
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public async Task Search_WhileAWriterInserts_ConcurrentReadersSeeConsistentResults()
    {
        using SealedVectorIndex<int> index = Build(500);
        using var done = new CancellationTokenSource();

        Task writer = Task.Run(() =>
        {
            for (int i = 500; i < 1000; i++)
            {
                index.Upsert(i, s_vectors[i]);
            }
        });
        Task<int>[] readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            int searches = 0;
            while (!writer.IsCompleted || searches < 10)
            {
                IReadOnlyList<int> found = index.Search(s_queries[(r + searches) % s_queries.Length], 10);
                Assert.Equal(10, found.Count);
                Assert.Equal(10, found.Distinct().Count());
                searches++;
            }

            return searches;
        })).ToArray();

        await writer;
        int[] counts = await Task.WhenAll(readers);

        Assert.All(counts, c => Assert.True(c >= 10));
        Assert.Equal(1000, index.Count);
    }

    [Fact]
    public async Task Search_WhileUpsertsWaitForTheGraph_FindsThemByExactScanAndAfterInsertionFromTheGraph()
    {
        using SealedVectorIndex<int> index = Build(500);
        await index.WaitForIndexingAsync();
        using var gate = new ManualResetEventSlim(false);
        index.IndexingGate = gate;
        for (int i = 500; i < 800; i++)
        {
            index.Upsert(i, s_vectors[i]);
        }

        index.Upsert(3, s_vectors[900]);
        Assert.True(index.Delete(700));

        Assert.Equal(300, index.PendingCount);
        Assert.Equal(799, index.Count);
        Assert.All(Enumerable.Range(500, 300).Where(i => i != 700), i => Assert.Equal(i, index.Search(s_vectors[i], 1)[0]));
        Assert.Equal(3, index.Search(s_vectors[900], 1)[0]);
        Assert.DoesNotContain(3, index.Search(s_vectors[3], 20));
        Assert.DoesNotContain(700, index.Search(s_vectors[700], 20));
        Assert.True(index.Contains(650));
        Assert.False(index.Contains(700));

        gate.Set();
        await index.WaitForIndexingAsync();
        index.IndexingGate = null;

        Assert.Equal(0, index.PendingCount);
        Assert.Equal(799, index.Count);
        Assert.True(Enumerable.Range(500, 300).Count(i => i != 700 && index.Search(s_vectors[i], 1)[0] == i) >= 296);
        Assert.DoesNotContain(700, index.Search(s_vectors[700], 20));
    }

    [Fact]
    public void WriteTo_WhileVectorsAreQueued_InsertsThemFirst()
    {
        using var gate = new ManualResetEventSlim(false);
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { Seed = 1 }) { IndexingGate = gate };
        for (int i = 0; i < 200; i++)
        {
            index.Upsert(i, s_vectors[i]);
        }

        using var stream = new MemoryStream();
        index.WriteTo(stream);
        stream.Position = 0;
        using SealedVectorIndex<int> copy = SealedVectorIndex.ReadFrom<int>(stream);

        Assert.Equal(0, index.PendingCount);
        Assert.Equal(200, copy.Count);
        Assert.Equal(0, copy.PendingCount);
        Assert.All(s_queries, q => Assert.Equal(index.Search(q, 20), copy.Search(q, 20)));
        gate.Set();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Search_WhenBuiltByOneOrSeveralThreads_HoldsTheExactTopTenAtLeast99Percent(int threads)
    {
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { Seed = 1, IndexingThreads = threads });
        for (int i = 0; i < s_vectors.Length; i++)
        {
            index.Upsert(i, s_vectors[i]);
        }

        await index.WaitForIndexingAsync();
        int hits = 0;
        foreach (float[] query in s_queries)
        {
            HashSet<int> candidates = [.. index.Search(query, 100)];
            hits += Synthetic.ExactTop(s_vectors, query, 10).Count(candidates.Contains);
        }

        Assert.Equal(0, index.PendingCount);
        Assert.True(hits / (10.0 * s_queries.Length) >= 0.99, $"recall {hits / (10.0 * s_queries.Length)}");
    }

    [Fact]
    public async Task Upsert_WhenManyThreadsFillSmallLinkLists_KeepsEveryListInBoundsAndFindsStoredVectors()
    {
        // M = 4 fills link lists quickly, so parallel insertions constantly prune lists other threads also write.
        float[][] vectors = Synthetic.Clustered(6000, 8, 40, 0.5f, seed: 21);
        using var index = new SealedVectorIndex<int>(8, new SealedIndexOptions { M = 4, EfConstruction = 32, EfSearch = 64, Seed = 3, IndexingThreads = 4 });
        for (int i = 0; i < vectors.Length; i++)
        {
            index.Upsert(i, vectors[i]);
        }

        await index.WaitForIndexingAsync();

        Assert.Equal(vectors.Length, index.Count);
        int found = Enumerable.Range(0, 200).Count(i => index.Search(vectors[i * 30], 10).Contains(i * 30));
        Assert.True(found >= 180, $"{found} of 200");
    }

    [Fact]
    public async Task UpsertRange_WhenAKeyRepeatsOrAVectorIsInvalid_LaterEntryWinsOrNothingChanges()
    {
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { Seed = 1 });

        Assert.Throws<ArgumentException>(() => index.UpsertRange([KeyValuePair.Create(1, s_vectors[1]), KeyValuePair.Create(2, new float[Doc.Dimensions])]));
        Assert.Equal(0, index.Count);

        index.UpsertRange(Enumerable.Range(0, 300).Select(i => KeyValuePair.Create(i, s_vectors[i])).Append(KeyValuePair.Create(7, s_vectors[900])));
        await index.WaitForIndexingAsync();

        Assert.Equal(300, index.Count);
        Assert.Equal(7, index.Search(s_vectors[900], 1)[0]);
        Assert.DoesNotContain(7, index.Search(s_vectors[7], 10));
    }

    [Fact]
    public void Upsert_WhenNotDeferred_InsertsBeforeReturning()
    {
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { Seed = 1, Deferred = false });
        for (int i = 0; i < 100; i++)
        {
            index.Upsert(i, s_vectors[i]);
        }

        Assert.Equal(0, index.PendingCount);
        Assert.Equal(100, index.Count);
        Assert.Equal(42, index.Search(s_vectors[42], 1)[0]);
    }

    private static SealedVectorIndex<int> Build(int count = -1)
    {
        var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { Seed = 1 });
        for (int i = 0; i < (count < 0 ? s_vectors.Length : count); i++)
        {
            index.Upsert(i, s_vectors[i]);
        }

        return index;
    }
}
