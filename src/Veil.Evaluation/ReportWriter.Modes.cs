using System.Text;

namespace Veil.Evaluation;

/// <summary>The sections comparing the three choices: plaintext, DCPE per β (with L11 and the scale curve) and sealed.</summary>
public static partial class ReportWriter
{
    private const string NoVector = "n/a: the store holds no vector";

    private static void SideBySide(StringBuilder md, Table t)
    {
        EvaluationReport first = t.First;
        if (first.Sealed is not { } sealedMode)
        {
            return;
        }

        int budget = first.Plaintext.Rerank.Select(r => r.Candidates).Where(k => k <= sealedMode.Candidates).DefaultIfEmpty(first.Plaintext.Rerank[0].Candidates).Max();
        int rerank = first.Plaintext.Rerank.ToList().FindIndex(r => r.Candidates == budget);
        int sealedRecall = sealedMode.Recall.ToList().FindIndex(r => r.Candidates == sealedMode.Candidates);
        md.AppendLine("## The three choices side by side");
        md.AppendLine();
        Append(md, $"Plaintext, DCPE (Scale-And-Perturb) per β, and the sealed mode (AES-256-GCM rows, HNSW index held by the key holder, K′ = {sealedMode.Candidates} rows fetched by key per query). \"n/a\" says why an attack has nothing to work on.");
        md.AppendLine();
        md.Append("| | needs | plaintext | ").AppendJoin(" | ", first.Encrypted.Select(b => F($"β = {b.Beta}"))).AppendLine(" | sealed |");
        md.Append("|---|---|---:|").Append(string.Concat(first.Encrypted.Select(_ => "---:|"))).AppendLine("---:|");
        string sealedCell = sealedRecall >= 0 ? t.Cell(r => r.Sealed!.Recall[sealedRecall].Recall) : "—";
        Side(md, t, F($"recall@10, exact ranking of K′ = {budget} fetched rows"), "—", r => r.Plaintext.Rerank[rerank].Recall, (r, b) => r.Encrypted[b].Rerank[rerank].Recall, sealedCell);
        KnownPairResult last = first.Plaintext.KnownPairs[^1];
        Side(md, t, F($"L2 Procrustes top-1 re-ID, N = {last.Pairs}"), KnownPairs, r => r.Plaintext.KnownPairs[^1].Top1, (r, b) => r.Encrypted[b].KnownPairs[^1].Top1, NoVector);
        Side(md, t, "L3 coordinates recovered (1 000-row default)", CiphertextsOnly + " + public corpus", r => r.Plaintext.Alignment.CoordinatesRecovered, (r, b) => r.Encrypted[b].Alignment.CoordinatesRecovered, NoVector);
        if (first.ScaleCurve is { Count: > 0 } curve)
        {
            int stolen = curve.Max(p => p.Stolen);
            foreach (KeyTransformKind kind in ScaleCurve.Transforms)
            {
                KeyTransformKind k = kind;
                Side(md, t, F($"L11 cos / key-known cos, {stolen} stolen, {Name(k)}"), CiphertextsOnly + " + public corpus", _ => double.NaN, (r, b) => CurveRatio(r, r.Encrypted[b].Beta, k, stolen), NoVector);
            }
        }

        Side(md, t, F($"L5 averaging k = {first.Plaintext.Averaging[^1].Encryptions}, mean cos"), Oracle, r => r.Plaintext.Averaging[^1].MeanCosine, (r, b) => r.Encrypted[b].Averaging[^1].MeanCosine, "n/a: AES-GCM with random nonces, no noise to average");
        Side(md, t, "L6 membership AUC (vector oracle)", Oracle, r => r.Plaintext.Membership.Auc, (r, b) => r.Encrypted[b].Membership.Auc, "see S3");
        Side(md, t, "L7 duplicates AUC", "duplicates stored", r => r.Plaintext.DuplicateAuc, (r, b) => r.Encrypted[b].DuplicateAuc, "n/a: equal vectors seal to unrelated blobs");
        if (first.Plaintext.Probe is not null)
        {
            Side(md, t, "L8 probe, share of the plaintext probe's gain", "labels for some rows", r => 1, (r, b) => ProbeRatio(r, r.Encrypted[b]), "see S2");
        }

        Side(md, t, "L9 distance Spearman ρ", CiphertextsOnly, r => r.Plaintext.DistanceSpearman, (r, b) => r.Encrypted[b].DistanceSpearman, NoVector);
        Side(md, t, "L10 Gaussian MI proxy, nats", "—", r => r.Plaintext.Cca.MutualInformation, (r, b) => r.Encrypted[b].Cca.MutualInformation, NoVector);
        Side(md, t, "S1 neighbourhood recall from co-access", "observed fetches", _ => double.NaN, (_, _) => double.NaN, F($"{t.Cell(r => r.Sealed!.Neighbourhoods.Recall)} (chance {t.Cell(r => r.Sealed!.Neighbourhoods.Chance)})"));
        if (sealedMode.CoAccessLabels is not null)
        {
            Side(md, t, "S1 topic named from co-access, half the labels known", "observed fetches + labels", _ => double.NaN, (_, _) => double.NaN, F($"{t.Cell(r => r.Sealed!.CoAccessLabels!.Accuracy)} (majority {t.Cell(r => r.Sealed!.CoAccessLabels!.Majority)})"));
            Side(md, t, "S2 probe on access count and size, accuracy", "observed fetches + labels", _ => double.NaN, (_, _) => double.NaN, F($"{t.Cell(r => r.Sealed!.AccessProbe!.Accuracy)} (majority {t.Cell(r => r.Sealed!.AccessProbe!.Majority)})"));
        }

        Side(md, t, "S3 membership AUC (query oracle, best statistic)", "query oracle", _ => double.NaN, (_, _) => double.NaN, t.Cell(r => Math.Max(r.Sealed!.Membership.StabilityAuc, r.Sealed.Membership.PopularityAuc)));
        md.AppendLine();
    }

    private static void Side(StringBuilder md, Table t, string name, string needs, Func<EvaluationReport, double> plaintext, Func<EvaluationReport, int, double> beta, string sealedCell)
    {
        md.Append("| ").Append(name).Append(" | ").Append(needs).Append(" | ").Append(t.Cell(plaintext)).Append(" | ");
        md.AppendJoin(" | ", t.First.Encrypted.Select((_, b) => t.Cell(r => beta(r, b)))).Append(" | ").Append(sealedCell).AppendLine(" |");
    }

    private static void SealedMode(StringBuilder md, Table t)
    {
        if (t.First.Sealed is not { } s)
        {
            return;
        }

        md.AppendLine("## Sealed mode: what the store sees");
        md.AppendLine();
        Append(md, $"{s.Rows} rows sealed (every sealed vector {s.SealedBytes} bytes); the key holder's HNSW index (int8, M 16, ef 128) picks K′ keys, the store returns those rows, the key holder ranks them exactly. The attacker sees the K′ = {s.Candidates} keys of each of {s.WorkloadQueries} queries (the held-out queries, then stored rows used as queries: kind to the attacker).");
        md.AppendLine();
        md.AppendLine("| setting | recall@10 | rows fetched / query | share of the store |");
        md.AppendLine("|---|---:|---:|---:|");
        for (int i = 0; i < s.Recall.Count; i++)
        {
            int k = i;
            md.AppendLine(F($"| K′ = {s.Recall[k].Candidates} | {t.Cell(r => r.Sealed!.Recall[k].Recall)} | {s.Recall[k].Candidates} | {t.Cell(r => r.Sealed!.Recall[k].FetchedFraction)} |"));
        }

        md.AppendLine();
        md.AppendLine("| attack | needs | result | no-skill |");
        md.AppendLine("|---|---|---:|---:|");
        md.AppendLine(F($"| S1 rebuild neighbourhoods: a row's 10 most co-fetched rows vs its true 10 nearest ({s.Neighbourhoods.Rows} rows) | observed fetches | {t.Cell(r => r.Sealed!.Neighbourhoods.Recall)} | {t.Cell(r => r.Sealed!.Neighbourhoods.Chance)} |"));
        if (s.CommunityNaming is { } c)
        {
            md.AppendLine(F($"| S1 name topics, no stored label: co-access communities matched by size to a labelled public corpus's clusters ({c.Tested} rows) | observed fetches + public corpus | {t.Cell(r => r.Sealed!.CommunityNaming!.Accuracy)} | {t.Cell(r => r.Sealed!.CommunityNaming!.Majority)} |"));
        }

        if (s.CoAccessLabels is { } l)
        {
            md.AppendLine(F($"| S1 name topics from the labelled rows fetched together ({l.Labelled} labelled / {l.Tested} named) | observed fetches + labels | {t.Cell(r => r.Sealed!.CoAccessLabels!.Accuracy)} | {t.Cell(r => r.Sealed!.CoAccessLabels!.Majority)} |"));
            md.AppendLine(F($"| S2 attribute probe on access count and sealed size ({s.AccessProbe!.Labelled} labelled / {s.AccessProbe.Tested} tested) | observed fetches + labels | {t.Cell(r => r.Sealed!.AccessProbe!.Accuracy)} | {t.Cell(r => r.Sealed!.AccessProbe!.Majority)} |"));
        }

        md.AppendLine(F($"| S3 membership, keys fetched for the candidate and a perturbed copy (Jaccard), AUC ({s.Membership.Members} / {s.Membership.NonMembers}) | query oracle | {t.Cell(r => r.Sealed!.Membership.StabilityAuc)} | 0.500 |"));
        md.AppendLine(F($"| S3 membership, background popularity of the keys fetched for the candidate, AUC | query oracle + observed fetches | {t.Cell(r => r.Sealed!.Membership.PopularityAuc)} | 0.500 |"));
        md.AppendLine();
        md.AppendLine("Not applicable to the sealed store, because it holds no coordinate, distance or similarity: L1, L2 (no ciphertext vector to regress on), L3, L4, L11 (nothing to align), L5 (AES-GCM has no noise to average), L7 (equal vectors seal to unrelated blobs under random nonces), L9, L10 (no geometry to correlate). S3's AUCs are the better orientation of each statistic (optimistic for the attacker).");
        md.AppendLine();
    }

    private static void ScaleCurveSection(StringBuilder md, Table t)
    {
        if (t.First.ScaleCurve is not { Count: > 0 } curve)
        {
            return;
        }

        md.AppendLine("## L11 and the scale curve");
        md.AppendLine();
        Append(md, $"L3 (coordinate statistics, then mutual-nearest-neighbour Procrustes over permutations) and L11 (covariance eigenvectors matched by rank with signs from third moments, then mutual-nearest-neighbour Procrustes over orthogonal maps) against the permutation key transform, against a dense random rotation before Scale-And-Perturb (evaluation only, not a Veil or Alloy transform) and against Veil's opt-in structured rotation (keyed signs, block Walsh–Hadamard and permutations, three rounds; not Alloy-compatible). The public corpus ({curve[0].PublicCorpus} rows) shares no row with the stolen ones. Cosine: recovered vs true vector, both centred; key-known: the same with the key's own linear map. Coordinates: chance 1/d. L3 searches permutations only, so it is not run against the dense rotation; against the structured rotation (whose last factor is a permutation) it is, and its cosine says whether coordinate statistics still find anything. Each refinement round pairs a random sample of at most 2 000 rows per side; at most 15 rounds.");
        md.AppendLine();
        md.Append("| transform | stolen | metric | ").AppendJoin(" | ", t.First.Encrypted.Select(b => F($"β = {b.Beta}"))).AppendLine(" |");
        md.Append("|---|---:|---|").AppendLine(string.Concat(t.First.Encrypted.Select(_ => "---:|")));
        foreach (KeyTransformKind kind in ScaleCurve.Transforms)
        {
            foreach (int stolen in curve.Where(p => p.Transform == kind).Select(p => p.Stolen).Distinct().Order())
            {
                void Row(string metric, Func<ScaleCurvePoint, double> value) =>
                    md.Append(F($"| {Name(kind)} | {stolen} | {metric} | "))
                        .AppendJoin(" | ", t.First.Encrypted.Select(b => t.Cell(r => Point(r, b.Beta, kind, stolen) is { } p ? value(p) : double.NaN)))
                        .AppendLine(" |");
                Row("key-known cos", p => p.KeyKnownCosine);
                if (kind == KeyTransformKind.Permutation)
                {
                    Row("L3 coordinates", p => p.L3Coordinates ?? double.NaN);
                }

                if (kind != KeyTransformKind.DenseRotation)
                {
                    Row("L3 cos", p => p.L3Cosine ?? double.NaN);
                }

                if (kind == KeyTransformKind.Permutation)
                {
                    Row("L11 coordinates", p => p.L11Coordinates ?? double.NaN);
                }

                Row("L11 cos", p => p.L11Cosine);
            }
        }

        md.AppendLine();
        string seconds = string.Join(", ", curve.GroupBy(p => p.Stolen).Select(g => F($"{g.Key} stolen: {g.Average(p => p.Seconds):F1} s")));
        Append(md, $"Mean time per point (L3 and L11 together): {seconds}.");
        md.AppendLine();
    }

    private static ScaleCurvePoint? Point(EvaluationReport run, double? beta, KeyTransformKind kind, int stolen) =>
        run.ScaleCurve?.FirstOrDefault(p => p.Beta == beta && p.Transform == kind && p.Stolen == stolen);

    private static double CurveRatio(EvaluationReport run, double? beta, KeyTransformKind kind, int stolen) =>
        Point(run, beta, kind, stolen) is { } p && p.KeyKnownCosine > 0 ? p.L11Cosine / p.KeyKnownCosine : double.NaN;

    private static string Name(KeyTransformKind kind) => kind switch
    {
        KeyTransformKind.Permutation => "permutation",
        KeyTransformKind.DenseRotation => "dense rotation",
        _ => "structured rotation",
    };
}
