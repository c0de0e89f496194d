using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using Veil.Sealed;

namespace Veil.Evaluation;

/// <summary>One setting of the encrypted inverted file: recall@10 of exact ranking inside the fetched lists, and what it fetched.</summary>
/// <param name="Lists">Number of k-means lists.</param>
/// <param name="Probes">Lists fetched per query (nprobe).</param>
/// <param name="Assignments">Lists each row belongs to (its nearest one or two).</param>
/// <param name="Recall">Mean fraction of the exact top 10 among the fetched rows (exact ranking then finds them).</param>
/// <param name="MeanRowsFetched">Mean distinct rows fetched per query.</param>
/// <param name="FetchedFraction">Mean rows fetched / rows stored.</param>
[Experimental("VEIL001")]
public sealed record InvertedFilePoint(int Lists, int Probes, int Assignments, double Recall, double MeanRowsFetched, double FetchedFraction);

/// <summary>One setting of the key-holder index: recall@10 after exact re-ranking of the K′ candidates fetched by key.</summary>
/// <param name="Candidates">K′: rows fetched by key per query.</param>
/// <param name="EfSearch">The HNSW beam width.</param>
/// <param name="Recall">Mean fraction of the exact top 10 among the K′ candidates.</param>
/// <param name="FetchedFraction">K′ / rows stored.</param>
/// <param name="GraphBytesPerRow">Bytes of the index's arrays (int8 codes, scales, links) per row, keys not included.</param>
[Experimental("VEIL001")]
public sealed record KeyHolderPoint(int Candidates, int EfSearch, double Recall, double FetchedFraction, double GraphBytesPerRow);

/// <summary>
/// Measures the two sealed-search designs of issue 15 on the same rows and queries: an encrypted inverted file
/// (k-means lists, a query fetches its nprobe nearest lists and ranks them exactly) and an index kept by the key holder
/// (HNSW over int8-quantised vectors picks K′ candidates, fetched by key and ranked exactly). Cosine throughout.
/// </summary>
[Experimental("VEIL001")]
public static class SealedDesignComparison
{
    /// <summary>Recall@10 and rows fetched of the inverted file for each nprobe in <paramref name="probes"/>.</summary>
    public static IReadOnlyList<InvertedFilePoint> InvertedFile(
        IReadOnlyList<float[]> rows, IReadOnlyList<float[]> queries, int lists, IReadOnlyList<int> probes, int assignments, int seed, int kMeansIterations = 100)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentOutOfRangeException.ThrowIfLessThan(assignments, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(assignments, lists);
        float[][] normalised = rows.Select(Normalise).ToArray();
        float[][] centres = Centres(normalised, KMeans.Cluster(normalised, lists, seed, kMeansIterations), lists);
        var members = new List<int>[lists];
        for (int l = 0; l < lists; l++)
        {
            members[l] = [];
        }

        for (int i = 0; i < normalised.Length; i++)
        {
            foreach (int l in Nearest(centres, normalised[i], assignments))
            {
                members[l].Add(i);
            }
        }

        int[][] truth = queries.Select(q => Neighbours.TopK(normalised, q, 10, DistanceMetric.Cosine)).ToArray();
        var points = new List<InvertedFilePoint>();
        foreach (int probe in probes)
        {
            double recall = 0;
            double fetched = 0;
            for (int q = 0; q < queries.Count; q++)
            {
                var rowsFetched = new HashSet<int>();
                foreach (int l in Nearest(centres, queries[q], Math.Min(probe, lists)))
                {
                    rowsFetched.UnionWith(members[l]);
                }

                recall += truth[q].Count(rowsFetched.Contains) / (double)truth[q].Length;
                fetched += rowsFetched.Count;
            }

            points.Add(new InvertedFilePoint(
                lists, probe, assignments, recall / queries.Count, fetched / queries.Count, fetched / queries.Count / normalised.Length));
        }

        return points;
    }

    /// <summary>Recall@10 of the key-holder index for each K′ in <paramref name="candidates"/>.</summary>
    public static IReadOnlyList<KeyHolderPoint> KeyHolderIndex(
        IReadOnlyList<float[]> rows, IReadOnlyList<float[]> queries, IReadOnlyList<int> candidates, SealedIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(options);
        using var index = new SealedVectorIndex<int>(rows[0].Length, options);
        for (int i = 0; i < rows.Count; i++)
        {
            index.Upsert(i, rows[i]);
        }

        // Measure the graph itself: nothing left to the exact scan of the insertion queue.
        index.WaitForIndexingAsync().GetAwaiter().GetResult();

        int[][] truth = queries.Select(q => Neighbours.TopK(rows, q, 10, DistanceMetric.Cosine)).ToArray();
        double bytesPerRow = index.GraphBytes / (double)rows.Count;
        var points = new List<KeyHolderPoint>();
        foreach (int k in candidates)
        {
            double recall = 0;
            for (int q = 0; q < queries.Count; q++)
            {
                HashSet<int> found = [.. index.Search(queries[q], k)];
                recall += truth[q].Count(found.Contains) / (double)truth[q].Length;
            }

            points.Add(new KeyHolderPoint(k, Math.Max(options.EfSearch ?? SealedIndexOptions.DefaultEfSearchFor(rows.Count, k), k), recall / queries.Count, Math.Min(k, rows.Count) / (double)rows.Count, bytesPerRow));
        }

        return points;
    }

    private static float[] Normalise(float[] row)
    {
        float[] copy = (float[])row.Clone();
        float norm = TensorPrimitives.Norm(copy);
        if (norm > 0)
        {
            TensorPrimitives.Divide(copy, norm, copy);
        }

        return copy;
    }

    private static float[][] Centres(float[][] rows, int[] assignment, int lists)
    {
        float[][] centres = Enumerable.Range(0, lists).Select(_ => new float[rows[0].Length]).ToArray();
        for (int i = 0; i < rows.Length; i++)
        {
            TensorPrimitives.Add(centres[assignment[i]], rows[i], centres[assignment[i]]);
        }

        return centres.Select(Normalise).ToArray();
    }

    private static int[] Nearest(float[][] centres, float[] vector, int count)
    {
        double[] distances = centres.Select(c => 1.0 - TensorPrimitives.CosineSimilarity(c, vector)).ToArray();
        return Neighbours.TopK(distances, count);
    }
}
