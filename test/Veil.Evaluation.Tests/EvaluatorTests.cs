using Veil.Evaluation;

namespace Veil.Evaluation.Tests;

/// <summary>The whole battery on a small synthetic corpus: the plaintext row is perfect and attacks weaken as β grows.</summary>
public sealed class EvaluatorTests
{
    private static readonly Lazy<EvaluationReport> s_report = new(() => Evaluator.Run(
        Synthetic(count: 240, dimensions: 32, seed: 11),
        new EvaluationOptions
        {
            Betas = [0.5, 4, 32],
            Queries = 40,
            RecallDepths = [1, 10],
            RerankCandidates = [10, 50],
            AttackTargets = 60,
            KnownPairMultiples = [1, 4],
            AveragingCounts = [1, 16],
            PairSample = 80,
        }));

    [Fact]
    public void PlaintextRow_IsTheCeiling()
    {
        SchemeEvaluation plain = s_report.Value.Plaintext;
        Assert.All(plain.Recall, r => Assert.Equal(1.0, r.Recall));
        Assert.All(plain.Rerank, r => Assert.Equal(1.0, r.Recall));
        Assert.All(plain.KnownPairs.Where(k => k.Pairs >= 32), k => Assert.Equal(1.0, k.Top1));
        Assert.Equal(1.0, plain.Membership.Auc);
        Assert.Equal(1.0, plain.DistanceSpearman, 9);
    }

    [Fact]
    public void AttacksAndUtility_DecreaseWithBeta()
    {
        IReadOnlyList<SchemeEvaluation> rows = s_report.Value.Encrypted;
        for (int i = 1; i < rows.Count; i++)
        {
            SchemeEvaluation smaller = rows[i - 1];
            SchemeEvaluation larger = rows[i];
            Assert.True(Ridge(larger).MeanCosine < Ridge(smaller).MeanCosine, $"L1 cos at β = {larger.Beta}");
            Assert.True(Procrustes(larger).Top1 <= Procrustes(smaller).Top1, $"L2 top-1 at β = {larger.Beta}");
            Assert.True(larger.Membership.Auc < smaller.Membership.Auc, $"L6 AUC at β = {larger.Beta}");
            Assert.True(larger.DistanceSpearman < smaller.DistanceSpearman, $"L9 ρ at β = {larger.Beta}");
            Assert.True(Recall10(larger) <= Recall10(smaller), $"recall@10 at β = {larger.Beta}");
        }

        // L4 is noisy on 120 rows of 32 coordinates: compare only the extremes.
        Assert.True(rows[^1].PermutationRecovery < rows[0].PermutationRecovery, "L4");

        // β = 32: ‖λ‖ = 8 against unit vectors; re-identification is near chance (1/60).
        Assert.True(Procrustes(rows[^1]).Top1 < 0.2, $"{Procrustes(rows[^1]).Top1}");
        // β = 0.5: almost everything is recovered.
        Assert.True(Procrustes(rows[0]).Top1 > 0.9, $"{Procrustes(rows[0]).Top1}");
    }

    [Fact]
    public void Averaging_RecoversMoreWithMoreEncryptions()
    {
        SchemeEvaluation row = s_report.Value.Encrypted[1];
        Assert.True(row.Averaging[^1].MeanCosine > row.Averaging[0].MeanCosine);
    }

    [Fact]
    public void Markdown_HasAColumnPerBetaAndTheBaselines()
    {
        string markdown = ReportWriter.ToMarkdown(s_report.Value);
        Assert.Contains("| metric | random | plaintext | β = 0.5 | β = 4 | β = 32 |", markdown);
        Assert.Contains("L6 NN membership", markdown);
        Assert.Contains("## Recommendation", markdown);
        Assert.Contains("\"betas\"", ReportWriter.ToJson(s_report.Value));
    }

    [Fact]
    public void Recommend_PicksTheLargestBetaMeetingTheTargetWithinTheBudget()
    {
        SchemeEvaluation template = s_report.Value.Encrypted[0];
        SchemeEvaluation At(double beta, params (int Candidates, double Recall)[] rerank) =>
            template with { Beta = beta, Rerank = rerank.Select(r => new RerankResult(r.Candidates, r.Recall)).ToList() };
        SchemeEvaluation[] rows =
        [
            At(1, (10, 0.9), (50, 1.0), (200, 1.0)),
            At(2.5, (10, 0.6), (50, 0.97), (200, 1.0)),
            At(5, (10, 0.3), (50, 0.7), (200, 0.96)),
        ];

        Recommendation? chosen = Evaluator.Recommend(rows, new EvaluationOptions { TargetRecall = 0.95, RerankBudget = 100 });
        Recommendation? none = Evaluator.Recommend(rows, new EvaluationOptions { TargetRecall = 0.99, RerankBudget = 10 });

        Assert.Equal(new Recommendation(2.5, 50, 0.97, 0.95, 100), chosen);
        Assert.Null(none);
        Assert.Equal(5, Evaluator.Recommend(rows, new EvaluationOptions { TargetRecall = 0.95, RerankBudget = 200 })!.Beta);
    }

    private static KnownPairResult Ridge(SchemeEvaluation row) => row.KnownPairs.Last(k => k.Attack.StartsWith("L1", StringComparison.Ordinal));

    private static KnownPairResult Procrustes(SchemeEvaluation row) => row.KnownPairs.Last(k => k.Attack.StartsWith("L2", StringComparison.Ordinal));

    private static double Recall10(SchemeEvaluation row) => row.Recall.Single(r => r.Metric == DistanceMetric.L2 && r.K == 10).Recall;

    /// <summary>An anisotropic Gaussian mixture with a few high-mean "rogue" dimensions, unit-normalised (threat model §4.2).</summary>
    internal static EvaluationData Synthetic(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        const int Clusters = 4;
        float[][] centres = Enumerable.Range(0, Clusters).Select(_ => Enumerable.Range(0, dimensions).Select(j => (float)Gaussian(random) + (j < 2 ? 3f : 0f)).ToArray()).ToArray();
        double[] scales = Enumerable.Range(0, dimensions).Select(j => 0.3 + (1.5 * j / dimensions)).ToArray();
        var vectors = new float[count][];
        var labels = new string?[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % Clusters;
            labels[i] = $"c{c}";
            float[] v = Enumerable.Range(0, dimensions).Select(j => centres[c][j] + (float)(scales[j] * Gaussian(random))).ToArray();
            float norm = MathF.Sqrt(v.Sum(x => x * x));
            vectors[i] = v.Select(x => x / norm).ToArray();
        }

        return new EvaluationData(vectors, labels);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
