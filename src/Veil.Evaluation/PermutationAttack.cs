using System.Diagnostics.CodeAnalysis;

namespace Veil.Evaluation;

/// <summary>
/// L4, ciphertext-only: coordinate j of a ciphertext is s times the plaintext coordinate π(j) plus zero-mean isotropic
/// noise, so the per-coordinate mean and standard deviation of the ciphertexts, once s and the noise variance are
/// estimated away, resemble those of a public corpus embedded with the same model. Matching them (Hungarian algorithm)
/// guesses π. (Skewness and kurtosis, z-scored, made the matching worse: the noise dilutes them into noise.)
/// </summary>
[Experimental("VEIL001")]
public static class PermutationAttack
{
    /// <summary>
    /// For each ciphertext coordinate, the public plaintext coordinate it is matched to (a permutation of 0…d−1).
    /// </summary>
    public static int[] Recover(IReadOnlyList<float[]> ciphertexts, IReadOnlyList<float[]> publicPlaintexts)
    {
        (double[] cipherMean, double[] cipherVariance) = Moments(ciphertexts);
        (double[] plainMean, double[] plainVariance) = Moments(publicPlaintexts);
        int d = cipherMean.Length;

        // s from the ratio of the mean vectors' norms; the noise variance from the excess total variance, spread evenly.
        double plainNorm = Math.Sqrt(plainMean.Sum(m => m * m));
        double scale = plainNorm > 0 ? Math.Sqrt(cipherMean.Sum(m => m * m)) / plainNorm : 1;
        scale = scale > 0 ? scale : 1;
        double excess = Math.Max(0, (cipherVariance.Sum() / (scale * scale)) - plainVariance.Sum()) / d;
        double[] cipherSd = cipherVariance.Select(v => Math.Sqrt(Math.Max(0, (v / (scale * scale)) - excess))).ToArray();
        double[] plainSd = plainVariance.Select(Math.Sqrt).ToArray();

        var cost = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double mean = (cipherMean[i] / scale) - plainMean[j];
                double sd = cipherSd[i] - plainSd[j];
                cost[i, j] = (mean * mean) + (sd * sd);
            }
        }

        return Hungarian(cost);
    }

    /// <summary>The minimum-cost perfect assignment of rows to columns of a square cost matrix (O(n³), Kuhn–Munkres with potentials).</summary>
    public static int[] Hungarian(double[,] cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        int n = cost.GetLength(0);
        if (cost.GetLength(1) != n)
        {
            throw new ArgumentException("The cost matrix must be square.", nameof(cost));
        }

        // 1-based arrays: column 0 is the virtual start.
        double[] u = new double[n + 1];
        double[] v = new double[n + 1];
        int[] match = new int[n + 1];
        int[] way = new int[n + 1];
        for (int row = 1; row <= n; row++)
        {
            match[0] = row;
            int column = 0;
            double[] minimum = Enumerable.Repeat(double.PositiveInfinity, n + 1).ToArray();
            bool[] used = new bool[n + 1];
            do
            {
                used[column] = true;
                int current = match[column];
                double delta = double.PositiveInfinity;
                int next = 0;
                for (int j = 1; j <= n; j++)
                {
                    if (used[j])
                    {
                        continue;
                    }

                    double reduced = cost[current - 1, j - 1] - u[current] - v[j];
                    if (reduced < minimum[j])
                    {
                        minimum[j] = reduced;
                        way[j] = column;
                    }

                    if (minimum[j] < delta)
                    {
                        delta = minimum[j];
                        next = j;
                    }
                }

                for (int j = 0; j <= n; j++)
                {
                    if (used[j])
                    {
                        u[match[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minimum[j] -= delta;
                    }
                }

                column = next;
            }
            while (match[column] != 0);

            do
            {
                int previous = way[column];
                match[column] = match[previous];
                column = previous;
            }
            while (column != 0);
        }

        int[] assignment = new int[n];
        for (int j = 1; j <= n; j++)
        {
            assignment[match[j] - 1] = j - 1;
        }

        return assignment;
    }

    private static (double[] Mean, double[] Variance) Moments(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int d = rows[0].Length;
        double[] mean = new double[d];
        double[] variance = new double[d];
        for (int j = 0; j < d; j++)
        {
            mean[j] = rows.Average(r => (double)r[j]);
            variance[j] = rows.Average(r => (r[j] - mean[j]) * (r[j] - mean[j]));
        }

        return (mean, variance);
    }
}
