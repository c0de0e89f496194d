using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

using Veil.Evaluation.Training;

namespace Veil.Evaluation;

/// <summary>
/// Runs the utility metrics and the attack battery of the threat model (§4–5) on the user's vectors, once without
/// encryption (the ceiling / the attacks' upper bound) and once per β, with throwaway secrets derived from the seed.
/// </summary>
[Experimental("VEIL001")]
public static class Evaluator
{
    private const string Ridge = "L1 ridge";
    private const string Procrustes = "L2 Procrustes";
    private const int RerankDepth = 10;

    /// <summary>
    /// Evaluates <paramref name="data"/> once per seed (the seed of <paramref name="options"/> is replaced by each);
    /// the recommendation follows the re-ranked recall averaged over the seeds. <paramref name="progress"/> hears one
    /// line per step.
    /// </summary>
    public static EvaluationSeries Run(EvaluationData data, EvaluationOptions options, IReadOnlyList<int> seeds, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count == 0 || seeds.Distinct().Count() != seeds.Count)
        {
            throw new ArgumentException("Give at least one seed, each once.", nameof(seeds));
        }

        var runs = new List<EvaluationReport>();
        // Per seed: the plaintext baseline and each β, then each classifier's plaintext model and each β.
        int perSeed = ((options.Betas.Count + 1) * (1 + options.Classifiers.Count)) + (options.Sealed ? 1 : 0)
            + (options.Betas.Count * ScaleCurve.Transforms.Count * ScaleCurve.Sizes(data.Vectors.Count, options.ScaleCurveSizes).Length);
        int steps = seeds.Count * perSeed;
        foreach (int seed in seeds)
        {
            var step = new Steps(progress, $"seed {seed}: ", steps, runs.Count * perSeed);
            runs.Add(Run(data, options with { Seed = seed }, step, cancellationToken));
        }

        List<SchemeEvaluation> averaged = runs[0].Encrypted.Select((row, b) => row with
        {
            Rerank = row.Rerank.Select((r, k) => r with { Recall = runs.Average(x => x.Encrypted[b].Rerank[k].Recall) }).ToList(),
        }).ToList();
        return new EvaluationSeries(runs, Recommend(averaged, options));
    }

    /// <summary>Evaluates <paramref name="data"/> with the seed of <paramref name="options"/>; <paramref name="progress"/> hears one line per step.</summary>
    public static EvaluationReport Run(EvaluationData data, EvaluationOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var plan = Plan.Create(data, options);
        progress?.Report($"{plan.Count} vectors × {plan.Dimensions}; plaintext baseline…");
        SchemeEvaluation plaintext;
        using (var identity = new IdentityTransform())
        {
            plaintext = RunScheme(plan, identity, beta: null, cancellationToken);
        }

        // Chance for L10: the plaintexts against an independent reordering of themselves.
        float[][] shuffled = plan.Vectors.ToArray();
        new Random(plan.Seed + 7).Shuffle(shuffled);
        RandomBaselines random = plan.RandomBaselines(Cca(plan, shuffled));

        var encrypted = new List<SchemeEvaluation>();
        for (int b = 0; b < options.Betas.Count; b++)
        {
            double beta = options.Betas[b];
            progress?.Report($"β = {beta}…");
            using var transform = new ScaleAndPerturbTransform((float)beta, options.UseScalingFactor, options.Seed + 1000 + b);
            encrypted.Add(RunScheme(plan, transform, beta, cancellationToken));
        }

        SealedEvaluation? sealedMode = null;
        if (options.Sealed)
        {
            progress?.Report("sealed mode (key-holder index) and S1–S3…");
            sealedMode = SealedAccessAttacks.Run(
                plan.Select(plan.Database),
                plan.Select(plan.Queries),
                plan.LabelIds is { } labels ? plan.Database.Select(i => labels[i]).ToArray() : null,
                options.SealedCandidateSweep,
                options.SealedCandidates,
                options.SealedWorkload,
                plan.Seed);
        }

        IReadOnlyList<ScaleCurvePoint> curve = ScaleCurve.Run(plan.Vectors, options.Betas, options.ScaleCurveSizes, plan.Seed, options.UseScalingFactor, progress: progress, cancellationToken: cancellationToken);
        int[] skipped = options.ScaleCurveSizes.Except(ScaleCurve.Sizes(plan.Count, options.ScaleCurveSizes)).ToArray();
        if (skipped.Length > 0)
        {
            plan.Notes.Add($"Scale curve: {string.Join(", ", skipped)} stolen rows left out (the data holds {plan.Count} rows; the public corpus takes min(n/2, {ScaleCurve.MaximumPublicRows}) of them and shares none with the stolen rows).");
        }

        IReadOnlyList<ClassifierUtilityResult> classifiers = Classifiers(data, options, plan.Notes, progress);
        return new EvaluationReport(plan.Count, plan.Dimensions, options, random, plaintext, encrypted, Recommend(encrypted, options), plan.Notes, classifiers, sealedMode, curve);
    }

    /// <summary>The options' trainers on one-way encryptions at every β, when the data has two labels or more.</summary>
    private static IReadOnlyList<ClassifierUtilityResult> Classifiers(EvaluationData data, EvaluationOptions options, List<string> notes, IProgress<string>? progress)
    {
        if (options.Classifiers.Count == 0)
        {
            return [];
        }

        if (data.Labels is null || data.Labels.Where(l => l is not null).Distinct(StringComparer.Ordinal).Count() < 2)
        {
            notes.Add("Classifiers on encrypted embeddings: left out, the data has fewer than two labels.");
            return [];
        }

        try
        {
            return ClassifierUtility.Sweep(data, options.Betas, options.Classifiers, options.Seed, new ClassifierUtilityOptions { UseScalingFactor = options.UseScalingFactor }, progress);
        }
        catch (ArgumentException e)
        {
            // Labels too sparse to hold rows out (e.g. every label unique): the rest of the report stands.
            notes.Add($"Classifiers on encrypted embeddings: left out, {e.Message}");
            return [];
        }
    }

    /// <summary>The largest β whose re-ranked recall@10 reaches the target with K′ within the budget.</summary>
    internal static Recommendation? Recommend(IReadOnlyList<SchemeEvaluation> encrypted, EvaluationOptions options) =>
        encrypted.OrderByDescending(e => e.Beta)
            .Select(e => (e.Beta, Hit: e.Rerank.Where(r => r.Candidates <= options.RerankBudget && r.Recall >= options.TargetRecall).OrderBy(r => r.Candidates).FirstOrDefault()))
            .Where(x => x.Hit is not null)
            .Select(x => new Recommendation(x.Beta!.Value, x.Hit!.Candidates, x.Hit.Recall, options.TargetRecall, options.RerankBudget))
            .FirstOrDefault();

    private static SchemeEvaluation RunScheme(Plan plan, VectorTransform transform, double? beta, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        float[][] m = plan.Vectors;

        // The stored database: one encryption of every row; the known pairs, targets and L7/L9 samples come from it.
        float[][] stored = transform.Encrypt(m);
        cancellationToken.ThrowIfCancellationRequested();
        (List<RecallResult> recall, List<RerankResult> rerank) = Utility(plan, transform);
        cancellationToken.ThrowIfCancellationRequested();
        ClusteringResult clustering = Clustering(plan, stored);
        cancellationToken.ThrowIfCancellationRequested();
        List<KnownPairResult> knownPairs = KnownPairs(plan, stored);
        cancellationToken.ThrowIfCancellationRequested();
        List<AveragingResult> averaging = Averaging(plan, transform);
        cancellationToken.ThrowIfCancellationRequested();
        MembershipResult membership = Membership(plan, transform, stored);
        int[] coordinates = transform.CoordinateMap(plan.Dimensions);
        double permutation = Permutation(plan, coordinates, stored);
        double duplicates = Duplicates(plan, transform, stored);
        double spearman = DistanceCorrelation(plan, stored);
        cancellationToken.ThrowIfCancellationRequested();
        AlignmentResult alignment = Alignment(plan, coordinates, stored);
        cancellationToken.ThrowIfCancellationRequested();
        ProbeResult? probe = Probe(plan, stored);
        CcaResult cca = Cca(plan, stored);
        double expected = beta is { } b ? 1 / Math.Sqrt(1 + ((b / 4) * (b / 4))) : 1;
        return new SchemeEvaluation(beta, expected, recall, rerank, clustering, knownPairs, averaging, membership, permutation, duplicates, spearman, alignment, probe, cca, stopwatch.Elapsed.TotalSeconds);
    }

    private static (List<RecallResult> Recall, List<RerankResult> Rerank) Utility(Plan plan, VectorTransform transform)
    {
        float[][] database = plan.Select(plan.Database);
        float[][] queries = plan.Select(plan.Queries);
        (float[][] cipherDatabase, float[][] decrypted) = transform.EncryptAndDecrypt(database);
        float[][] cipherQueries = transform.Encrypt(queries);
        int[] depths = plan.RecallDepths;
        int deepest = Math.Max(depths.Max(), RerankDepth);
        var sums = new Dictionary<(DistanceMetric, int), double>();
        double[] rerankSums = new double[plan.RerankCandidates.Length];
        foreach (DistanceMetric metric in new[] { DistanceMetric.L2, DistanceMetric.Cosine })
        {
            for (int q = 0; q < queries.Length; q++)
            {
                int[] exact = Neighbours.TopK(database, queries[q], deepest, metric);
                int[] found = Neighbours.TopK(cipherDatabase, cipherQueries[q], Math.Max(deepest, plan.RerankCandidates.Max()), metric);
                foreach (int k in depths)
                {
                    sums[(metric, k)] = sums.GetValueOrDefault((metric, k)) + Metrics.Recall(exact[..k], found[..k]);
                }

                if (metric == DistanceMetric.L2)
                {
                    int[] exactTop = exact[..RerankDepth];
                    for (int r = 0; r < plan.RerankCandidates.Length; r++)
                    {
                        int[] candidates = found[..Math.Min(plan.RerankCandidates[r], found.Length)];
                        // The key holder decrypts the candidates and orders them by the plaintext query's exact distance.
                        int[] reranked = candidates.OrderBy(i => TensorPrimitives.Distance(queries[q], decrypted[i])).ThenBy(i => i).Take(RerankDepth).ToArray();
                        rerankSums[r] += Metrics.Recall(exactTop, reranked);
                    }
                }
            }
        }

        var recall = new List<RecallResult>();
        foreach (DistanceMetric metric in new[] { DistanceMetric.L2, DistanceMetric.Cosine })
        {
            recall.AddRange(depths.Select(k => new RecallResult(metric, k, sums[(metric, k)] / queries.Length)));
        }

        return (recall, plan.RerankCandidates.Select((c, r) => new RerankResult(c, rerankSums[r] / queries.Length)).ToList());
    }

    private static ClusteringResult Clustering(Plan plan, float[][] stored)
    {
        // Different seeds for the two clusterings, so that the plaintext row shows k-means' own run-to-run agreement.
        int[] plain = KMeans.Cluster(plan.Vectors, plan.Clusters, plan.Seed);
        int[] cipher = KMeans.Cluster(stored, plan.Clusters, plan.Seed + 1);
        double? labelAri = plan.LabelIds is { } labels ? Metrics.AdjustedRandIndex(labels, cipher) : null;
        double? labelNmi = plan.LabelIds is { } l ? Metrics.NormalizedMutualInformation(l, cipher) : null;
        return new ClusteringResult(plan.Clusters, Metrics.AdjustedRandIndex(plain, cipher), Metrics.NormalizedMutualInformation(plain, cipher), labelAri, labelNmi);
    }

    private static List<KnownPairResult> KnownPairs(Plan plan, float[][] stored)
    {
        float[][] targetsPlain = plan.Select(plan.Targets);
        float[][] targetsCipher = plan.Targets.Select(i => stored[i]).ToArray();
        var results = new List<KnownPairResult>();
        foreach (int n in plan.KnownPairCounts)
        {
            int[] known = plan.KnownPool[..n];
            float[][] knownCipher = known.Select(i => stored[i]).ToArray();
            float[][] knownPlain = plan.Select(known);
            KnownPairResult? best = null;
            IReadOnlyList<Matrix<double>> maps = LinearAttacks.Ridge(knownCipher, knownPlain, plan.RidgeAlphas);
            for (int a = 0; a < maps.Count; a++)
            {
                double alpha = plan.RidgeAlphas[a];
                (double cos, double top1, double top10) = Score(LinearAttacks.Apply(maps[a], targetsCipher), targetsPlain);
                if (best is null || cos > best.MeanCosine)
                {
                    best = new KnownPairResult(Ridge, n, alpha, cos, top1, top10);
                }
            }

            results.Add(best!);
            Matrix<double> rotation = LinearAttacks.Procrustes(knownCipher, knownPlain);
            (double pc, double p1, double p10) = Score(LinearAttacks.Apply(rotation, Normalised(targetsCipher)), targetsPlain);
            results.Add(new KnownPairResult(Procrustes, n, null, pc, p1, p10));
        }

        return results;
    }

    private static List<AveragingResult> Averaging(Plan plan, VectorTransform transform)
    {
        int n = plan.KnownPairCounts.Max();
        int[] known = plan.KnownPool[..n];
        float[][] knownPlain = plan.Select(known);
        float[][] targetsPlain = plan.Select(plan.Targets);
        var results = new List<AveragingResult>();
        foreach (int k in plan.AveragingCounts)
        {
            float[][] knownAverage = AverageOfEncryptions(transform, knownPlain, k);
            float[][] targetAverage = AverageOfEncryptions(transform, targetsPlain, k);
            Matrix<double> rotation = LinearAttacks.Procrustes(knownAverage, knownPlain);
            (double cos, double top1, double top10) = Score(LinearAttacks.Apply(rotation, Normalised(targetAverage)), targetsPlain);
            results.Add(new AveragingResult(k, n, cos, top1, top10));
        }

        return results;
    }

    private static float[][] AverageOfEncryptions(VectorTransform transform, float[][] rows, int k)
    {
        float[][] sum = rows.Select(r => new float[r.Length]).ToArray();
        for (int t = 0; t < k; t++)
        {
            float[][] encrypted = transform.Encrypt(rows);
            for (int i = 0; i < rows.Length; i++)
            {
                TensorPrimitives.Add(sum[i], encrypted[i], sum[i]);
            }
        }

        foreach (float[] row in sum)
        {
            TensorPrimitives.Divide(row, k, row);
        }

        return sum;
    }

    private static MembershipResult Membership(Plan plan, VectorTransform transform, float[][] stored)
    {
        float[][] database = plan.Members.Select(i => stored[i]).ToArray();
        double[] Statistic(int[] candidates) => Neighbours.NearestDistances(transform.Encrypt(plan.Select(candidates)), database).Select(x => -x).ToArray();
        double[] members = Statistic(plan.MemberCandidates);
        double[] nonMembers = Statistic(plan.NonMemberCandidates);
        return new MembershipResult(
            members.Length,
            nonMembers.Length,
            Metrics.Auc(members, nonMembers),
            Metrics.BestAdvantage(members, nonMembers),
            Metrics.TruePositiveRateAt(members, nonMembers, 0.01),
            Metrics.Roc(members, nonMembers));
    }

    private static double Permutation(Plan plan, int[] truth, float[][] stored)
    {
        // The attacker's public corpus is the members' plaintexts; the stolen ciphertexts are the non-members'.
        int[] guess = PermutationAttack.Recover(plan.NonMembers.Select(i => stored[i]).ToArray(), plan.Select(plan.Members));
        return (double)guess.Where((g, j) => g == truth[j]).Count() / guess.Length;
    }

    private static AlignmentResult Alignment(Plan plan, int[] truth, float[][] stored)
    {
        float[][] stolen = plan.AlignmentStolen.Select(i => stored[i]).ToArray();
        float[][] corpus = plan.Select(plan.AlignmentPublic);
        (int[] map, int iterations, int pairs) = CiphertextOnlyAlignment.Align(stolen, corpus, plan.AlignmentIterations);

        // The first Overlap stolen rows' plaintexts are the first Overlap public rows, in the same order.
        float[][] aligned = CiphertextOnlyAlignment.Apply(map, CiphertextOnlyAlignment.CentredUnit(stolen))[..plan.AlignmentOverlap];
        (double cosine, double top1, _) = Score(aligned, CiphertextOnlyAlignment.CentredUnit(corpus));
        double coordinates = (double)map.Where((g, j) => g == truth[j]).Count() / map.Length;
        return new AlignmentResult(stolen.Length, corpus.Length, plan.AlignmentOverlap, iterations, pairs, coordinates, top1, cosine);
    }

    private static ProbeResult? Probe(Plan plan, float[][] stored)
    {
        if (plan.LabelIds is not { } labels)
        {
            return null;
        }

        float[][] train = plan.ProbeTrain.Select(i => stored[i]).ToArray();
        float[][] test = plan.ProbeTest.Select(i => stored[i]).ToArray();
        int[] trainLabels = plan.ProbeTrain.Select(i => labels[i]).ToArray();
        int majority = trainLabels.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        double Accuracy(int[] predicted) => (double)predicted.Where((p, t) => p == labels[plan.ProbeTest[t]]).Count() / predicted.Length;
        (double lambda, double accuracy) = plan.ProbeLambdas
            .Select(lambda => (lambda, Accuracy(SoftmaxRegression.Fit(train, trainLabels, lambda).Predict(test))))
            .MaxBy(x => x.Item2);
        return new ProbeResult(labels.Distinct().Count(), train.Length, test.Length, lambda, accuracy, Accuracy([.. test.Select(_ => majority)]));
    }

    /// <summary>L10 between the plaintexts and <paramref name="other"/> (row-aligned): fitted on some rows, measured on others.</summary>
    private static CcaResult Cca(Plan plan, float[][] other)
    {
        int[] rows = [.. plan.CcaFit, .. plan.CcaMeasure];
        Matrix<double> m = CanonicalCorrelation.PrincipalScores(LinearAttacks.ToMatrix(plan.Select(rows)), plan.CcaComponents);
        Matrix<double> c = CanonicalCorrelation.PrincipalScores(LinearAttacks.ToMatrix(rows.Select(i => other[i]).ToArray()), plan.CcaComponents);
        int fit = plan.CcaFit.Length;
        int measure = plan.CcaMeasure.Length;
        int k = m.ColumnCount;
        double[] rho = CanonicalCorrelation.HeldOutCorrelations(m.SubMatrix(0, fit, 0, k), c.SubMatrix(0, fit, 0, k), m.SubMatrix(fit, measure, 0, k), c.SubMatrix(fit, measure, 0, k));
        return new CcaResult(k, fit, measure, CanonicalCorrelation.MutualInformation(rho), rho);
    }

    private static double Duplicates(Plan plan, VectorTransform transform, float[][] stored)
    {
        int[] sample = plan.PairSample;
        float[][] fresh = transform.Encrypt(plan.Select(sample));
        var same = new List<double>();
        var different = new List<double>();
        for (int s = 0; s < sample.Length; s++)
        {
            int i = sample[s];
            int neighbour = plan.NearestDistinct[s];
            if (neighbour < 0)
            {
                continue;
            }

            same.Add(-TensorPrimitives.Distance(fresh[s], stored[i]));
            different.Add(-TensorPrimitives.Distance(fresh[s], stored[neighbour]));
        }

        return Metrics.Auc(same, different);
    }

    private static double DistanceCorrelation(Plan plan, float[][] stored)
    {
        int[] sample = plan.PairSample;
        var plain = new List<double>();
        var cipher = new List<double>();
        for (int a = 0; a < sample.Length; a++)
        {
            for (int b = a + 1; b < sample.Length; b++)
            {
                plain.Add(TensorPrimitives.Distance(plan.Vectors[sample[a]], plan.Vectors[sample[b]]));
                cipher.Add(TensorPrimitives.Distance(stored[sample[a]], stored[sample[b]]));
            }
        }

        return Metrics.Spearman(plain, cipher);
    }

    /// <summary>
    /// Mean cosine of recovered[i] to truth[i], and top-1 / top-10 re-identification of each against all of
    /// <paramref name="truth"/> (which may hold more rows than were recovered: distractors).
    /// </summary>
    internal static (double MeanCosine, double Top1, double Top10) Score(float[][] recovered, float[][] truth)
    {
        double cosines = 0;
        int top1 = 0;
        int top10 = 0;
        for (int i = 0; i < recovered.Length; i++)
        {
            double own = TensorPrimitives.CosineSimilarity(recovered[i], truth[i]);
            cosines += own;
            int better = 0;
            for (int j = 0; j < truth.Length; j++)
            {
                if (j != i && TensorPrimitives.CosineSimilarity(recovered[i], truth[j]) > own)
                {
                    better++;
                }
            }

            top1 += better == 0 ? 1 : 0;
            top10 += better < 10 ? 1 : 0;
        }

        return (cosines / recovered.Length, (double)top1 / recovered.Length, (double)top10 / recovered.Length);
    }

    private static float[][] Normalised(float[][] rows) => rows.Select(r =>
    {
        float[] copy = (float[])r.Clone();
        float norm = TensorPrimitives.Norm(copy);
        if (norm > 0)
        {
            TensorPrimitives.Divide(copy, norm, copy);
        }

        return copy;
    }).ToArray();

    /// <summary>Numbers each step "[done/total]" across the seeds.</summary>
    private sealed class Steps(IProgress<string>? inner, string prefix, int total, int done) : IProgress<string>
    {
        private int _done = done;

        public void Report(string value) => inner?.Report($"[{++_done}/{total}] {prefix}{value}");
    }
}
