using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;

namespace Veil.Evaluation;

/// <summary>Lloyd's k-means with k-means++ seeding (Arthur and Vassilvitskii, 2007), reproducible from a seed.</summary>
[Experimental("VEIL001")]
public static class KMeans
{
    /// <summary>Clusters <paramref name="rows"/> into <paramref name="k"/> clusters; returns each row's cluster.</summary>
    public static int[] Cluster(IReadOnlyList<float[]> rows, int k, int seed, int maxIterations = 100)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, rows.Count);
        int n = rows.Count;
        int d = rows[0].Length;
        var random = new Random(seed);

        // k-means++: the first centre uniformly, each next one with probability ∝ squared distance to the nearest centre.
        var centres = new float[k][];
        centres[0] = (float[])rows[random.Next(n)].Clone();
        double[] nearest = new double[n];
        for (int i = 0; i < n; i++)
        {
            nearest[i] = Squared(rows[i], centres[0]);
        }

        for (int c = 1; c < k; c++)
        {
            double total = nearest.Sum();
            int chosen = n - 1;
            if (total > 0)
            {
                double target = random.NextDouble() * total;
                double cumulative = 0;
                for (int i = 0; i < n; i++)
                {
                    cumulative += nearest[i];
                    if (cumulative >= target)
                    {
                        chosen = i;
                        break;
                    }
                }
            }
            else
            {
                chosen = random.Next(n);
            }

            centres[c] = (float[])rows[chosen].Clone();
            for (int i = 0; i < n; i++)
            {
                nearest[i] = Math.Min(nearest[i], Squared(rows[i], centres[c]));
            }
        }

        int[] assignment = new int[n];
        Array.Fill(assignment, -1);
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            bool changed = false;
            for (int i = 0; i < n; i++)
            {
                int best = 0;
                double bestDistance = double.MaxValue;
                for (int c = 0; c < k; c++)
                {
                    double distance = Squared(rows[i], centres[c]);
                    if (distance < bestDistance)
                    {
                        bestDistance = distance;
                        best = c;
                    }
                }

                if (assignment[i] != best)
                {
                    assignment[i] = best;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }

            var sums = new double[k, d];
            int[] counts = new int[k];
            for (int i = 0; i < n; i++)
            {
                counts[assignment[i]]++;
                for (int j = 0; j < d; j++)
                {
                    sums[assignment[i], j] += rows[i][j];
                }
            }

            for (int c = 0; c < k; c++)
            {
                if (counts[c] == 0)
                {
                    // An empty cluster keeps its centre.
                    continue;
                }

                for (int j = 0; j < d; j++)
                {
                    centres[c][j] = (float)(sums[c, j] / counts[c]);
                }
            }
        }

        return assignment;
    }

    private static double Squared(float[] a, float[] b)
    {
        float distance = TensorPrimitives.Distance(a, b);
        return (double)distance * distance;
    }
}
