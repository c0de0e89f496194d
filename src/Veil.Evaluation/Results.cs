using System.Diagnostics.CodeAnalysis;

namespace Veil.Evaluation;

/// <summary>The vectors to evaluate on (rows of one width, typically unit-normalised embeddings) and optional class labels.</summary>
/// <param name="Vectors">The plaintext embeddings.</param>
/// <param name="Labels">Per row, a class label (or null): the classes k-means is compared with and the attribute L8 probes for.</param>
[Experimental("VEIL001")]
public sealed record EvaluationData(IReadOnlyList<float[]> Vectors, IReadOnlyList<string?>? Labels = null);

/// <summary>What to measure, and how much of it. Every random choice follows <see cref="Seed"/>.</summary>
[Experimental("VEIL001")]
public sealed record EvaluationOptions
{
    /// <summary>Checks the settings a user chooses (the messages name them as <c>veil evaluate</c>'s options).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The target recall or the public overlap is outside (0, 1], or the re-ranking budget is below 10.</exception>
    public void Validate()
    {
        if (TargetRecall is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TargetRecall), TargetRecall, "--target-recall must be in (0, 1].");
        }

        if (RerankBudget < 10)
        {
            throw new ArgumentOutOfRangeException(nameof(RerankBudget), RerankBudget, "--rerank-budget must be at least 10.");
        }

        if (PublicOverlap is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(PublicOverlap), PublicOverlap, "--public-overlap must be in (0, 1].");
        }
    }

    /// <summary>The approximation factors β to evaluate.</summary>
    public IReadOnlyList<double> Betas { get; init; } = [1, 2.5, 5, 7.2];

    /// <summary>Whether the throwaway secrets apply Scale-And-Perturb's scaling factor (Alloy's default: off).</summary>
    public bool UseScalingFactor { get; init; }

    /// <summary>The seed of the splits, the throwaway secrets, the encryption noise and k-means.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>How many rows are held out as search queries (the rest is the database).</summary>
    public int Queries { get; init; } = 100;

    /// <summary>The k of recall@k.</summary>
    public IReadOnlyList<int> RecallDepths { get; init; } = [1, 10, 100];

    /// <summary>K′: how many encrypted candidates the key holder decrypts and re-ranks for recall@10.</summary>
    public IReadOnlyList<int> RerankCandidates { get; init; } = [10, 20, 50, 100, 200];

    /// <summary>The k of k-means; default: the number of distinct labels, or 10 without labels.</summary>
    public int? Clusters { get; init; }

    /// <summary>How many rows the inversion attacks (L1, L2, L5) try to recover; the rest can be known pairs.</summary>
    public int AttackTargets { get; init; } = 200;

    /// <summary>The numbers of known pairs for L1/L2, as multiples of the dimension d (capped at the rows available).</summary>
    public IReadOnlyList<double> KnownPairMultiples { get; init; } = [0.125, 0.25, 0.5, 1, 2, 4];

    /// <summary>The ridge penalties tried (relative to the mean eigenvalue of CᵀC); the best one is reported.</summary>
    public IReadOnlyList<double> RidgeAlphas { get; init; } = [0.001, 0.01, 0.1, 1];

    /// <summary>L5: how many encryptions of the same vector the attacker averages.</summary>
    public IReadOnlyList<int> AveragingCounts { get; init; } = [1, 4, 16, 64];

    /// <summary>The recall@10 (after re-ranking) the recommended β must reach.</summary>
    public double TargetRecall { get; init; } = 0.95;

    /// <summary>The most candidates K′ the key holder is willing to decrypt per query, for the recommendation.</summary>
    public int RerankBudget { get; init; } = 100;

    /// <summary>How many rows L7 (duplicates) and L9 (distance correlation, all pairs) sample.</summary>
    public int PairSample { get; init; } = 300;

    /// <summary>L3: the most stolen ciphertexts (and public rows) aligned; the rest of a large corpus is not used.</summary>
    public int AlignmentRows { get; init; } = 1000;

    /// <summary>L3: the most refinement rounds (pseudo-pairs, then Procrustes) before the attacker gives up.</summary>
    public int AlignmentIterations { get; init; } = 50;

    /// <summary>L3: the fraction of the stolen ciphertexts whose plaintexts are also in the attacker's public corpus.</summary>
    public double PublicOverlap { get; init; } = 0.5;

    /// <summary>L8: the L2 penalties λ tried for the attribute probe; the best one on the test rows is reported.</summary>
    public IReadOnlyList<double> ProbeLambdas { get; init; } = [0.001, 0.01, 0.1];

    /// <summary>L6: the most members (and as many non-members) whose membership is tested.</summary>
    public int MembershipCandidates { get; init; } = 1000;

    /// <summary>L10: the most rows CCA uses (half to fit the canonical directions, half to measure their correlations).</summary>
    public int CcaRows { get; init; } = 4000;

    /// <summary>L8: the most rows the probe trains on (half the rows, at most this many); as many are tested.</summary>
    public int ProbeRows { get; init; } = 2000;

    /// <summary>
    /// The ML.NET trainers trained on one-way-encrypted embeddings per β (<see cref="Training.ClassifierUtility"/>);
    /// none by default. Needs at least two labels; otherwise the run notes why it left them out.
    /// </summary>
    public IReadOnlyList<Training.ClassifierTrainer> Classifiers { get; init; } = [];

    /// <summary>Whether to run the sealed mode's column (key-holder index; recall per K′ and the attacks S1–S3 on what the store sees).</summary>
    public bool Sealed { get; init; } = true;

    /// <summary>The sealed mode's K′ (keys fetched per query) the attacks observe; the mode's default is 100.</summary>
    public int SealedCandidates { get; init; } = 100;

    /// <summary>The K′ values whose sealed recall@10 is measured.</summary>
    public IReadOnlyList<int> SealedCandidateSweep { get; init; } = [10, 20, 50, 100];

    /// <summary>How many queries' fetched keys the sealed-mode attacker observes (the held-out queries, then stored rows as queries).</summary>
    public int SealedWorkload { get; init; } = 2000;

    /// <summary>
    /// The scale curve: numbers of stolen ciphertexts for L3 and L11 against the permutation and a dense rotation, with a
    /// disjoint public corpus (sizes the data cannot hold are left out; empty: no curve).
    /// </summary>
    public IReadOnlyList<int> ScaleCurveSizes { get; init; } = [300, 1000, 3000, 10000];
}

/// <summary>Everything one run measured.</summary>
/// <param name="Count">Rows evaluated.</param>
/// <param name="Dimensions">Their width d.</param>
/// <param name="Options">The options of the run.</param>
/// <param name="Random">What an attacker without any attack, or a random search, achieves.</param>
/// <param name="Plaintext">The same battery without encryption: the utility ceiling and the attacks' upper bound.</param>
/// <param name="Encrypted">The battery per β.</param>
/// <param name="Recommendation">The largest β that meets the target recall within the re-ranking budget, or null if none does.</param>
/// <param name="Notes">What was limited and why.</param>
/// <param name="Classifiers">Classifiers trained on one-way encryptions, per trainer and β (empty unless <see cref="EvaluationOptions.Classifiers"/> names some).</param>
/// <param name="Sealed">The sealed mode's column, unless <see cref="EvaluationOptions.Sealed"/> is off.</param>
/// <param name="ScaleCurve">L3 and L11 per β, key transform and number of stolen ciphertexts (empty if no size fits).</param>
[Experimental("VEIL001")]
public sealed record EvaluationReport(
    int Count,
    int Dimensions,
    EvaluationOptions Options,
    RandomBaselines Random,
    SchemeEvaluation Plaintext,
    IReadOnlyList<SchemeEvaluation> Encrypted,
    Recommendation? Recommendation,
    IReadOnlyList<string> Notes,
    IReadOnlyList<Training.ClassifierUtilityResult> Classifiers,
    SealedEvaluation? Sealed = null,
    IReadOnlyList<ScaleCurvePoint>? ScaleCurve = null);

/// <summary>The same evaluation run with several seeds (splits, secrets, noise, k-means starts).</summary>
/// <param name="Runs">One report per seed.</param>
/// <param name="Recommendation">The largest β that meets the target recall, averaged over the seeds, within the re-ranking budget; or null.</param>
[Experimental("VEIL001")]
public sealed record EvaluationSeries(IReadOnlyList<EvaluationReport> Runs, Recommendation? Recommendation);

/// <summary>The largest β whose recall@10 after re-ranking reaches the target with at most the budgeted K′ candidates.</summary>
/// <param name="Beta">β.</param>
/// <param name="Candidates">The smallest evaluated K′ (within the budget) that reaches the target at that β.</param>
/// <param name="Recall">recall@10 at that K′.</param>
/// <param name="TargetRecall">The target.</param>
/// <param name="RerankBudget">The budget.</param>
[Experimental("VEIL001")]
public sealed record Recommendation(double Beta, int Candidates, double Recall, double TargetRecall, int RerankBudget);

/// <summary>The no-skill reference values.</summary>
/// <param name="Recall">recall@k of a random result list, per k (k / database size).</param>
/// <param name="RerankRecall">recall@10 of K′ random candidates re-ranked exactly, per K′ (K′ / database size).</param>
/// <param name="MeanCosine">Mean cosine of the known plaintexts' mean (the best guess without the key) to each target.</param>
/// <param name="Top1">Top-1 re-identification by guessing (1 / candidate pool).</param>
/// <param name="Top10">Top-10 re-identification by guessing (10 / candidate pool).</param>
/// <param name="CandidatePool">The size of the candidate pool of re-identification.</param>
/// <param name="AlignmentTop1">L3 top-1 re-identification by guessing (1 / public corpus size).</param>
/// <param name="Cca">L10 between the plaintexts and an independent shuffle of them: what chance pairing gives.</param>
[Experimental("VEIL001")]
public sealed record RandomBaselines(
    IReadOnlyList<RecallResult> Recall,
    IReadOnlyList<RerankResult> RerankRecall,
    double MeanCosine,
    double Top1,
    double Top10,
    int CandidatePool,
    double AlignmentTop1,
    CcaResult Cca);

/// <summary>The battery for one scheme: Scale-And-Perturb at <see cref="Beta"/>, or no encryption when it is null.</summary>
/// <param name="Beta">β, or null for the plaintext row.</param>
/// <param name="ExpectedCosine">1/√(1+(β/4)²): the cosine of c/s to π(m) when ‖λ‖ = sβ/4, what a perfect linear inversion of one ciphertext can reach.</param>
/// <param name="Recall">Exact encrypted search vs exact plaintext search (utility).</param>
/// <param name="Rerank">recall@10 (L2) after the key holder decrypts K′ candidates and re-ranks them (utility).</param>
/// <param name="Clustering">k-means on ciphertexts vs on plaintexts (utility).</param>
/// <param name="KnownPairs">L1 (ridge) and L2 (Procrustes) per number of known pairs.</param>
/// <param name="Averaging">L5: Procrustes on averages of k encryptions.</param>
/// <param name="Membership">L6: nearest-neighbour membership inference with an encryption oracle.</param>
/// <param name="PermutationRecovery">L4: fraction of coordinates whose permutation is recovered from per-coordinate statistics against a public corpus.</param>
/// <param name="DuplicateAuc">L7: AUC separating two encryptions of one vector from encryptions of nearest neighbours.</param>
/// <param name="DistanceSpearman">L9: Spearman ρ of plaintext vs ciphertext pairwise L2 distances.</param>
/// <param name="Alignment">L3: ciphertext-only alignment with a public corpus.</param>
/// <param name="Probe">L8: the attribute probe, when labels were given.</param>
/// <param name="Cca">L10: canonical correlations between plaintexts and ciphertexts and the Gaussian mutual-information proxy.</param>
/// <param name="Seconds">Wall time of this row.</param>
[Experimental("VEIL001")]
public sealed record SchemeEvaluation(
    double? Beta,
    double ExpectedCosine,
    IReadOnlyList<RecallResult> Recall,
    IReadOnlyList<RerankResult> Rerank,
    ClusteringResult Clustering,
    IReadOnlyList<KnownPairResult> KnownPairs,
    IReadOnlyList<AveragingResult> Averaging,
    MembershipResult Membership,
    double PermutationRecovery,
    double DuplicateAuc,
    double DistanceSpearman,
    AlignmentResult Alignment,
    ProbeResult? Probe,
    CcaResult Cca,
    double Seconds);

/// <summary>recall@<paramref name="K"/> under <paramref name="Metric"/>.</summary>
[Experimental("VEIL001")]
public sealed record RecallResult(DistanceMetric Metric, int K, double Recall);

/// <summary>recall@10 after decrypting and re-ranking <paramref name="Candidates"/> encrypted candidates.</summary>
[Experimental("VEIL001")]
public sealed record RerankResult(int Candidates, double Recall);

/// <summary>k-means agreement.</summary>
/// <param name="Clusters">k.</param>
/// <param name="AdjustedRandIndex">ARI of the clustering of ciphertexts against the clustering of plaintexts (another seed).</param>
/// <param name="NormalizedMutualInformation">NMI of the same two clusterings.</param>
/// <param name="LabelAdjustedRandIndex">ARI of the ciphertext clustering against the labels, when given.</param>
/// <param name="LabelNormalizedMutualInformation">NMI of the ciphertext clustering against the labels, when given.</param>
[Experimental("VEIL001")]
public sealed record ClusteringResult(int Clusters, double AdjustedRandIndex, double NormalizedMutualInformation, double? LabelAdjustedRandIndex, double? LabelNormalizedMutualInformation);

/// <summary>One known-plaintext inversion.</summary>
/// <param name="Attack">"L1 ridge" or "L2 Procrustes".</param>
/// <param name="Pairs">Known (ciphertext, plaintext) pairs N.</param>
/// <param name="Alpha">The ridge penalty that did best (optimistic for the attacker), or null.</param>
/// <param name="MeanCosine">Mean cosine of recovered to true vectors on the targets.</param>
/// <param name="Top1">Fraction of targets whose recovered vector is nearest (cosine) to its own plaintext in the pool.</param>
/// <param name="Top10">Fraction whose own plaintext is among the 10 nearest.</param>
[Experimental("VEIL001")]
public sealed record KnownPairResult(string Attack, int Pairs, double? Alpha, double MeanCosine, double Top1, double Top10);

/// <summary>L5 at <paramref name="Encryptions"/> averaged encryptions per vector (known pairs and targets alike).</summary>
[Experimental("VEIL001")]
public sealed record AveragingResult(int Encryptions, int Pairs, double MeanCosine, double Top1, double Top10);

/// <summary>L6: members are stored, non-members are not; the statistic is the distance from a fresh encryption of the candidate to the nearest stored ciphertext.</summary>
[Experimental("VEIL001")]
public sealed record MembershipResult(int Members, int NonMembers, double Auc, double Advantage, double TruePositiveRateAt1PercentFpr, IReadOnlyList<RocPoint> Roc);

/// <summary>One point of a ROC curve: the rates of the threshold "score ≥ t means positive".</summary>
[Experimental("VEIL001")]
public sealed record RocPoint(double FalsePositiveRate, double TruePositiveRate);

/// <summary>L3: alignment of stolen ciphertexts with a public corpus of the same model, without any known pair.</summary>
/// <param name="Ciphertexts">Stolen ciphertexts aligned.</param>
/// <param name="PublicCorpus">Public plaintexts (a split of the data) they are aligned with.</param>
/// <param name="Overlap">How many of the stolen ciphertexts have their plaintext in the public corpus (the re-identification targets).</param>
/// <param name="Iterations">Refinement rounds run (pseudo-pairs, then Procrustes over permutations).</param>
/// <param name="Pairs">Mutual-nearest-neighbour pseudo-pairs in the last round.</param>
/// <param name="CoordinatesRecovered">Fraction of coordinates mapped to their true plaintext coordinate.</param>
/// <param name="Top1">Fraction of overlapping ciphertexts whose aligned vector is nearest (cosine, centred) to its own plaintext among the public corpus.</param>
/// <param name="MeanCosine">Mean cosine of the aligned, centred ciphertext to its centred plaintext, over the overlapping ones.</param>
[Experimental("VEIL001")]
public sealed record AlignmentResult(int Ciphertexts, int PublicCorpus, int Overlap, int Iterations, int Pairs, double CoordinatesRecovered, double Top1, double MeanCosine);

/// <summary>L8: multinomial logistic regression trained on vectors with the attacker's labels, tested on held-out rows.</summary>
/// <param name="Classes">Distinct labels.</param>
/// <param name="Train">Training rows.</param>
/// <param name="Test">Test rows.</param>
/// <param name="Lambda">The L2 penalty that did best on the test rows (optimistic for the attacker).</param>
/// <param name="Accuracy">Test accuracy.</param>
/// <param name="Majority">Test accuracy of always guessing the most frequent training label.</param>
[Experimental("VEIL001")]
public sealed record ProbeResult(int Classes, int Train, int Test, double Lambda, double Accuracy, double Majority);

/// <summary>L10: canonical correlations between the leading principal components of plaintexts and of ciphertexts.</summary>
/// <param name="Components">Principal components kept on each side.</param>
/// <param name="Train">Rows the canonical directions are fitted on.</param>
/// <param name="Test">Held-out rows the correlations are measured on.</param>
/// <param name="MutualInformation">Î = −½ Σ log(1 − ρᵢ²) nats over the held-out ρᵢ: a linear-Gaussian proxy, not a bound.</param>
/// <param name="Correlations">The held-out ρᵢ, in the order of the training correlations (largest first).</param>
[Experimental("VEIL001")]
public sealed record CcaResult(int Components, int Train, int Test, double MutualInformation, IReadOnlyList<double> Correlations);
