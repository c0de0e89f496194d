using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Veil.Sealed;
using Xunit.Abstractions;

namespace Veil.Evaluation.Tests;

/// <summary>
/// The measurement behind docs/sealed.md: encrypted inverted file vs key-holder index, recall@10 against rows fetched.
/// The corpus test prints the table the doc quotes:
/// <c>dotnet test test/Veil.Evaluation.Tests -c Release --filter SealedDesigns_OnTheMiniLmCorpus --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class SealedDesignComparisonTests(ITestOutputHelper output)
{
    [Fact]
    public void InvertedFile_OnSyntheticClusters_FetchesMoreAsProbesGrowAndEverythingAtAllLists()
    {
        (float[][] rows, float[][] queries) = Split(Clustered(700, 32, 20, seed: 1), 50, seed: 2);

        IReadOnlyList<InvertedFilePoint> points = SealedDesignComparison.InvertedFile(rows, queries, lists: 25, probes: [1, 4, 25], assignments: 1, seed: 3);

        Assert.True(points[0].FetchedFraction < 0.2, $"{points[0].FetchedFraction}");
        Assert.True(points[0].Recall < points[1].Recall && points[0].FetchedFraction < points[1].FetchedFraction);
        Assert.Equal(1.0, points[2].Recall, 9);
        Assert.Equal(1.0, points[2].FetchedFraction, 9);
    }

    [Fact]
    public void InvertedFile_WithTwoAssignments_RecallsAtLeastAsMuchAsWithOne()
    {
        (float[][] rows, float[][] queries) = Split(Clustered(700, 32, 20, seed: 1), 50, seed: 2);

        InvertedFilePoint one = SealedDesignComparison.InvertedFile(rows, queries, 25, [2], 1, seed: 3)[0];
        InvertedFilePoint two = SealedDesignComparison.InvertedFile(rows, queries, 25, [2], 2, seed: 3)[0];

        Assert.True(two.Recall >= one.Recall);
        Assert.True(two.MeanRowsFetched > one.MeanRowsFetched);
    }

    [Fact]
    public void KeyHolderIndex_OnSyntheticClusters_RecallGrowsWithCandidatesAndFetchesOnlyThem()
    {
        (float[][] rows, float[][] queries) = Split(Clustered(700, 32, 20, seed: 1), 50, seed: 2);

        IReadOnlyList<KeyHolderPoint> points = SealedDesignComparison.KeyHolderIndex(rows, queries, [10, 100], new SealedIndexOptions { Seed = 4 });

        Assert.True(points[1].Recall >= 0.99, $"{points[1].Recall}");
        Assert.True(points[0].Recall <= points[1].Recall);
        Assert.Equal(100 / 650.0, points[1].FetchedFraction, 9);
    }

    [Fact]
    public void SealedDesigns_OnTheMiniLmCorpus()
    {
        (float[][] rows, float[][] queries) = Split(LoadCorpus(), 100, seed: 15);

        (InvertedFilePoint cheapest96, KeyHolderPoint keyHolder) =
            Measure($"fiori-minilm (real all-MiniLM-L6-v2 embeddings): n = {rows.Length}", rows, queries, [1, 2, 4, 6, 8, 12, 16]);

        // On real embeddings the inverted file pays for recall with a large share of the store (the issue measured
        // 28 % on 19 500 rows); the key-holder index fetches K′ rows.
        Assert.True(cheapest96.FetchedFraction >= 0.2, $"{cheapest96.FetchedFraction}");
        Assert.True(keyHolder.Recall >= 0.99, $"{keyHolder.Recall}");
    }

    /// <summary>
    /// A larger set shaped by the real corpus (no larger real corpus is committed): points between real rows and their
    /// real neighbours, plus noise (see <see cref="Derived"/>); queries are drawn the same way. n from VEIL_SEALED_N
    /// (default 5 000; docs/sealed.md quotes 20 000).
    /// </summary>
    [Fact]
    public void SealedDesigns_OnACorpusDerivedSet()
    {
        int n = int.TryParse(Environment.GetEnvironmentVariable("VEIL_SEALED_N"), CultureInfo.InvariantCulture, out int v) ? v : 5000;
        float[][] corpus = LoadCorpus();
        float[][] derived = Derived(corpus, n + 100, seed: 18);
        (float[][] rows, float[][] queries) = (derived[100..], derived[..100]);

        (_, KeyHolderPoint keyHolder) = Measure($"corpus-derived (between fiori-minilm neighbours + noise): n = {rows.Length}", rows, queries, [1, 2, 4, 8, 16, 32, 48]);

        Assert.True(keyHolder.Recall >= 0.99, $"{keyHolder.Recall}");
    }

    /// <summary>Prints the table; returns the cheapest inverted-file setting with recall ≥ 0.96 and the key-holder index at K′ = 100.</summary>
    private (InvertedFilePoint Cheapest96, KeyHolderPoint KeyHolder) Measure(string title, float[][] rows, float[][] queries, int[] probes)
    {
        int lists = (int)Math.Round(Math.Sqrt(rows.Length));
        output.WriteLine($"{title} rows indexed, {queries.Length} held-out queries, 384-d, cosine; recall@10 vs exact search.");
        output.WriteLine(string.Empty);
        output.WriteLine("| design | setting | recall@10 | rows fetched / query | fraction of rows |");
        output.WriteLine("|---|---|---|---|---|");
        InvertedFilePoint? cheapest96 = null;
        foreach (int assignments in (int[])[1, 2])
        {
            foreach (InvertedFilePoint p in SealedDesignComparison.InvertedFile(rows, queries, lists, probes, assignments, seed: 16, kMeansIterations: 25))
            {
                output.WriteLine(Invariant($"| inverted file, {p.Lists} lists, row in {p.Assignments} | nprobe {p.Probes} | {p.Recall:F3} | {p.MeanRowsFetched:F0} | {p.FetchedFraction:P1} |"));
                if (p.Recall >= 0.96 && (cheapest96 is null || p.FetchedFraction < cheapest96.FetchedFraction))
                {
                    cheapest96 = p;
                }
            }
        }

        var options = new SealedIndexOptions { Seed = 17 };
        IReadOnlyList<KeyHolderPoint> keyHolder = SealedDesignComparison.KeyHolderIndex(rows, queries, [10, 20, 50, 100], options);
        foreach (KeyHolderPoint p in keyHolder)
        {
            output.WriteLine(Invariant($"| key-holder HNSW (int8, M {options.M}, ef {p.EfSearch}) | K′ {p.Candidates} | {p.Recall:F3} | {p.Candidates} | {p.FetchedFraction:P1} |"));
        }

        output.WriteLine(string.Empty);
        output.WriteLine(Invariant($"Key-holder index: {keyHolder[0].GraphBytesPerRow:F0} bytes per row in codes, scales and links (keys not included)."));

        Assert.NotNull(cheapest96);
        return (cheapest96, keyHolder[^1]);
    }

    /// <summary>Points on the segments between real rows and their real neighbours: normalise(λ·a + (1 − λ)·b + noise),
    /// b one of a's 10 nearest rows, λ uniform, noise at cosine ≈ 0.95.</summary>
    private static float[][] Derived(float[][] corpus, int count, int seed)
    {
        var random = new Random(seed);
        int[][] near = corpus.Select((row, i) => Neighbours.TopK(corpus, row, 11, DistanceMetric.Cosine).Where(j => j != i).Take(10).ToArray()).ToArray();
        float sigma = (float)Math.Sqrt(0.108 / 384);
        return Enumerable.Range(0, count).Select(_ =>
        {
            int a = random.Next(corpus.Length);
            int b = near[a][random.Next(10)];
            float lambda = (float)random.NextDouble();
            float[] v = Gaussian(random, 384, sigma);
            TensorPrimitives.MultiplyAdd(corpus[a], lambda, v, v);
            TensorPrimitives.MultiplyAdd(corpus[b], 1 - lambda, v, v);
            TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
            return v;
        }).ToArray();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static float[][] LoadCorpus()
    {
        DirectoryInfo? directory = new(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "data", "fiori-minilm", "embeddings.bin")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        byte[] bytes = File.ReadAllBytes(Path.Combine(directory.FullName, "data", "fiori-minilm", "embeddings.bin"));
        float[] all = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        return all.Chunk(384).ToArray();
    }

    private static (float[][] Rows, float[][] Queries) Split(float[][] data, int queries, int seed)
    {
        int[] order = Enumerable.Range(0, data.Length).ToArray();
        new Random(seed).Shuffle(order);
        return (order[queries..].Select(i => data[i]).ToArray(), order[..queries].Select(i => data[i]).ToArray());
    }

    private static float[][] Clustered(int count, int dimensions, int clusters, int seed)
    {
        var random = new Random(seed);
        float[][] centres = Enumerable.Range(0, clusters).Select(_ => Gaussian(random, dimensions, 1f)).ToArray();
        return Enumerable.Range(0, count).Select(i =>
        {
            float[] v = Gaussian(random, dimensions, 0.5f);
            TensorPrimitives.Add(v, centres[i % clusters], v);
            TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
            return v;
        }).ToArray();
    }

    private static float[] Gaussian(Random random, int dimensions, float sigma) =>
        Enumerable.Range(0, dimensions).Select(_ => sigma * (float)(Math.Sqrt(-2 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray();
}
