using Veil.Evaluation;

namespace Veil.Evaluation.Tests;

/// <summary>The metrics on constructed cases whose answers were computed by hand.</summary>
public sealed class MetricsTests
{
    [Fact]
    public void Recall_CountsTheTruthFound()
    {
        Assert.Equal(1.0, Metrics.Recall([1, 2, 3], [3, 2, 1]));
        Assert.Equal(2.0 / 3, Metrics.Recall([1, 2, 3], [1, 3, 9]), 12);
        Assert.Equal(0.0, Metrics.Recall([1, 2], [7, 8]));
    }

    [Fact]
    public void AdjustedRandIndex_IdenticalUpToRenaming_Is1()
    {
        Assert.Equal(1.0, Metrics.AdjustedRandIndex([0, 0, 1, 1, 2, 2], [5, 5, 9, 9, 7, 7]), 12);
    }

    [Fact]
    public void AdjustedRandIndex_HandComputedCase()
    {
        // a = [0,0,0,1,1,1], b = [0,0,1,1,2,2]: contingency rows {2,1,0},{0,1,2}; Σ C(n_ij,2) = 2;
        // Σ C(a_i,2) = 6, Σ C(b_j,2) = 3, C(6,2) = 15: expected 18/15 = 1.2, max 4.5, ARI = 0.8/3.3 = 0.242424…
        Assert.Equal(0.8 / 3.3, Metrics.AdjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]), 12);
    }

    [Fact]
    public void AdjustedRandIndex_RandomLabels_IsNearZero()
    {
        var random = new Random(1);
        int[] a = Enumerable.Range(0, 5000).Select(_ => random.Next(5)).ToArray();
        int[] b = Enumerable.Range(0, 5000).Select(_ => random.Next(5)).ToArray();
        Assert.InRange(Metrics.AdjustedRandIndex(a, b), -0.01, 0.01);
        Assert.InRange(Metrics.NormalizedMutualInformation(a, b), 0, 0.01);
    }

    [Fact]
    public void NormalizedMutualInformation_HandComputedCases()
    {
        Assert.Equal(1.0, Metrics.NormalizedMutualInformation([0, 0, 1, 1], [1, 1, 0, 0]), 12);
        // Independent: a splits {0,1}|{2,3}, b splits {0,2}|{1,3}: I = 0.
        Assert.Equal(0.0, Metrics.NormalizedMutualInformation([0, 0, 1, 1], [0, 1, 0, 1]), 12);
        // a = [0,0,1,1], b = [0,0,0,1]: H(a) = ln 2, H(b) = −(¾ln¾ + ¼ln¼), I = H(b) − H(b|a) = H(b) − ½ln2.
        double ha = Math.Log(2);
        double hb = -((0.75 * Math.Log(0.75)) + (0.25 * Math.Log(0.25)));
        double mutual = hb - (0.5 * Math.Log(2));
        Assert.Equal(mutual / ((ha + hb) / 2), Metrics.NormalizedMutualInformation([0, 0, 1, 1], [0, 0, 0, 1]), 12);
    }

    [Fact]
    public void Auc_HandComputedCases()
    {
        Assert.Equal(1.0, Metrics.Auc([3, 4], [1, 2]));
        Assert.Equal(0.0, Metrics.Auc([1, 2], [3, 4]));
        // Pairs (p, n): (2,1) win, (2,3) loss, (4,1) win, (4,3) win → 3/4.
        Assert.Equal(0.75, Metrics.Auc([2, 4], [1, 3]));
        // Ties count one half.
        Assert.Equal(0.5, Metrics.Auc([1, 1], [1, 1]));
    }

    [Fact]
    public void Advantage_AndTprAtFpr_HandComputedCase()
    {
        double[] positives = [0.9, 0.8, 0.4];
        double[] negatives = [0.7, 0.3, 0.2, 0.1];
        // Thresholds: ≥0.8 gives TPR 2/3 at FPR 0; ≥0.4 gives TPR 1 at FPR 1/4.
        Assert.Equal(0.75, Metrics.BestAdvantage(positives, negatives), 12);
        Assert.Equal(2.0 / 3, Metrics.TruePositiveRateAt(positives, negatives, 0.01), 12);
        Assert.Equal(1.0, Metrics.TruePositiveRateAt(positives, negatives, 0.25), 12);
    }

    [Fact]
    public void Spearman_HandComputedCases()
    {
        Assert.Equal(1.0, Metrics.Spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 12);
        Assert.Equal(-1.0, Metrics.Spearman([1, 2, 3, 4], [4, 3, 2, 1]), 12);
        // Ranks x = 1..5, y = [2,1,4,3,5]: Σd² = 4, ρ = 1 − 6·4/(5·24) = 0.8.
        Assert.Equal(0.8, Metrics.Spearman([1, 2, 3, 4, 5], [20, 10, 40, 30, 50]), 12);
        // Ties share ranks: [1,1,2] → [1.5,1.5,3].
        Assert.Equal([1.5, 1.5, 3], Metrics.Ranks([1, 1, 2]));
    }
}
