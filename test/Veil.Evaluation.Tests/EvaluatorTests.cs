using Veil.Evaluation;

namespace Veil.Evaluation.Tests;

/// <summary>The whole battery on a small synthetic corpus: the plaintext row is perfect and attacks weaken as β grows.</summary>
public sealed class EvaluatorTests
{
    private static readonly Lazy<EvaluationReport> s_report = new(() => Evaluator.Run(
        SyntheticData.Generate(count: 240, dimensions: 32, seed: 11),
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
    public void IdentityEncryption_L3L8L10_SucceedFully()
    {
        SchemeEvaluation plain = s_report.Value.Plaintext;
        Assert.Equal(1.0, plain.Alignment.CoordinatesRecovered);
        Assert.Equal(1.0, plain.Alignment.Top1);
        Assert.True(plain.Probe!.Accuracy > 0.95, $"L8 accuracy {plain.Probe.Accuracy}");
        Assert.Equal(0.25, plain.Probe.Majority, 1);

        // Every held-out canonical correlation is 1: the capped proxy, 6.9 nats per component.
        Assert.All(plain.Cca.Correlations, r => Assert.Equal(1.0, r, 6));
        Assert.Equal(plain.Cca.Components * 0.5 * Math.Log(1e6), plain.Cca.MutualInformation, 3);
    }

    [Fact]
    public void HugeBeta_L3L8L10_FallToTheirBaselines()
    {
        EvaluationReport report = s_report.Value;
        SchemeEvaluation huge = report.Encrypted[^1];
        Assert.True(huge.Alignment.Top1 < 5 * report.Random.AlignmentTop1 + 0.05, $"L3 top-1 {huge.Alignment.Top1}");
        Assert.True(huge.Alignment.CoordinatesRecovered < 0.25, $"L3 coordinates {huge.Alignment.CoordinatesRecovered}");
        Assert.True(huge.Probe!.Accuracy - huge.Probe.Majority < 0.15, $"L8 {huge.Probe.Accuracy} vs majority {huge.Probe.Majority}");
        Assert.True(huge.Cca.MutualInformation < 1, $"L10 {huge.Cca.MutualInformation} nats");
        Assert.True(report.Random.Cca.MutualInformation < 1, $"L10 chance {report.Random.Cca.MutualInformation} nats");

        // And they decrease from the smallest β to the largest.
        SchemeEvaluation small = report.Encrypted[0];
        Assert.True(small.Probe!.Accuracy > huge.Probe.Accuracy);
        Assert.True(small.Cca.MutualInformation > 10 * huge.Cca.MutualInformation);
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
        string markdown = ReportWriter.ToMarkdown(new EvaluationSeries([s_report.Value], s_report.Value.Recommendation));
        Assert.Contains("| metric | random | plaintext | β = 0.5 | β = 4 | β = 32 |", markdown);
        Assert.Contains("L6 NN membership", markdown);
        Assert.Contains("L3 ciphertext-only alignment", markdown);
        Assert.Contains("L8 attribute probe", markdown);
        Assert.Contains("L10 CCA", markdown);
        Assert.Contains("## Recommendation", markdown);
        Assert.DoesNotContain(" ± ", markdown);
    }

    [Fact]
    public void SeveralSeeds_SummariseEveryNumberAndDiffer()
    {
        EvaluationData data = SyntheticData.Generate(count: 120, dimensions: 16, seed: 5);
        var options = new EvaluationOptions { Betas = [2], Queries = 20, RecallDepths = [10], RerankCandidates = [10, 40], AttackTargets = 30, KnownPairMultiples = [2], AveragingCounts = [1], PairSample = 40 };

        EvaluationSeries series = Evaluator.Run(data, options, [3, 4, 5]);

        Assert.Equal([3, 4, 5], series.Runs.Select(r => r.Options.Seed));
        Assert.NotEqual(series.Runs[0].Encrypted[0].Membership.Auc, series.Runs[1].Encrypted[0].Membership.Auc);
        using var json = System.Text.Json.JsonDocument.Parse(ReportWriter.ToJson(series));
        System.Text.Json.JsonElement auc = json.RootElement.GetProperty("summary").GetProperty("encrypted[0].membership.auc");
        double[] values = series.Runs.Select(r => r.Encrypted[0].Membership.Auc).ToArray();
        Assert.Equal(values.Average(), auc.GetProperty("mean").GetDouble(), 12);
        Assert.Equal(values.Min(), auc.GetProperty("min").GetDouble(), 12);
        Assert.Equal(values.Max(), auc.GetProperty("max").GetDouble(), 12);
        Assert.Equal(3, json.RootElement.GetProperty("runs").GetArrayLength());
        Assert.Contains(" ± ", ReportWriter.ToMarkdown(series));
    }

    [Fact]
    public void Classifiers_WhenAsked_TrainPerBetaAndAppearInBothReports()
    {
        EvaluationData data = SyntheticData.Generate(count: 160, dimensions: 16, seed: 9);
        var options = new EvaluationOptions { Betas = [0.25, 400], Queries = 20, RecallDepths = [10], RerankCandidates = [10, 40], AttackTargets = 30, KnownPairMultiples = [2], AveragingCounts = [1], PairSample = 40, Classifiers = [Training.ClassifierTrainer.LogisticRegression] };

        EvaluationSeries series = Evaluator.Run(data, options, [1, 2]);

        Assert.All(series.Runs, r => Assert.Equal([0.25, 400], r.Classifiers.Select(c => c.Beta)));
        Training.ClassifierUtilityResult small = series.Runs[0].Classifiers[0], huge = series.Runs[0].Classifiers[1];
        Assert.True(small.Encrypted.Accuracy > huge.Encrypted.Accuracy, $"{small.Encrypted.Accuracy} vs {huge.Encrypted.Accuracy}");
        Assert.True(small.WrongKey.Accuracy < small.Encrypted.Accuracy - 0.2, $"{small.WrongKey.Accuracy} vs {small.Encrypted.Accuracy}");
        string markdown = ReportWriter.ToMarkdown(series);
        Assert.Contains("## Training on encrypted embeddings", markdown, StringComparison.Ordinal);
        Assert.Contains("| LogisticRegression | 400 |", markdown, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(ReportWriter.ToJson(series));
        double mean = json.RootElement.GetProperty("summary").GetProperty("classifiers[0].encrypted.accuracy").GetProperty("mean").GetDouble();
        Assert.Equal(series.Runs.Average(r => r.Classifiers[0].Encrypted.Accuracy), mean, 12);
    }

    [Fact]
    public void Classifiers_WhenDataHasNoLabels_AreLeftOutWithANote()
    {
        EvaluationData data = SyntheticData.Generate(count: 120, dimensions: 16, seed: 5) with { Labels = null };
        var options = new EvaluationOptions { Betas = [2], Queries = 20, RecallDepths = [10], RerankCandidates = [10, 40], AttackTargets = 30, KnownPairMultiples = [2], AveragingCounts = [1], PairSample = 40, Classifiers = [Training.ClassifierTrainer.LogisticRegression] };

        EvaluationReport report = Evaluator.Run(data, options);

        Assert.Empty(report.Classifiers);
        Assert.Contains(report.Notes, n => n.Contains("fewer than two labels", StringComparison.Ordinal));
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
}
