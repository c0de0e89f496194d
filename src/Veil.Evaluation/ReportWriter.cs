using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Veil.Evaluation;

/// <summary>Renders an <see cref="EvaluationReport"/> as a Markdown table per section, or as JSON.</summary>
[Experimental("VEIL001")]
public static class ReportWriter
{
    private const string Procrustes = "L2 Procrustes";

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Every number of the report, with the options and seed that produced it, as indented JSON.</summary>
    public static string ToJson(EvaluationReport report) => JsonSerializer.Serialize(report, s_json);

    /// <summary>The report as Markdown: utility, then attacks; one column per β, the plaintext and random references beside them.</summary>
    public static string ToMarkdown(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        EvaluationOptions o = report.Options;
        IReadOnlyList<SchemeEvaluation> betas = report.Encrypted;
        md.AppendLine("# Veil leakage and utility report");
        md.AppendLine();
        md.Append(F($"{report.Count} vectors × {report.Dimensions} dimensions; Scale-And-Perturb with throwaway secrets (scaling factor {(o.UseScalingFactor ? "on" : "off")}), seed {o.Seed}. "))
            .AppendLine(F($"\"plaintext\" runs the same code without encryption: the utility ceiling and the attacks' upper bound. \"random\" is a no-skill attacker or a random result list."));
        md.AppendLine();
        string header = "| metric | random | plaintext | " + string.Join(" | ", betas.Select(b => F($"β = {b.Beta}"))) + " |";
        string rule = "|---|---:|---:|" + string.Concat(betas.Select(_ => "---:|"));

        md.AppendLine("## Utility");
        md.AppendLine();
        md.AppendLine(header).AppendLine(rule);
        foreach (RecallResult r in report.Plaintext.Recall)
        {
            double random = report.Random.Recall.First(x => x.Metric == r.Metric && x.K == r.K).Recall;
            Row(md, $"recall@{r.K} ({r.Metric}, exact search)", random, r.Recall, betas.Select(b => b.Recall.First(x => x.Metric == r.Metric && x.K == r.K).Recall));
        }

        foreach (RerankResult r in report.Plaintext.Rerank)
        {
            double random = report.Random.RerankRecall.First(x => x.Candidates == r.Candidates).Recall;
            Row(md, $"recall@10 (L2) re-ranked, K′ = {r.Candidates}", random, r.Recall, betas.Select(b => b.Rerank.First(x => x.Candidates == r.Candidates).Recall));
        }

        ClusteringResult pc = report.Plaintext.Clustering;
        Row(md, $"k-means (k = {pc.Clusters}) ARI vs plaintext clustering¹", 0, pc.AdjustedRandIndex, betas.Select(b => b.Clustering.AdjustedRandIndex));
        Row(md, $"k-means (k = {pc.Clusters}) NMI vs plaintext clustering¹", 0, pc.NormalizedMutualInformation, betas.Select(b => b.Clustering.NormalizedMutualInformation));
        if (pc.LabelAdjustedRandIndex is not null)
        {
            Row(md, "k-means ARI vs labels", 0, pc.LabelAdjustedRandIndex.Value, betas.Select(b => b.Clustering.LabelAdjustedRandIndex ?? double.NaN));
            Row(md, "k-means NMI vs labels", 0, pc.LabelNormalizedMutualInformation!.Value, betas.Select(b => b.Clustering.LabelNormalizedMutualInformation ?? double.NaN));
        }

        md.AppendLine();
        md.AppendLine("¹ The plaintext column clusters the plaintexts twice with different seeds: k-means' own run-to-run agreement.");
        md.AppendLine();

        md.AppendLine("## Attacks");
        md.AppendLine();
        md.Append(F($"Re-identification: the recovered vector's nearest plaintext (cosine) among the {report.Random.CandidatePool} targets' plaintexts. Random mean cosine: the known plaintexts' mean as the guess. "))
            .AppendLine(F($"Oracle column: whether the attacker needs an encryption oracle (chosen plaintexts or repeated encryptions of the same vector), which key-service rate limits must prevent."));
        md.AppendLine();
        md.AppendLine("| attack | oracle " + header).AppendLine("|---|---" + rule);
        Row(md, "expected cos 1/√(1+(β/4)²)", double.NaN, 1, betas.Select(b => b.ExpectedCosine), "—", "—");
        foreach (KnownPairResult k in report.Plaintext.KnownPairs)
        {
            IEnumerable<KnownPairResult> at = betas.Select(b => b.KnownPairs.First(x => x.Attack == k.Attack && x.Pairs == k.Pairs));
            string attack = F($"{k.Attack}, N = {k.Pairs}");
            Row(md, "mean cos", report.Random.MeanCosine, k.MeanCosine, at.Select(x => x.MeanCosine), attack, "no (known pairs)");
            Row(md, "top-1 re-ID", report.Random.Top1, k.Top1, at.Select(x => x.Top1), attack, "no (known pairs)");
            Row(md, "top-10 re-ID", report.Random.Top10, k.Top10, at.Select(x => x.Top10), attack, "no (known pairs)");
        }

        foreach (AveragingResult a in report.Plaintext.Averaging)
        {
            IEnumerable<AveragingResult> at = betas.Select(b => b.Averaging.First(x => x.Encryptions == a.Encryptions));
            string attack = F($"L5 averaging k = {a.Encryptions} (Procrustes, N = {a.Pairs})");
            string oracle = a.Encryptions > 1 ? "yes (k encryptions per vector)" : "no (known pairs)";
            Row(md, "mean cos", report.Random.MeanCosine, a.MeanCosine, at.Select(x => x.MeanCosine), attack, oracle);
            Row(md, "top-1 re-ID", report.Random.Top1, a.Top1, at.Select(x => x.Top1), attack, oracle);
        }

        MembershipResult pm = report.Plaintext.Membership;
        string membership = F($"L6 NN membership ({pm.Members} members / {pm.NonMembers} non-members)");
        const string MembershipOracle = "yes (encrypts the candidate)";
        Row(md, "AUC", 0.5, pm.Auc, betas.Select(b => b.Membership.Auc), membership, MembershipOracle);
        Row(md, "advantage TPR−FPR", 0, pm.Advantage, betas.Select(b => b.Membership.Advantage), membership, MembershipOracle);
        Row(md, "TPR at 1 % FPR", 0.01, pm.TruePositiveRateAt1PercentFpr, betas.Select(b => b.Membership.TruePositiveRateAt1PercentFpr), membership, MembershipOracle);
        Row(md, "coordinates recovered", 1.0 / report.Dimensions, report.Plaintext.PermutationRecovery, betas.Select(b => b.PermutationRecovery), "L4 permutation from per-coordinate statistics²", "no (ciphertexts + public corpus)");
        Row(md, "AUC", 0.5, report.Plaintext.DuplicateAuc, betas.Select(b => b.DuplicateAuc), "L7 duplicate detection (vs nearest neighbour)", "no, if duplicates are stored; else yes");
        Row(md, "Spearman ρ", 0, report.Plaintext.DistanceSpearman, betas.Select(b => b.DistanceSpearman), "L9 distance geometry", "no (ciphertexts only)");
        md.AppendLine();
        md.AppendLine("² L4 matches the non-members' ciphertexts against the members' plaintexts as the public corpus; its plaintext column is the ceiling set by sampling two different halves.");
        md.AppendLine();

        md.AppendLine("## Recommendation");
        md.AppendLine();
        if (report.Recommendation is { } chosen && betas.FirstOrDefault(b => b.Beta == chosen.Beta) is { } row)
        {
            KnownPairResult fewest = row.KnownPairs.Where(k => k.Attack == Procrustes).MinBy(k => k.Pairs)!;
            KnownPairResult most = row.KnownPairs.Where(k => k.Attack == Procrustes).MaxBy(k => k.Pairs)!;
            AveragingResult averaged = row.Averaging.MaxBy(a => a.Encryptions)!;
            Append(md, $"The largest β whose recall@10 after re-ranking reaches {chosen.TargetRecall:F2} with at most K′ = {chosen.RerankBudget} decrypted candidates: **β = {chosen.Beta}** (K′ = {chosen.Candidates}: {chosen.Recall:F3}).");
            md.Append(F($"At that β: L2 Procrustes re-identifies {most.Top1:P0} of targets (top-1 of {report.Random.CandidatePool}) with {most.Pairs} known pairs and {fewest.Top1:P0} with {fewest.Pairs}; "))
                .Append(F($"averaging {averaged.Encryptions} encryptions (oracle) recovers cosine {averaged.MeanCosine:F3}; membership with an oracle has AUC {row.Membership.Auc:F3} and TPR {row.Membership.TruePositiveRateAt1PercentFpr:P0} at 1 % FPR; "))
                .AppendLine(F($"L4 places {row.PermutationRecovery:P0} of coordinates; duplicates are detected with AUC {row.DuplicateAuc:F3}."));
        }
        else
        {
            Append(md, $"No evaluated β reaches recall@10 {report.Options.TargetRecall:F2} with at most K′ = {report.Options.RerankBudget} re-ranked candidates.");
        }

        md.AppendLine();

        if (report.Notes.Count > 0)
        {
            md.AppendLine("## Limits of this run");
            md.AppendLine();
            foreach (string note in report.Notes)
            {
                md.Append("- ").AppendLine(note);
            }

            md.AppendLine();
        }

        string times = string.Join(", ", betas.Select(b => F($"β = {b.Beta}: {b.Seconds:F1} s")));
        Append(md, $"Time: plaintext {report.Plaintext.Seconds:F1} s; {times}.");
        return md.ToString();
    }

    private static void Row(StringBuilder md, string name, double random, double plaintext, IEnumerable<double> values, params string[] leading)
    {
        md.Append("| ");
        foreach (string column in leading)
        {
            md.Append(column).Append(" | ");
        }

        md.Append(name).Append(" | ").Append(N(random)).Append(" | ").Append(N(plaintext)).Append(" | ");
        md.AppendJoin(" | ", values.Select(N)).AppendLine(" |");
    }

    private static string N(double value) => double.IsNaN(value) ? "—" : value.ToString("F3", CultureInfo.InvariantCulture);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static void Append(StringBuilder md, FormattableString text) => md.AppendLine(F(text));
}
