using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using Veil.Sealed;

namespace Veil.Evaluation;

/// <summary>recall@10 of the sealed mode (key-holder index) at one K′: the exact top 10 among the K′ rows fetched by key.</summary>
/// <param name="Candidates">K′: rows fetched per query (the store sees exactly this many keys per query).</param>
/// <param name="Recall">Mean fraction of the exact top 10 among the K′ rows (exact ranking then finds them).</param>
/// <param name="FetchedFraction">K′ / rows stored.</param>
[Experimental("VEIL001")]
public sealed record SealedRecallPoint(int Candidates, double Recall, double FetchedFraction);

/// <summary>S1: each sampled row's 10 most co-accessed rows against its true 10 nearest stored rows.</summary>
/// <param name="Rows">Rows sampled.</param>
/// <param name="Recall">Mean fraction of the true 10 nearest neighbours among the 10 most co-accessed rows.</param>
/// <param name="Chance">10 / (rows − 1): ten rows picked at random.</param>
[Experimental("VEIL001")]
public sealed record NeighbourhoodResult(int Rows, double Recall, double Chance);

/// <summary>An attacker naming each row's label from what the store sees.</summary>
/// <param name="Labelled">Rows whose label the attacker holds (0: none, only a labelled public corpus).</param>
/// <param name="Tested">Rows whose label is guessed and checked.</param>
/// <param name="Accuracy">Fraction named right.</param>
/// <param name="Majority">Fraction named right by giving every row the most frequent label (the no-skill guess).</param>
[Experimental("VEIL001")]
public sealed record LabelGuessResult(int Labelled, int Tested, double Accuracy, double Majority);

/// <summary>S3: membership through a query oracle (the attacker has a vector searched and watches which keys are fetched).</summary>
/// <param name="Members">Stored candidates.</param>
/// <param name="NonMembers">Candidates not stored.</param>
/// <param name="StabilityAuc">AUC of the overlap (Jaccard) between the keys fetched for the candidate and for a perturbed copy of it (cosine ≈ 0.96), the better orientation.</param>
/// <param name="PopularityAuc">AUC of the mean background access count of the keys fetched for the candidate, the better orientation.</param>
[Experimental("VEIL001")]
public sealed record SealedMembershipResult(int Members, int NonMembers, double StabilityAuc, double PopularityAuc);

/// <summary>The sealed mode (key-holder index) on the same data: utility, rows fetched and the attacks on what the store sees.</summary>
/// <param name="Rows">Rows stored (the same database as the β columns).</param>
/// <param name="Candidates">K′ of the attacks: keys fetched per query.</param>
/// <param name="WorkloadQueries">Queries whose fetched keys the attacker observed.</param>
/// <param name="SealedBytes">Bytes of every sealed vector (34 + 4d): the same for every row.</param>
/// <param name="Recall">recall@10 per K′.</param>
/// <param name="Neighbourhoods">S1: neighbourhoods rebuilt from co-access.</param>
/// <param name="CommunityNaming">S1: co-access communities named by matching their sizes to a labelled public corpus's k-means clusters (no stored label known).</param>
/// <param name="CoAccessLabels">S1: each unlabelled row named by the labels of the rows fetched with it, the attacker holding half the rows' labels (L8's assumption).</param>
/// <param name="AccessProbe">S2: L8's probe on what the store sees per row (access count, sealed size), half the rows labelled.</param>
/// <param name="Membership">S3: membership through a query oracle.</param>
/// <param name="Seconds">Wall time.</param>
[Experimental("VEIL001")]
public sealed record SealedEvaluation(
    int Rows,
    int Candidates,
    int WorkloadQueries,
    int SealedBytes,
    IReadOnlyList<SealedRecallPoint> Recall,
    NeighbourhoodResult Neighbourhoods,
    LabelGuessResult? CommunityNaming,
    LabelGuessResult? CoAccessLabels,
    LabelGuessResult? AccessProbe,
    SealedMembershipResult Membership,
    double Seconds);

/// <summary>
/// The sealed mode's key-holder index (HNSW over int8 vectors, <see cref="SealedVectorIndex{TKey}"/>) run over the
/// stored rows, and the attacks S1–S3 of issue 15 on what the store sees: the set of K′ keys each query fetches, over
/// many queries, and a fixed-size sealed blob per row. The workload is the held-out queries, then stored rows used as
/// queries ("more like this"), in random order: kind to the attacker, since each such query's fetched set is exactly a
/// neighbourhood of a stored row.
/// </summary>
[Experimental("VEIL001")]
public static class SealedAccessAttacks
{
    private const int Depth = 10;
    private static readonly double[] s_lambdas = [0.001, 0.01, 0.1];

    /// <summary>Runs the sealed column: <paramref name="labels"/> (one per stored row, or null) are what S1 and S2 name.</summary>
    public static SealedEvaluation Run(
        IReadOnlyList<float[]> stored,
        IReadOnlyList<float[]> queries,
        IReadOnlyList<int>? labels,
        IReadOnlyList<int> candidateSweep,
        int candidates,
        int workloadQueries,
        int seed)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(candidateSweep);
        var stopwatch = Stopwatch.StartNew();
        int n = stored.Count;
        int d = stored[0].Length;
        candidates = Math.Clamp(candidates, 1, n);
        using var index = new SealedVectorIndex<int>(d, new SealedIndexOptions { Seed = (ulong)seed });
        for (int i = 0; i < n; i++)
        {
            index.Upsert(i, stored[i]);
        }

        // Measure the graph itself: nothing left to the exact scan of the insertion queue.
        index.WaitForIndexingAsync().GetAwaiter().GetResult();

        float[][] unit = stored.Select(Unit).ToArray();
        List<SealedRecallPoint> recall = Recall(index, unit, queries, candidateSweep);

        // The workload and what the store sees of it: the K′ keys each query fetched.
        var random = new Random(seed);
        int[] asQueries = Enumerable.Range(0, n).ToArray();
        random.Shuffle(asQueries);
        float[][] workload = [.. queries, .. asQueries.Take(Math.Max(0, workloadQueries - queries.Count)).Select(i => stored[i])];
        int[][] fetched = new int[workload.Length][];
        Parallel.For(0, workload.Length, q => fetched[q] = [.. index.Search(workload[q], candidates)]);
        int[] count = new int[n];
        var fetchedBy = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        for (int q = 0; q < fetched.Length; q++)
        {
            foreach (int i in fetched[q])
            {
                count[i]++;
                fetchedBy[i].Add(q);
            }
        }

        NeighbourhoodResult neighbourhoods = Neighbourhoods(unit, fetched, fetchedBy, random);
        LabelGuessResult? community = null;
        LabelGuessResult? coAccess = null;
        LabelGuessResult? probe = null;
        if (labels is not null && labels.Distinct().Count() >= 2)
        {
            community = CommunityNaming(unit, labels, fetched, seed);
            int[] order = Enumerable.Range(0, n).ToArray();
            random.Shuffle(order);
            int[] known = order[..(n / 2)];
            int[] tested = order[(n / 2)..];
            coAccess = CoAccessLabels(labels, fetched, known, tested);
            probe = AccessProbe(labels, count, 34 + (4 * d), known, tested);
        }

        SealedMembershipResult membership = Membership(index, stored, queries, count, candidates, random);
        return new SealedEvaluation(n, candidates, workload.Length, 34 + (4 * d), recall, neighbourhoods, community, coAccess, probe, membership, stopwatch.Elapsed.TotalSeconds);
    }

    private static List<SealedRecallPoint> Recall(SealedVectorIndex<int> index, float[][] unit, IReadOnlyList<float[]> queries, IReadOnlyList<int> sweep)
    {
        int[][] truth = new int[queries.Count][];
        Parallel.For(0, queries.Count, q => truth[q] = Neighbours.TopK(unit, queries[q], Depth, DistanceMetric.Cosine));
        return sweep.Where(k => k >= 1).Select(k => Math.Min(k, unit.Length)).Distinct().Order().Select(k =>
        {
            double sum = 0;
            for (int q = 0; q < queries.Count; q++)
            {
                HashSet<int> found = [.. index.Search(queries[q], k)];
                sum += truth[q].Count(found.Contains) / (double)truth[q].Length;
            }

            return new SealedRecallPoint(k, sum / queries.Count, k / (double)unit.Length);
        }).ToList();
    }

    /// <summary>S1: for sampled rows, the 10 rows most often fetched together with them vs their true 10 nearest.</summary>
    private static NeighbourhoodResult Neighbourhoods(float[][] unit, int[][] fetched, List<int>[] fetchedBy, Random random)
    {
        int n = unit.Length;
        int[] sample = CiphertextOnlyAlignment.Sample(n, 500, random);
        double[] recall = new double[sample.Length];
        Parallel.For(0, sample.Length, s =>
        {
            int i = sample[s];
            var together = new Dictionary<int, int>();
            foreach (int q in fetchedBy[i])
            {
                foreach (int j in fetched[q])
                {
                    if (j != i)
                    {
                        together[j] = together.GetValueOrDefault(j) + 1;
                    }
                }
            }

            int[] guess = together.OrderByDescending(x => x.Value).ThenBy(x => x.Key).Take(Depth).Select(x => x.Key).ToArray();
            int[] truth = Neighbours.TopK(unit, unit[i], Depth + 1, DistanceMetric.Cosine).Where(j => j != i).Take(Depth).ToArray();
            recall[s] = truth.Count(guess.Contains) / (double)truth.Length;
        });
        return new NeighbourhoodResult(sample.Length, recall.Average(), Math.Min(1.0, Depth / (double)(n - 1)));
    }

    /// <summary>
    /// S1 without any stored label: rows are embedded by the queries that fetched them (a sum of one random vector per
    /// query), clustered into as many communities as there are labels, and each community takes the label of the
    /// public k-means cluster of nearest size (Hungarian on the size difference). The public corpus is the stored rows'
    /// own plaintexts with their labels: the most generous public corpus there is. Rows never fetched take the public
    /// corpus's most frequent label.
    /// </summary>
    private static LabelGuessResult CommunityNaming(float[][] unit, IReadOnlyList<int> labels, int[][] fetched, int seed)
    {
        int n = unit.Length;
        int k = Math.Min(labels.Distinct().Count(), n / 2);
        const int Width = 64;
        var random = new Random(seed + 5);
        float[][] z = Enumerable.Range(0, n).Select(_ => new float[Width]).ToArray();
        foreach (int[] set in fetched)
        {
            float[] r = Enumerable.Range(0, Width).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            foreach (int i in set)
            {
                TensorPrimitives.Add(z[i], r, z[i]);
            }
        }

        int[] seen = Enumerable.Range(0, n).Where(i => TensorPrimitives.Norm(z[i]) > 0).ToArray();
        int majority = labels.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        int[] named = Enumerable.Repeat(majority, n).ToArray();
        if (seen.Length >= k)
        {
            int[] communities = KMeans.Cluster(seen.Select(i => Unit(z[i])).ToArray(), k, seed + 6);
            int[] clusters = KMeans.Cluster(unit, k, seed + 7);
            int[] publicLabel = Enumerable.Range(0, k).Select(c =>
            {
                int[] members = Enumerable.Range(0, n).Where(i => clusters[i] == c).ToArray();
                return members.Length == 0 ? majority : members.GroupBy(i => labels[i]).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
            }).ToArray();
            double[] communitySize = Enumerable.Range(0, k).Select(c => communities.Count(x => x == c) / (double)seen.Length).ToArray();
            double[] clusterSize = Enumerable.Range(0, k).Select(c => clusters.Count(x => x == c) / (double)n).ToArray();
            double[,] cost = new double[k, k];
            for (int a = 0; a < k; a++)
            {
                for (int b = 0; b < k; b++)
                {
                    cost[a, b] = Math.Abs(communitySize[a] - clusterSize[b]);
                }
            }

            int[] match = PermutationAttack.Hungarian(cost);
            for (int s = 0; s < seen.Length; s++)
            {
                named[seen[s]] = publicLabel[match[communities[s]]];
            }
        }

        double accuracy = Enumerable.Range(0, n).Count(i => named[i] == labels[i]) / (double)n;
        return new LabelGuessResult(0, n, accuracy, labels.Count(l => l == majority) / (double)n);
    }

    /// <summary>S1 with half the labels known: each tested row takes the label most frequent among the labelled rows fetched with it.</summary>
    private static LabelGuessResult CoAccessLabels(IReadOnlyList<int> labels, int[][] fetched, int[] known, int[] tested)
    {
        int classes = labels.Max() + 1;
        bool[] isKnown = new bool[labels.Count];
        foreach (int i in known)
        {
            isKnown[i] = true;
        }

        double[][] votes = Enumerable.Range(0, labels.Count).Select(_ => new double[classes]).ToArray();
        double[] histogram = new double[classes];
        foreach (int[] set in fetched)
        {
            Array.Clear(histogram);
            foreach (int j in set)
            {
                if (isKnown[j])
                {
                    histogram[labels[j]]++;
                }
            }

            foreach (int i in set)
            {
                if (!isKnown[i])
                {
                    TensorPrimitives.Add(votes[i], histogram, votes[i]);
                }
            }
        }

        int majority = known.GroupBy(i => labels[i]).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        int right = tested.Count(i => (votes[i].Max() > 0 ? TensorPrimitives.IndexOfMax(votes[i]) : majority) == labels[i]);
        return new LabelGuessResult(known.Length, tested.Length, right / (double)tested.Length, tested.Count(i => labels[i] == majority) / (double)tested.Length);
    }

    /// <summary>S2: softmax regression on (access count, log(1 + count), sealed size) per row; the best of three penalties on the tested rows.</summary>
    private static LabelGuessResult AccessProbe(IReadOnlyList<int> labels, int[] count, int sealedBytes, int[] known, int[] tested)
    {
        float[] Features(int i) => [count[i], MathF.Log(1 + count[i]), sealedBytes];
        float[][] train = known.Select(Features).ToArray();
        float[][] test = tested.Select(Features).ToArray();
        int[] trainLabels = known.Select(i => labels[i]).ToArray();
        double accuracy = s_lambdas.Max(lambda =>
        {
            int[] predicted = SoftmaxRegression.Fit(train, trainLabels, lambda).Predict(test);
            return predicted.Where((p, t) => p == labels[tested[t]]).Count() / (double)tested.Length;
        });
        int majority = trainLabels.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        return new LabelGuessResult(known.Length, tested.Length, accuracy, tested.Count(i => labels[i] == majority) / (double)tested.Length);
    }

    /// <summary>S3: members (stored rows) against non-members (the held-out queries), through a query oracle.</summary>
    private static SealedMembershipResult Membership(SealedVectorIndex<int> index, IReadOnlyList<float[]> stored, IReadOnlyList<float[]> nonMembers, int[] count, int candidates, Random random)
    {
        int size = nonMembers.Count;
        float[][] members = CiphertextOnlyAlignment.Sample(stored.Count, size, random).Select(i => stored[i]).ToArray();
        (double Stability, double Popularity) Statistic(float[] x)
        {
            float[] perturbed = Unit(x);
            float[] noise = Enumerable.Range(0, x.Length).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            TensorPrimitives.Multiply(Unit(noise), 0.3f, noise);
            TensorPrimitives.Add(perturbed, noise, perturbed);
            HashSet<int> a = [.. index.Search(x, candidates)];
            HashSet<int> b = [.. index.Search(perturbed, candidates)];
            double jaccard = a.Intersect(b).Count() / (double)a.Union(b).Count();
            return (jaccard, a.Average(i => (double)count[i]));
        }

        (double Stability, double Popularity)[] m = members.Select(Statistic).ToArray();
        (double Stability, double Popularity)[] o = nonMembers.Select(Statistic).ToArray();
        static double Either(double auc) => Math.Max(auc, 1 - auc);
        return new SealedMembershipResult(
            m.Length,
            o.Length,
            Either(Metrics.Auc(m.Select(x => x.Stability).ToArray(), o.Select(x => x.Stability).ToArray())),
            Either(Metrics.Auc(m.Select(x => x.Popularity).ToArray(), o.Select(x => x.Popularity).ToArray())));
    }

    private static float[] Unit(float[] row)
    {
        float[] copy = (float[])row.Clone();
        float norm = TensorPrimitives.Norm(copy);
        if (norm > 0)
        {
            TensorPrimitives.Divide(copy, norm, copy);
        }

        return copy;
    }
}
