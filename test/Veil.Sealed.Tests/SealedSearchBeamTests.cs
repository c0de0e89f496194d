using System.Numerics.Tensors;
using CsCheck;
using Microsoft.Extensions.VectorData;
using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

/// <summary>The graph's beam width: the default rule, the per-search setting, and recall on near-duplicate clusters.</summary>
public sealed class SealedSearchBeamTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    [Fact]
    public void DefaultEfSearchFor_ForAnyRowsAndCandidates_IsAtLeastTheCandidatesAndNeverShrinksAsRowsGrow()
    {
        Gen.Select(Gen.Int[0, 100_000_000], Gen.Int[0, 100_000_000], Gen.Int[1, 5_000]).Sample((a, b, candidates) =>
        {
            int smaller = SealedIndexOptions.DefaultEfSearchFor(Math.Min(a, b), candidates);
            int larger = SealedIndexOptions.DefaultEfSearchFor(Math.Max(a, b), candidates);

            Assert.True(smaller >= candidates, $"{smaller} < {candidates}");
            Assert.True(larger >= smaller, $"{larger} < {smaller}");
        });
    }

    [Theory]
    [InlineData(0, 100, 128)]
    [InlineData(4_096, 100, 128)]
    [InlineData(4_097, 100, 130)]
    [InlineData(26_000, 100, 324)]
    [InlineData(100_000, 100, 634)]
    [InlineData(1_000_000, 100, 2_000)]
    [InlineData(1_000_000, 3_000, 3_000)]
    [InlineData(50_000_000, 100, 4_096)]
    public void DefaultEfSearchFor_KnownSizes_GivesTwiceTheRootClampedAndAtLeastTheCandidates(int rows, int candidates, int expected) =>
        Assert.Equal(expected, SealedIndexOptions.DefaultEfSearchFor(rows, candidates));

    [Fact]
    public void ReadFrom_WhenOptionsSetEfSearch_TheyWinOverTheWrittenOne()
    {
        float[][] vectors = Synthetic.Clustered(400, Doc.Dimensions, 8, 0.5f, seed: 21);
        float[][] queries = Synthetic.Clustered(20, Doc.Dimensions, 8, 0.5f, seed: 22);
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { M = 4, EfConstruction = 16, EfSearch = 1, Seed = 3, Deferred = false });
        for (int i = 0; i < vectors.Length; i++)
        {
            index.Upsert(i, vectors[i]);
        }

        using var stream = new MemoryStream();
        index.WriteTo(stream);
        stream.Position = 0;
        using SealedVectorIndex<int> written = SealedVectorIndex.ReadFrom<int>(stream);
        stream.Position = 0;
        using SealedVectorIndex<int> wide = SealedVectorIndex<int>.ReadFrom(stream, new SealedIndexOptions { EfSearch = vectors.Length });

        Assert.All(queries, q => Assert.Equal(index.Search(q, 10), written.Search(q, 10)));
        Assert.All(queries, q => Assert.Equal(index.Search(q, 10, efSearch: vectors.Length), wide.Search(q, 10)));
        Assert.Contains(queries, q => !index.Search(q, 10).SequenceEqual(wide.Search(q, 10)));
    }

    [Fact]
    public void Search_WithABeamAsWideAsTheIndex_FindsMoreOfTheExactTopTenThanTheIndexBeam()
    {
        float[][] vectors = Synthetic.Clustered(400, Doc.Dimensions, 8, 0.5f, seed: 21);
        float[][] queries = Synthetic.Clustered(20, Doc.Dimensions, 8, 0.5f, seed: 22);
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { M = 4, EfConstruction = 16, EfSearch = 1, Seed = 3, Deferred = false });
        for (int i = 0; i < vectors.Length; i++)
        {
            index.Upsert(i, vectors[i]);
        }

        // A beam over every node reaches every node linked into the graph (a sparse M = 4 graph may leave a node
        // without in-links); the index's own beam (1, raised to K′ = 20) stops early.
        int wide = 0, narrow = 0;
        foreach (float[] query in queries)
        {
            int[] exact = Synthetic.ExactTop(vectors, query, 10);
            wide += exact.Count(index.Search(query, 20, efSearch: vectors.Length).Contains);
            narrow += exact.Count(index.Search(query, 20).Contains);
        }

        Assert.True(wide >= 0.95 * 10 * queries.Length, $"wide {wide}, narrow {narrow} of {10 * queries.Length}");
        Assert.True(wide > narrow, $"wide {wide}, narrow {narrow}");
    }

    [Fact]
    public void Search_WhenEfSearchIsLessThanOne_Throws()
    {
        using var index = new SealedVectorIndex<int>(Doc.Dimensions);
        index.Upsert(1, Synthetic.Clustered(1, Doc.Dimensions, 1, 0.5f, seed: 1)[0]);

        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[Doc.Dimensions], 1, efSearch: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SealedVectorSearchOptions<Doc> { EfSearch = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { EfSearch = 0 }));
    }

    [Fact]
    public async Task SearchAsync_WithSealedSearchOptions_UsesThatBeamForThisSearchOnly()
    {
        float[][] vectors = Synthetic.Clustered(400, Doc.Dimensions, 8, 0.5f, seed: 21);
        float[][] queries = Synthetic.Clustered(20, Doc.Dimensions, 8, 0.5f, seed: 22);
        var inner = new InMemoryCollection<string, Doc>("docs") { RefuseSearch = true };
        var options = new SealedCollectionOptions { Candidates = 20, Index = new SealedIndexOptions { M = 4, EfConstruction = 16, EfSearch = 1, Seed = 3, Deferred = false } };
        using var collection = new SealedVectorStoreCollection<string, Doc>(inner, keys.Keyring, new InMemorySealedIndexStorage(), options);
        await collection.UpsertAsync(vectors.Select((v, i) => Doc.Create(i, v)));

        int wideHits = 0, narrowHits = 0;
        foreach (float[] query in queries)
        {
            HashSet<string> exact = [.. Synthetic.ExactTop(vectors, query, 10).Select(i => $"doc-{i}")];
            wideHits += await collection.SearchAsync(query, 10, new SealedVectorSearchOptions<Doc> { EfSearch = vectors.Length }).CountAsync(r => exact.Contains(r.Record.Id));
            narrowHits += await collection.SearchAsync(query, 10).CountAsync(r => exact.Contains(r.Record.Id));
        }

        // The collection's own beam (EfSearch 1, raised to K′ = 20) finds fewer: the wide one came from the option.
        Assert.True(wideHits >= 0.95 * 10 * queries.Length, $"wide {wideHits}, narrow {narrowHits} of {10 * queries.Length}");
        Assert.True(wideHits > narrowHits, $"wide {wideHits}, narrow {narrowHits}");
    }

    [Fact]
    public void Search_OnNearDuplicateClustersAtTheDefaults_HoldsTheExactTopTenAmongHundredCandidates()
    {
        // The bench's tiling in miniature: 200 "real" rows, each stored as 20 noisy copies (cosine ≈ 0.94 between
        // copies), 40 other rows held out as queries; a query's true top 10 are near-ties among copies.
        float[][] real = Synthetic.Clustered(240, Doc.Dimensions, 12, 0.5f, seed: 31);
        var random = new Random(32);
        float sigma = 0.25f / MathF.Sqrt(Doc.Dimensions);
        float[][] rows = [.. Enumerable.Range(0, 200 * 20).Select(r =>
        {
            float[] v = [.. real[40 + (r % 200)].Select(x => x + (sigma * Gaussian(random)))];
            TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
            return v;
        })];
        using var index = new SealedVectorIndex<int>(Doc.Dimensions, new SealedIndexOptions { Seed = 5, Deferred = false });
        for (int i = 0; i < rows.Length; i++)
        {
            index.Upsert(i, rows[i]);
        }

        double hits = 0;
        foreach (float[] query in real[..40])
        {
            HashSet<int> candidates = [.. index.Search(query, 100)];
            hits += Synthetic.ExactTop(rows, query, 10).Count(candidates.Contains);
        }

        double recall = hits / (10.0 * 40);
        Assert.True(recall >= RecallThreshold, $"recall@10 {recall}");
    }

    private const double RecallThreshold = 0.99;

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
