using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Veil.Sealed;

namespace Veil.Benchmarks.Harness;

/// <summary>One point of a query-time sweep: recall@10 and graph-search latency at one beam width and K′.</summary>
/// <param name="EfSearch">The beam width the searches asked for (raised to K′ when smaller).</param>
/// <param name="Candidates">K′: candidates returned (and, in the sealed collection, fetched and ranked exactly).</param>
/// <param name="RecallAt10">Share of the exact top 10 among the K′ candidates (what exact ranking of them keeps).</param>
/// <param name="P50Milliseconds">Median time of the graph search alone.</param>
/// <param name="P99Milliseconds">99th percentile of the graph search alone.</param>
public sealed record SealedSweepPoint(int EfSearch, int Candidates, double RecallAt10, double P50Milliseconds, double P99Milliseconds);

/// <summary>One graph (its build settings and cost) and its query-time sweep.</summary>
public sealed record SealedSweepGraph(int M, int EfConstruction, double BuildSeconds, long GraphBytes, IReadOnlyList<SealedSweepPoint> Points);

/// <summary>
/// The key holder's graph alone, without a store: for each M, builds the index over the same rows once, then runs
/// the same held-out queries at every (efSearch, K′) and reports recall@10 of the K′ candidates (exact ranking of the
/// fetched rows keeps exactly the true top 10 found among them) and the graph search's latency. The rows are those of
/// <c>veil bench --sealed --postgres</c>: a corpus tiled with noise (each real row ≈ n / corpus copies), queries held
/// out of the tiling.
/// </summary>
public static class SealedRecallSweep
{
    /// <summary>Runs the sweep and writes one line per point to <paramref name="output"/>.</summary>
    public static IReadOnlyList<SealedSweepGraph> Measure(
        string corpus, int rows, int queries, IReadOnlyList<int> ms, int efConstruction, IReadOnlyList<int> efSearches, IReadOnlyList<int> candidates, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(ms);
        ArgumentNullException.ThrowIfNull(efSearches);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(output);
        (float[][] data, float[][] queryVectors) = SealedPostgresBench.TiledWithHeldOutQueries(SealedBench.ReadRows(corpus, 384), rows, queries);
        int[][] truth = SealedPostgresBench.ExactTop10(data, queryVectors);
        var graphs = new List<SealedSweepGraph>();
        foreach (int m in ms)
        {
            long start = Stopwatch.GetTimestamp();
            using var index = new SealedVectorIndex<int>(data[0].Length, new SealedIndexOptions { M = m, EfConstruction = efConstruction, Seed = 7 });
            for (int first = 0; first < data.Length; first += 10_000)
            {
                index.UpsertAsync(Enumerable.Range(first, Math.Min(10_000, data.Length - first)).Select(r => KeyValuePair.Create(r, data[r]))).GetAwaiter().GetResult();
            }

            index.WaitForIndexingAsync().GetAwaiter().GetResult();
            double buildSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            long graphBytes = index.GraphBytes;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"M {m}, efConstruction {efConstruction}: {rows:N0} rows in {buildSeconds:F1} s, graph arrays {graphBytes / 1e6:F1} MB ({Load()})"));
            var points = new List<SealedSweepPoint>();
            foreach (int k in candidates)
            {
                foreach (int ef in efSearches.Where(e => e >= k).Prepend(0).Distinct())
                {
                    var times = new List<double>(queries);
                    double recall = 0;
                    int used = ef == 0 ? SealedIndexOptions.DefaultEfSearchFor(rows, k) : ef;
                    for (int q = 0; q < queryVectors.Length; q++)
                    {
                        long t = Stopwatch.GetTimestamp();
                        IReadOnlyList<int> found = index.Search(queryVectors[q], k, used);
                        times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                        var set = new HashSet<int>(found);
                        recall += truth[q].Count(set.Contains) / 10.0;
                    }

                    times.Sort();
                    var point = new SealedSweepPoint(used, k, recall / queryVectors.Length, SealedBench.Median(times), times[Math.Min(times.Count - 1, (int)Math.Ceiling(0.99 * times.Count) - 1)]);
                    points.Add(point);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  efSearch {used,5}{(ef == 0 ? " (default)" : "          ")} K′ {k,4}: recall@10 {point.RecallAt10:F4}, graph search p50 {point.P50Milliseconds:F2} ms, p99 {point.P99Milliseconds:F2} ms"));
                }
            }

            graphs.Add(new SealedSweepGraph(m, efConstruction, buildSeconds, graphBytes, points));
        }

        return graphs;
    }

    private static string Load()
    {
        try
        {
            return "load " + File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "load unknown";
        }
    }
}
