using System.Diagnostics.CodeAnalysis;

namespace Veil.Evaluation;

/// <summary>
/// The scores the evaluation reports: recall, clustering agreement (adjusted Rand index, normalised mutual
/// information), ROC statistics (AUC, best advantage, TPR at a fixed FPR) and Spearman's rank correlation.
/// </summary>
[Experimental("VEIL001")]
public static class Metrics
{
    /// <summary>The fraction of <paramref name="truth"/> present in <paramref name="found"/> (1 when truth is empty).</summary>
    public static double Recall(IReadOnlyCollection<int> truth, IEnumerable<int> found)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(found);
        if (truth.Count == 0)
        {
            return 1;
        }

        var set = truth as ISet<int> ?? new HashSet<int>(truth);
        return (double)found.Distinct().Count(set.Contains) / truth.Count;
    }

    /// <summary>
    /// The adjusted Rand index of two labelings of the same items: 1 for identical partitions (up to renaming), about
    /// 0 for independent ones (Hubert and Arabie, 1985).
    /// </summary>
    public static double AdjustedRandIndex(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        (long[,] table, long[] rows, long[] columns, long n) = Contingency(a, b);
        double index = 0;
        foreach (long count in table)
        {
            index += Choose2(count);
        }

        double sumRows = rows.Sum(r => Choose2(r));
        double sumColumns = columns.Sum(c => Choose2(c));
        double expected = sumRows * sumColumns / Choose2(n);
        double maximum = (sumRows + sumColumns) / 2;
        // Both partitions trivial (all singletons or one cluster, identically): perfect agreement, as scikit-learn.
        return maximum == expected ? 1.0 : (index - expected) / (maximum - expected);
    }

    /// <summary>
    /// Mutual information of two labelings normalised by the arithmetic mean of their entropies (scikit-learn's
    /// default): 1 for identical partitions, 0 for independent ones.
    /// </summary>
    public static double NormalizedMutualInformation(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        (long[,] table, long[] rows, long[] columns, long n) = Contingency(a, b);
        double mutual = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            for (int j = 0; j < columns.Length; j++)
            {
                long count = table[i, j];
                if (count > 0)
                {
                    mutual += (double)count / n * Math.Log((double)count * n / ((double)rows[i] * columns[j]));
                }
            }
        }

        double entropyA = Entropy(rows, n);
        double entropyB = Entropy(columns, n);
        if (entropyA == 0 && entropyB == 0)
        {
            return 1;
        }

        double mean = (entropyA + entropyB) / 2;
        return mean == 0 ? 0 : Math.Max(0, mutual) / mean;
    }

    /// <summary>
    /// The area under the ROC curve for "higher score means positive": the probability that a random positive scores
    /// above a random negative, ties counting one half (Mann–Whitney).
    /// </summary>
    public static double Auc(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(negatives);
        if (positives.Count == 0 || negatives.Count == 0)
        {
            throw new ArgumentException("AUC needs at least one positive and one negative score.");
        }

        double[] all = [.. positives, .. negatives];
        double[] ranks = Ranks(all);
        double positiveRanks = 0;
        for (int i = 0; i < positives.Count; i++)
        {
            positiveRanks += ranks[i];
        }

        double p = positives.Count;
        return (positiveRanks - (p * (p + 1) / 2)) / (p * negatives.Count);
    }

    /// <summary>The largest TPR − FPR over all thresholds "score ≥ t means positive" (the membership advantage of Yeom et al.).</summary>
    public static double BestAdvantage(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        double best = 0;
        foreach ((double tpr, double fpr) in RocPoints(positives, negatives))
        {
            best = Math.Max(best, tpr - fpr);
        }

        return best;
    }

    /// <summary>The largest TPR among thresholds whose FPR is at most <paramref name="maximumFpr"/>.</summary>
    public static double TruePositiveRateAt(IReadOnlyList<double> positives, IReadOnlyList<double> negatives, double maximumFpr)
    {
        double best = 0;
        foreach ((double tpr, double fpr) in RocPoints(positives, negatives))
        {
            if (fpr <= maximumFpr + 1e-12)
            {
                best = Math.Max(best, tpr);
            }
        }

        return best;
    }

    /// <summary>The ROC curve from (0, 0) to (1, 1), thinned to at most <paramref name="maximumPoints"/> points (first and last kept).</summary>
    public static IReadOnlyList<RocPoint> Roc(IReadOnlyList<double> positives, IReadOnlyList<double> negatives, int maximumPoints = 101)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maximumPoints, 2);
        RocPoint[] all = RocPoints(positives, negatives).Select(p => new RocPoint(p.Fpr, p.Tpr)).ToArray();
        if (all.Length <= maximumPoints)
        {
            return all;
        }

        return Enumerable.Range(0, maximumPoints).Select(i => all[(int)Math.Round((double)i * (all.Length - 1) / (maximumPoints - 1))]).ToArray();
    }

    /// <summary>Spearman's rank correlation (Pearson correlation of average ranks; ties share their mean rank).</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count || x.Count < 2)
        {
            throw new ArgumentException("Spearman's correlation needs two equally long samples of at least two values.");
        }

        return Pearson(Ranks([.. x]), Ranks([.. y]));
    }

    /// <summary>Pearson's correlation (0 when either sample is constant).</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        double meanX = x.Average();
        double meanY = y.Average();
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double dx = x[i] - meanX;
            double dy = y[i] - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>1-based average ranks (ties get the mean of the ranks they span).</summary>
    internal static double[] Ranks(double[] values)
    {
        int[] order = Enumerable.Range(0, values.Length).ToArray();
        Array.Sort(order, (i, j) => values[i].CompareTo(values[j]));
        double[] ranks = new double[values.Length];
        int start = 0;
        while (start < order.Length)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }

            double rank = ((start + end) / 2.0) + 1;
            for (int t = start; t <= end; t++)
            {
                ranks[order[t]] = rank;
            }

            start = end + 1;
        }

        return ranks;
    }

    private static IEnumerable<(double Tpr, double Fpr)> RocPoints(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(negatives);
        var scored = positives.Select(s => (Score: s, Positive: true)).Concat(negatives.Select(s => (Score: s, Positive: false)))
            .OrderByDescending(p => p.Score).ToArray();
        yield return (0, 0);
        int tp = 0;
        int fp = 0;
        for (int i = 0; i < scored.Length; i++)
        {
            if (scored[i].Positive)
            {
                tp++;
            }
            else
            {
                fp++;
            }

            // Only thresholds between distinct scores are realisable.
            if (i + 1 == scored.Length || scored[i + 1].Score != scored[i].Score)
            {
                yield return ((double)tp / positives.Count, (double)fp / negatives.Count);
            }
        }
    }

    private static (long[,] Table, long[] Rows, long[] Columns, long N) Contingency(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count || a.Count == 0)
        {
            throw new ArgumentException("The two labelings must label the same, non-empty set of items.");
        }

        Dictionary<int, int> indexA = a.Distinct().Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i);
        Dictionary<int, int> indexB = b.Distinct().Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i);
        long[,] table = new long[indexA.Count, indexB.Count];
        long[] rows = new long[indexA.Count];
        long[] columns = new long[indexB.Count];
        for (int i = 0; i < a.Count; i++)
        {
            int r = indexA[a[i]];
            int c = indexB[b[i]];
            table[r, c]++;
            rows[r]++;
            columns[c]++;
        }

        return (table, rows, columns, a.Count);
    }

    private static double Choose2(long n) => n * (n - 1) / 2.0;

    private static double Entropy(long[] counts, long n) =>
        -counts.Where(c => c > 0).Sum(c => (double)c / n * Math.Log((double)c / n));
}
