using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;

namespace Veil.Evaluation;

/// <summary>How search compares vectors.</summary>
[Experimental("VEIL001")]
public enum DistanceMetric
{
    /// <summary>Euclidean distance.</summary>
    L2,

    /// <summary>Cosine distance (1 − cosine similarity).</summary>
    Cosine,
}

/// <summary>Exact (brute-force) nearest-neighbour search over rows of floats.</summary>
[Experimental("VEIL001")]
public static class Neighbours
{
    /// <summary>The distance of two vectors under <paramref name="metric"/>.</summary>
    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b, DistanceMetric metric) => metric switch
    {
        DistanceMetric.L2 => TensorPrimitives.Distance(a, b),
        DistanceMetric.Cosine => 1 - TensorPrimitives.CosineSimilarity(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    /// <summary>The indexes of the <paramref name="k"/> rows nearest to <paramref name="query"/>, nearest first (ties by index).</summary>
    public static int[] TopK(IReadOnlyList<float[]> rows, ReadOnlySpan<float> query, int k, DistanceMetric metric)
    {
        ArgumentNullException.ThrowIfNull(rows);
        double[] distances = new double[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            distances[i] = Distance(query, rows[i], metric);
        }

        return TopK(distances, k);
    }

    /// <summary>The indexes of the <paramref name="k"/> smallest values, smallest first (ties by index).</summary>
    public static int[] TopK(double[] distances, int k)
    {
        ArgumentNullException.ThrowIfNull(distances);
        int[] order = Enumerable.Range(0, distances.Length).ToArray();
        Array.Sort(order, (i, j) => distances[i] != distances[j] ? distances[i].CompareTo(distances[j]) : i.CompareTo(j));
        return order[..Math.Min(k, order.Length)];
    }

    /// <summary>For each query, the L2 distance to its nearest row (brute force, queries in parallel).</summary>
    public static double[] NearestDistances(IReadOnlyList<float[]> queries, IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(rows);
        double[] nearest = new double[queries.Count];
        Parallel.For(0, queries.Count, q =>
        {
            float best = float.PositiveInfinity;
            float[] query = queries[q];
            for (int i = 0; i < rows.Count; i++)
            {
                best = Math.Min(best, TensorPrimitives.Distance(query, rows[i]));
            }

            nearest[q] = best;
        });
        return nearest;
    }
}
