using System.Globalization;
using System.Numerics.Tensors;

namespace Veil.Evaluation;

/// <summary>The fixed splits and sizes of one run, shared by the plaintext row and every β.</summary>
internal sealed class Plan
{
    private Plan()
    {
    }

    public required float[][] Vectors { get; init; }

    public int Count => Vectors.Length;

    public int Dimensions => Vectors[0].Length;

    public required int Seed { get; init; }

    public required int[] Queries { get; init; }

    public required int[] Database { get; init; }

    public required int[] RecallDepths { get; init; }

    public required int[] RerankCandidates { get; init; }

    public required int Clusters { get; init; }

    public required int[]? LabelIds { get; init; }

    public required int[] Targets { get; init; }

    public required int[] KnownPool { get; init; }

    public required int[] KnownPairCounts { get; init; }

    public required double[] RidgeAlphas { get; init; }

    public required int[] AveragingCounts { get; init; }

    public required int[] Members { get; init; }

    public required int[] NonMembers { get; init; }

    /// <summary>L6: the members and non-members whose membership is tested (the database is all of <see cref="Members"/>).</summary>
    public required int[] MemberCandidates { get; init; }

    public required int[] NonMemberCandidates { get; init; }

    public required int[] PairSample { get; init; }

    /// <summary>Per row of <see cref="PairSample"/>, its nearest other row with a different vector (−1 if none).</summary>
    public required int[] NearestDistinct { get; init; }

    /// <summary>L3: the stolen ciphertexts' rows; the first <see cref="AlignmentOverlap"/> of them are also in <see cref="AlignmentPublic"/>.</summary>
    public required int[] AlignmentStolen { get; init; }

    /// <summary>L3: the attacker's public corpus (plaintexts).</summary>
    public required int[] AlignmentPublic { get; init; }

    public required int AlignmentOverlap { get; init; }

    public required int AlignmentIterations { get; init; }

    /// <summary>L8: the rows whose labels the attacker holds, and the rows probed.</summary>
    public required int[] ProbeTrain { get; init; }

    public required int[] ProbeTest { get; init; }

    public required double[] ProbeLambdas { get; init; }

    /// <summary>L10: the rows the canonical directions are fitted on, and the rows they are measured on.</summary>
    public required int[] CcaFit { get; init; }

    public required int[] CcaMeasure { get; init; }

    /// <summary>L10: principal components kept per side.</summary>
    public required int CcaComponents { get; init; }

    public required List<string> Notes { get; init; }

    public float[][] Select(int[] indexes) => indexes.Select(i => Vectors[i]).ToArray();

    public static Plan Create(EvaluationData data, EvaluationOptions options)
    {
        float[][] vectors = data.Vectors.ToArray();
        if (vectors.Length < 20)
        {
            throw new ArgumentException("The evaluation needs at least 20 vectors.", nameof(data));
        }

        int d = vectors[0].Length;
        if (vectors.Any(v => v.Length != d) || vectors.Any(v => !float.IsFinite(TensorPrimitives.Norm(v))))
        {
            throw new ArgumentException("Every vector must have the same dimension and finite values.", nameof(data));
        }

        if (options.Betas.Count == 0 || options.Betas.Any(b => !(b > 0) || double.IsInfinity(b)))
        {
            throw new ArgumentException("The β values must be positive and finite.", nameof(options));
        }

        var notes = new List<string>();
        int n = vectors.Length;
        int[] order = Enumerable.Range(0, n).ToArray();
        new Random(options.Seed).Shuffle(order);

        int queries = Math.Clamp(options.Queries, 1, n / 2);
        int[] database = order[queries..];
        int[] depths = options.RecallDepths.Where(k => k >= 1).Select(k => Math.Min(k, database.Length)).Distinct().Order().ToArray();
        int[] rerank = options.RerankCandidates.Where(k => k >= 1).Select(k => Math.Min(k, database.Length)).Distinct().Order().ToArray();

        int? labelCount = null;
        int[]? labelIds = null;
        if (data.Labels is { } labels && labels.Count == n && labels.Any(l => l is not null))
        {
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            labelIds = labels.Select(l => l ?? string.Empty).Select(l => ids.TryGetValue(l, out int id) ? id : ids[l] = ids.Count).ToArray();
            labelCount = ids.Count;
        }

        int clusters = Math.Clamp(options.Clusters ?? labelCount ?? 10, 2, n / 2);

        int targets = Math.Clamp(options.AttackTargets, 10, n / 2);
        int[] knownPool = order[targets..];
        int[] requested = options.KnownPairMultiples.Select(f => Math.Max(2, (int)Math.Round(f * d))).ToArray();
        int[] counts = requested.Select(c => Math.Min(c, knownPool.Length)).Distinct().Order().ToArray();
        if (requested.Any(c => c > knownPool.Length))
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"Known pairs capped at {knownPool.Length} ({n} rows − {targets} targets): asked for up to {requested.Max()} ({options.KnownPairMultiples.Max()}·d)."));
        }

        int half = n / 2;
        int stolen = Math.Min(half, options.AlignmentRows);
        int overlap = Math.Max(1, (int)Math.Round(Math.Clamp(options.PublicOverlap, 0, 1) * stolen));
        if (stolen < half)
        {
            notes.Add($"L3 aligns {stolen} of the stolen ciphertexts with a public corpus of {stolen} rows ({overlap} shared).");
        }

        int probe = Math.Min(half, options.ProbeRows);
        if (labelIds is not null && probe < half)
        {
            notes.Add($"L8 trains on {probe} labelled rows and tests on {probe}.");
        }

        int candidates = Math.Min(half, options.MembershipCandidates);
        if (candidates < half)
        {
            notes.Add($"L6 tests {candidates} members and {candidates} non-members against all {half} stored rows.");
        }

        int cca = Math.Min(half, options.CcaRows / 2);
        if (cca < half)
        {
            notes.Add($"L10 fits on {cca} rows and measures on {cca}.");
        }

        int sample = Math.Clamp(options.PairSample, 10, n);
        if (sample < n)
        {
            notes.Add($"L7 and L9 use a sample of {sample} of the {n} rows (L9: all {sample * (sample - 1) / 2} pairs of it).");
        }

        return new Plan
        {
            Vectors = vectors,
            Seed = options.Seed,
            Queries = order[..queries],
            Database = database,
            RecallDepths = depths,
            RerankCandidates = rerank,
            Clusters = clusters,
            LabelIds = labelIds,
            Targets = order[..targets],
            KnownPool = knownPool,
            KnownPairCounts = counts,
            RidgeAlphas = options.RidgeAlphas.Count > 0 ? [.. options.RidgeAlphas] : [0.01],
            AveragingCounts = options.AveragingCounts.Where(k => k >= 1).Distinct().Order().ToArray(),
            Members = order[..half],
            NonMembers = order[half..(2 * half)],
            MemberCandidates = order[..candidates],
            NonMemberCandidates = order[half..(half + candidates)],
            PairSample = order[..sample],
            NearestDistinct = FindNearestDistinct(vectors, order[..sample]),
            AlignmentStolen = order[..stolen],
            AlignmentPublic = [.. order[..overlap], .. order[half..(half + stolen - overlap)]],
            AlignmentOverlap = overlap,
            AlignmentIterations = Math.Max(1, options.AlignmentIterations),
            ProbeTrain = order[..probe],
            ProbeTest = order[half..(half + probe)],
            ProbeLambdas = options.ProbeLambdas.Count > 0 ? [.. options.ProbeLambdas] : [0.01],
            CcaFit = order[..cca],
            CcaMeasure = order[half..(half + cca)],
            CcaComponents = Math.Clamp(cca / 8, 2, d),
            Notes = notes,
        };
    }

    public RandomBaselines RandomBaselines(CcaResult chanceCca)
    {
        int database = Database.Length;
        float[] mean = new float[Dimensions];
        foreach (int i in KnownPool)
        {
            TensorPrimitives.Add(mean, Vectors[i], mean);
        }

        double meanCosine = Targets.Average(t => (double)TensorPrimitives.CosineSimilarity(mean, Vectors[t]));
        var recall = new List<RecallResult>();
        foreach (DistanceMetric metric in new[] { DistanceMetric.L2, DistanceMetric.Cosine })
        {
            recall.AddRange(RecallDepths.Select(k => new RecallResult(metric, k, (double)k / database)));
        }

        return new RandomBaselines(
            recall,
            RerankCandidates.Select(c => new RerankResult(c, Math.Min(1.0, (double)c / database))).ToList(),
            meanCosine,
            1.0 / Targets.Length,
            Math.Min(1.0, 10.0 / Targets.Length),
            Targets.Length,
            1.0 / AlignmentPublic.Length,
            chanceCca);
    }

    private static int[] FindNearestDistinct(float[][] vectors, int[] sample)
    {
        int[] nearest = new int[sample.Length];
        for (int s = 0; s < sample.Length; s++)
        {
            int i = sample[s];
            double best = double.MaxValue;
            nearest[s] = -1;
            for (int j = 0; j < vectors.Length; j++)
            {
                double distance = TensorPrimitives.Distance(vectors[i], vectors[j]);
                if (j != i && distance > 1e-6 && distance < best)
                {
                    best = distance;
                    nearest[s] = j;
                }
            }
        }

        return nearest;
    }
}
