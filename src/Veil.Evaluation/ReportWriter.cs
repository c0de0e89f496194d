using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Veil.Evaluation.Training;

namespace Veil.Evaluation;

/// <summary>
/// Renders an <see cref="EvaluationSeries"/> as Markdown (every number the mean over the seeds, ± the standard
/// deviation when there are several) or as JSON (every run in full, and the mean, standard deviation, minimum and
/// maximum of every number over the seeds).
/// </summary>
[Experimental("VEIL001")]
public static partial class ReportWriter
{
    private const string KnownPairs = "known pairs";
    private const string Oracle = "encryption oracle";
    private const string CiphertextsOnly = "ciphertexts only";
    private const string Measurement = "— (a measurement with every pair)";

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// The seeds, the recommendation, a summary of every number (mean, std, min, max over the seeds, keyed by its
    /// path in a run; curves are left to the runs) and every run with its options and seed, as indented JSON.
    /// </summary>
    public static string ToJson(EvaluationSeries series)
    {
        ArgumentNullException.ThrowIfNull(series);
        JsonNode[] runs = series.Runs.Select(r => JsonSerializer.SerializeToNode(r, s_json)!).ToArray();
        var values = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (JsonNode run in runs)
        {
            foreach (string section in new[] { "random", "plaintext", "encrypted", "classifiers", "sealed", "scaleCurve" })
            {
                Flatten(run[section], section, values);
            }
        }

        var summary = new JsonObject();
        foreach ((string path, List<double> v) in values)
        {
            summary[path] = new JsonObject { ["mean"] = v.Average(), ["std"] = StandardDeviation([.. v]), ["min"] = v.Min(), ["max"] = v.Max() };
        }

        var root = new JsonObject
        {
            ["seeds"] = new JsonArray(series.Runs.Select(r => (JsonNode)r.Options.Seed).ToArray()),
            ["recommendation"] = JsonSerializer.SerializeToNode(series.Recommendation, s_json),
            ["summary"] = summary,
            ["runs"] = new JsonArray(runs),
        };
        return root.ToJsonString(s_json);
    }

    /// <summary>
    /// The report as Markdown: the recommendation and the attacks at it, then the utility and attack tables (one column
    /// per β, the random and plaintext references beside them), the <paramref name="figures"/> (title, relative path)
    /// and the limits of the run.
    /// </summary>
    public static string ToMarkdown(EvaluationSeries series, IReadOnlyList<(string Title, string Path)>? figures = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        var t = new Table(series.Runs);
        EvaluationReport first = series.Runs[0];
        EvaluationOptions o = first.Options;
        var md = new StringBuilder();
        md.AppendLine("# Veil leakage and utility report");
        md.AppendLine();
        string seeds = string.Join(", ", series.Runs.Select(r => r.Options.Seed));
        Append(md, $"{first.Count} vectors × {first.Dimensions} dimensions; Scale-And-Perturb with throwaway secrets (scaling factor {(o.UseScalingFactor ? "on" : "off")}); seeds {seeds}. ");
        md.Append(series.Runs.Count > 1 ? F($"Every number is the mean over the {series.Runs.Count} seeds ± their standard deviation. ") : string.Empty)
            .AppendLine("\"plaintext\" runs the same code without encryption: the utility ceiling and the attacks' upper bound. \"random\" is a no-skill attacker or a random result list.");
        md.AppendLine();
        Recommendation(md, series, t);
        Utility(md, t);
        Attacks(md, t);
        SideBySide(md, t);
        SealedMode(md, t);
        ScaleCurveSection(md, t);
        Classifiers(md, t);
        if (figures is { Count: > 0 })
        {
            md.AppendLine("## Plots");
            md.AppendLine();
            foreach ((string title, string path) in figures)
            {
                md.Append("![").Append(title).Append("](").Append(path).AppendLine(")");
                md.AppendLine();
            }
        }

        if (first.Notes.Count > 0)
        {
            md.AppendLine("## Limits of this run");
            md.AppendLine();
            foreach (string note in first.Notes)
            {
                md.Append("- ").AppendLine(note);
            }

            md.AppendLine();
        }

        string times = string.Join(", ", first.Encrypted.Select((b, i) => F($"β = {b.Beta}: {t.Mean(r => r.Encrypted[i].Seconds):F1} s")));
        Append(md, $"Time per seed: plaintext {t.Mean(r => r.Plaintext.Seconds):F1} s; {times}.");
        return md.ToString();
    }

    private static void Recommendation(StringBuilder md, EvaluationSeries series, Table t)
    {
        md.AppendLine("## Recommendation");
        md.AppendLine();
        EvaluationOptions o = series.Runs[0].Options;
        int b = series.Recommendation is { } c ? series.Runs[0].Encrypted.ToList().FindIndex(e => e.Beta == c.Beta) : -1;
        if (series.Recommendation is not { } chosen || b < 0)
        {
            Append(md, $"No evaluated β reaches recall@10 {o.TargetRecall:F2} with at most K′ = {o.RerankBudget} re-ranked candidates.");
            md.AppendLine();
            return;
        }

        Append(md, $"The largest β whose recall@10 after re-ranking reaches {chosen.TargetRecall:F2} with at most K′ = {chosen.RerankBudget} decrypted candidates: **β = {chosen.Beta}, K′ = {chosen.Candidates}** (recall@10 {chosen.Recall:F3}). At that β:");
        md.AppendLine();
        SchemeEvaluation row = series.Runs[0].Encrypted[b];
        int pool = series.Runs[0].Random.CandidatePool;
        foreach (int k in new[] { 0, row.KnownPairs.Count - 1 })
        {
            KnownPairResult pair = row.KnownPairs[k];
            KnownPairResult other = row.KnownPairs[k + (k == 0 ? 1 : -1)];
            md.Append(F($"- {KnownPairs}, N = {pair.Pairs}: {pair.Attack} re-identifies {t.Cell(r => r.Encrypted[b].KnownPairs[k].Top1)} of the targets (top-1 of {pool}), "))
                .AppendLine(F($"{other.Attack} {t.Cell(r => r.Encrypted[b].KnownPairs[k + (k == 0 ? 1 : -1)].Top1)};"));
        }

        md.Append(F($"- {CiphertextsOnly} + a public corpus (L3): {t.Cell(r => r.Encrypted[b].Alignment.CoordinatesRecovered)} of the coordinate permutation recovered, "))
            .AppendLine(F($"top-1 re-identification {t.Cell(r => r.Encrypted[b].Alignment.Top1)} (chance {t.Cell(r => r.Random.AlignmentTop1)});"));
        AveragingResult averaged = row.Averaging[^1];
        md.Append(F($"- {Oracle}: averaging {averaged.Encryptions} encryptions (L5) recovers cosine {t.Cell(r => r.Encrypted[b].Averaging[^1].MeanCosine)}; "))
            .AppendLine(F($"membership (L6) AUC {t.Cell(r => r.Encrypted[b].Membership.Auc)}, TPR at 1 % FPR {t.Cell(r => r.Encrypted[b].Membership.TruePositiveRateAt1PercentFpr)};"));
        if (row.Probe is not null)
        {
            md.AppendLine(F($"- ciphertexts + labels (L8): probe accuracy {t.Cell(r => r.Encrypted[b].Probe!.Accuracy)} against majority {t.Cell(r => r.Encrypted[b].Probe!.Majority)}, {t.Cell(r => ProbeRatio(r, r.Encrypted[b]))} of the plaintext probe's gain;"));
        }

        md.Append(F($"- {CiphertextsOnly}: duplicates (L7) AUC {t.Cell(r => r.Encrypted[b].DuplicateAuc)}, distance Spearman ρ (L9) {t.Cell(r => r.Encrypted[b].DistanceSpearman)}, "))
            .AppendLine(F($"Gaussian MI proxy (L10) {t.Cell(r => r.Encrypted[b].Cca.MutualInformation)} nats (chance {t.Cell(r => r.Random.Cca.MutualInformation)})."));
        foreach (int m in Enumerable.Range(0, series.Runs[0].Classifiers.Count).Where(i => series.Runs[0].Classifiers[i].Beta == chosen.Beta))
        {
            md.AppendLine(F($"- the key holder's classifier ({series.Runs[0].Classifiers[m].Trainer}) trained on one-way ciphertexts: accuracy {t.Cell(r => r.Classifiers[m].Encrypted.Accuracy)} against {t.Cell(r => r.Classifiers[m].Plaintext.Accuracy)} on plaintexts; on another key's ciphertexts {t.Cell(r => r.Classifiers[m].WrongKey.Accuracy)} (majority {t.Cell(r => r.Classifiers[m].Majority.Accuracy)})."));
        }

        md.AppendLine();
    }

    private static void Classifiers(StringBuilder md, Table t)
    {
        IReadOnlyList<ClassifierUtilityResult> first = t.First.Classifiers;
        if (first.Count == 0)
        {
            return;
        }

        md.AppendLine("## Training on encrypted embeddings");
        md.AppendLine();
        Append(md, $"Classifiers (ML.NET) trained on one-way encryptions of {first[0].TrainCount} labelled rows and tested on fresh encryptions of {first[0].TestCount} held-out rows under the same key (\"encrypted\"), on encryptions under other keys (\"other key\", the mean over several other keys) and on plaintexts (\"unencrypted\"); \"plaintext\" is the same trainer on plaintexts. Accuracy, then macro-F1 ({first[0].Classes} classes).");
        md.AppendLine();
        md.AppendLine("| trainer | β | majority | plaintext | encrypted | other key | unencrypted | plaintext F1 | encrypted F1 |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < first.Count; i++)
        {
            int c = i;
            md.AppendLine(F($"| {first[c].Trainer} | {first[c].Beta} | {t.Cell(r => r.Classifiers[c].Majority.Accuracy)} | {t.Cell(r => r.Classifiers[c].Plaintext.Accuracy)} | {t.Cell(r => r.Classifiers[c].Encrypted.Accuracy)} | {t.Cell(r => r.Classifiers[c].WrongKey.Accuracy)} | {t.Cell(r => r.Classifiers[c].Unencrypted.Accuracy)} | {t.Cell(r => r.Classifiers[c].Plaintext.MacroF1)} | {t.Cell(r => r.Classifiers[c].Encrypted.MacroF1)} |"));
        }

        md.AppendLine();
    }

    private static void Utility(StringBuilder md, Table t)
    {
        md.AppendLine("## Utility");
        md.AppendLine();
        t.Header(md, string.Empty);
        SchemeEvaluation plain = t.First.Plaintext;
        for (int i = 0; i < plain.Recall.Count; i++)
        {
            int k = i;
            t.Row(md, F($"recall@{plain.Recall[k].K} ({plain.Recall[k].Metric}, exact search)"), r => r.Random.Recall[k].Recall, s => s.Recall[k].Recall);
        }

        for (int i = 0; i < plain.Rerank.Count; i++)
        {
            int k = i;
            t.Row(md, F($"recall@10 (L2) re-ranked, K′ = {plain.Rerank[k].Candidates}"), r => r.Random.RerankRecall[k].Recall, s => s.Rerank[k].Recall);
        }

        int clusters = plain.Clustering.Clusters;
        t.Row(md, F($"k-means (k = {clusters}) ARI vs plaintext clustering¹"), _ => 0, s => s.Clustering.AdjustedRandIndex);
        t.Row(md, F($"k-means (k = {clusters}) NMI vs plaintext clustering¹"), _ => 0, s => s.Clustering.NormalizedMutualInformation);
        if (plain.Clustering.LabelAdjustedRandIndex is not null)
        {
            t.Row(md, "k-means ARI vs labels", _ => 0, s => s.Clustering.LabelAdjustedRandIndex ?? double.NaN);
            t.Row(md, "k-means NMI vs labels", _ => 0, s => s.Clustering.LabelNormalizedMutualInformation ?? double.NaN);
        }

        md.AppendLine();
        md.AppendLine("¹ The plaintext column clusters the plaintexts twice with different seeds: k-means' own run-to-run agreement.");
        md.AppendLine();
    }

    private static void Attacks(StringBuilder md, Table t)
    {
        EvaluationReport first = t.First;
        md.AppendLine("## Attacks");
        md.AppendLine();
        Append(md, $"Re-identification (L1, L2, L5): the recovered vector's nearest plaintext (cosine) among the {first.Random.CandidatePool} targets' plaintexts; random mean cosine: the known plaintexts' mean as the guess. ");
        md.AppendLine("\"needs\": what the attacker must have. An encryption oracle (chosen plaintexts, or repeated encryptions of one vector) is what rate limits in a key service must prevent.");
        md.AppendLine();
        t.Header(md, "attack | needs | ");
        t.Row(md, "expected cos 1/√(1+(β/4)²)", _ => double.NaN, s => s.ExpectedCosine, "—", "—");
        SchemeEvaluation plain = first.Plaintext;
        for (int i = 0; i < plain.KnownPairs.Count; i++)
        {
            int k = i;
            string attack = F($"{plain.KnownPairs[k].Attack}, N = {plain.KnownPairs[k].Pairs}");
            t.Row(md, "mean cos", r => r.Random.MeanCosine, s => s.KnownPairs[k].MeanCosine, attack, KnownPairs);
            t.Row(md, "top-1 re-ID", r => r.Random.Top1, s => s.KnownPairs[k].Top1, attack, KnownPairs);
            t.Row(md, "top-10 re-ID", r => r.Random.Top10, s => s.KnownPairs[k].Top10, attack, KnownPairs);
        }

        AlignmentResult alignment = plain.Alignment;
        string l3 = F($"L3 ciphertext-only alignment ({alignment.Ciphertexts} stolen, public corpus {alignment.PublicCorpus}, {alignment.Overlap} shared)²");
        const string L3Needs = CiphertextsOnly + " + public corpus";
        t.Row(md, "coordinates recovered", r => 1.0 / r.Dimensions, s => s.Alignment.CoordinatesRecovered, l3, L3Needs);
        t.Row(md, "top-1 re-ID (shared rows)", r => r.Random.AlignmentTop1, s => s.Alignment.Top1, l3, L3Needs);
        t.Row(md, "mean cos (centred)", _ => 0, s => s.Alignment.MeanCosine, l3, L3Needs);
        t.Row(md, "coordinates recovered", r => 1.0 / r.Dimensions, s => s.PermutationRecovery, "L4 permutation from per-coordinate statistics³", L3Needs);

        for (int i = 0; i < plain.Averaging.Count; i++)
        {
            int k = i;
            AveragingResult a = plain.Averaging[k];
            string attack = F($"L5 averaging k = {a.Encryptions} (Procrustes, N = {a.Pairs})");
            string needs = a.Encryptions > 1 ? Oracle + " (k encryptions per vector)" : KnownPairs;
            t.Row(md, "mean cos", r => r.Random.MeanCosine, s => s.Averaging[k].MeanCosine, attack, needs);
            t.Row(md, "top-1 re-ID", r => r.Random.Top1, s => s.Averaging[k].Top1, attack, needs);
        }

        MembershipResult pm = plain.Membership;
        string membership = F($"L6 NN membership ({pm.Members} members / {pm.NonMembers} non-members)");
        const string MembershipNeeds = Oracle + " (encrypts the candidate)";
        t.Row(md, "AUC", _ => 0.5, s => s.Membership.Auc, membership, MembershipNeeds);
        t.Row(md, "advantage TPR−FPR", _ => 0, s => s.Membership.Advantage, membership, MembershipNeeds);
        t.Row(md, "TPR at 1 % FPR", _ => 0.01, s => s.Membership.TruePositiveRateAt1PercentFpr, membership, MembershipNeeds);
        t.Row(md, "AUC", _ => 0.5, s => s.DuplicateAuc, "L7 duplicate detection (vs nearest neighbour)", "duplicates stored; else " + Oracle);
        if (plain.Probe is { } probe)
        {
            string l8 = F($"L8 attribute probe ({probe.Classes} classes, {probe.Train} labelled / {probe.Test} tested)");
            const string ProbeNeeds = "ciphertexts + labels for some";
            t.Row(md, "accuracy", r => r.Plaintext.Probe!.Majority, s => s.Probe!.Accuracy, l8, ProbeNeeds);
            t.Row(md, "accuracy − majority", _ => 0, s => s.Probe!.Accuracy - s.Probe.Majority, l8, ProbeNeeds);
            t.RowWithReport(md, "ratio to plaintext probe", _ => 0, ProbeRatio, l8, ProbeNeeds);
        }

        t.Row(md, "Spearman ρ", _ => 0, s => s.DistanceSpearman, "L9 distance geometry", CiphertextsOnly);
        string l10 = F($"L10 CCA, {plain.Cca.Components} principal components per side, held out ({plain.Cca.Train} fit / {plain.Cca.Test} measured)⁴");
        t.Row(md, "Î = −½Σlog(1−ρ²) nats (proxy)", r => r.Random.Cca.MutualInformation, s => s.Cca.MutualInformation, l10, Measurement);
        t.Row(md, "largest ρ", r => r.Random.Cca.Correlations.Max(), s => s.Cca.Correlations.Max(), l10, Measurement);
        md.AppendLine();
        md.AppendLine("² L3 starts from L4's matching, then alternates mutual nearest neighbours (pseudo-pairs) and Procrustes restricted to permutations. The public corpus is a split of the data: the shared rows are the re-identification targets, the rest are distractors.");
        md.AppendLine("³ L4 matches the non-members' ciphertexts against the members' plaintexts as the public corpus; its plaintext column is the ceiling set by sampling two different halves.");
        md.AppendLine(F($"⁴ L10 is a linear-Gaussian proxy for the mutual information between plaintexts and ciphertexts, not an attack or a bound; ρ² is capped at {CanonicalCorrelation.MaximumSquaredCorrelation}, so identical data reads {-0.5 * Math.Log(1 - CanonicalCorrelation.MaximumSquaredCorrelation):F1} nats per component. Random: the plaintexts against a shuffled copy."));
        md.AppendLine();
    }

    /// <summary>L8's accuracy gain over the majority guess as a fraction of the plaintext probe's gain (NaN if the plaintext probe gains nothing).</summary>
    public static double ProbeRatio(EvaluationReport run, SchemeEvaluation scheme)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(scheme);
        double plain = run.Plaintext.Probe!.Accuracy - run.Plaintext.Probe.Majority;
        return plain > 0 ? (scheme.Probe!.Accuracy - scheme.Probe.Majority) / plain : double.NaN;
    }

    private static void Flatten(JsonNode? node, string path, Dictionary<string, List<double>> values)
    {
        switch (node)
        {
            case JsonObject o:
                // Curves (ROC points, per-component ρ) stay in the runs; the summary is of single numbers.
                foreach ((string key, JsonNode? child) in o.Where(p => p.Key is not ("roc" or "correlations")))
                {
                    Flatten(child, path + "." + key, values);
                }

                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    Flatten(a[i], F($"{path}[{i}]"), values);
                }

                break;
            case JsonValue v when v.TryGetValue(out double number):
                if (!values.TryGetValue(path, out List<double>? list))
                {
                    values[path] = list = [];
                }

                list.Add(number);
                break;
            default:
                break;
        }
    }

    private static double StandardDeviation(double[] values)
    {
        if (values.Length < 2)
        {
            return 0;
        }

        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static void Append(StringBuilder md, FormattableString text) => md.AppendLine(F(text));

    /// <summary>Table rows over the runs: each cell is a number's mean over the seeds, ± its standard deviation when there are several.</summary>
    private sealed class Table(IReadOnlyList<EvaluationReport> runs)
    {
        public EvaluationReport First => runs[0];

        public double Mean(Func<EvaluationReport, double> value) => runs.Average(value);

        public string Cell(Func<EvaluationReport, double> value)
        {
            double[] v = runs.Select(value).ToArray();
            if (v.Any(double.IsNaN))
            {
                return "—";
            }

            string mean = v.Average().ToString("F3", CultureInfo.InvariantCulture);
            return v.Length > 1 ? mean + " ± " + StandardDeviation(v).ToString("F3", CultureInfo.InvariantCulture) : mean;
        }

        public void Header(StringBuilder md, string leading)
        {
            IEnumerable<string> betas = First.Encrypted.Select(b => F($"β = {b.Beta}"));
            md.Append("| ").Append(leading).Append("metric | random | plaintext | ").AppendJoin(" | ", betas).AppendLine(" |");
            md.Append("|---|").Append(string.Concat(Enumerable.Repeat("---|", leading.Count(ch => ch == '|'))))
                .Append("---:|---:|").AppendLine(string.Concat(First.Encrypted.Select(_ => "---:|")));
        }

        public void Row(StringBuilder md, string name, Func<EvaluationReport, double> random, Func<SchemeEvaluation, double> value, params string[] leading) =>
            RowWithReport(md, name, random, (_, s) => value(s), leading);

        public void RowWithReport(StringBuilder md, string name, Func<EvaluationReport, double> random, Func<EvaluationReport, SchemeEvaluation, double> value, params string[] leading)
        {
            md.Append("| ");
            foreach (string column in leading)
            {
                md.Append(column).Append(" | ");
            }

            md.Append(name).Append(" | ").Append(Cell(random)).Append(" | ").Append(Cell(r => value(r, r.Plaintext))).Append(" | ");
            md.AppendJoin(" | ", First.Encrypted.Select((_, b) => Cell(r => value(r, r.Encrypted[b])))).AppendLine(" |");
        }
    }
}
