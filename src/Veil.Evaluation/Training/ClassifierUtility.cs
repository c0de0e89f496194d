using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Veil.Evaluation.Training;

/// <summary>
/// Training on encrypted embeddings, per β (threat model §4, "the one-way use"): a classifier trained on one-way
/// encryptions under a throwaway key, tested on fresh encryptions of held-out rows under the same key, beside the
/// plaintext-trained model on plaintexts; and the same encrypted-trained model on the held-out rows encrypted under
/// another key, and not encrypted at all (where it should be no better than guessing the majority class).
/// </summary>
[Experimental("VEIL001")]
public static class ClassifierUtility
{
    /// <summary>One trainer at one β; see <see cref="Sweep"/>.</summary>
    public static ClassifierUtilityResult Evaluate(EvaluationData data, double beta, int seed, ClassifierTrainer trainer, ClassifierUtilityOptions? options = null) =>
        Sweep(data, [beta], [trainer], seed, options)[0];

    /// <summary>
    /// Every trainer at every β, on one stratified split of the labelled rows (rows with a null label are left out);
    /// the plaintext model is trained once per trainer. <paramref name="progress"/> hears one line per model.
    /// </summary>
    public static IReadOnlyList<ClassifierUtilityResult> Sweep(
        EvaluationData data,
        IReadOnlyList<double> betas,
        IReadOnlyList<ClassifierTrainer> trainers,
        int seed,
        ClassifierUtilityOptions? options = null,
        IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(betas);
        ArgumentNullException.ThrowIfNull(trainers);
        options ??= new ClassifierUtilityOptions();
        if (options.OtherKeys < 1)
        {
            throw new ArgumentException("At least one other key is needed.", nameof(options));
        }
        if (betas.Any(b => !(b > 0) || double.IsInfinity(b)))
        {
            throw new ArgumentException("The β values must be positive and finite.", nameof(betas));
        }

        (float[][] vectors, string[] labels) = Labelled(data);
        (int[] train, int[] test) = StratifiedSplit(labels, options.TestFraction, seed);
        float[][] trainPlain = train.Select(i => vectors[i]).ToArray();
        float[][] testPlain = test.Select(i => vectors[i]).ToArray();
        string[] trainLabels = train.Select(i => labels[i]).ToArray();
        string[] testLabels = test.Select(i => labels[i]).ToArray();
        ClassificationScores majorityScores = ClassificationScores.OfMajority(trainLabels, testLabels);
        double chance = ChanceAccuracy(trainLabels, testLabels);
        int classes = labels.Distinct(StringComparer.Ordinal).Count();

        var results = new List<ClassifierUtilityResult>();
        foreach (ClassifierTrainer trainer in trainers)
        {
            progress?.Report($"{trainer}: plaintext model on {train.Length} rows…");
            ClassificationScores plaintext = ClassificationScores.Score(testLabels, VectorClassifier.Train(trainPlain, trainLabels, trainer, seed).Predict(testPlain));
            for (int b = 0; b < betas.Count; b++)
            {
                progress?.Report($"{trainer}: β = {betas[b]}…");
                var stopwatch = Stopwatch.StartNew();
                using var key = new ScaleAndPerturbTransform((float)betas[b], options.UseScalingFactor, seed + 2000 + b);
                VectorClassifier model = VectorClassifier.Train(key.Encrypt(trainPlain), trainLabels, trainer, seed);
                ClassificationScores Score(float[][] inputs) => ClassificationScores.Score(testLabels, model.Predict(inputs));
                results.Add(new ClassifierUtilityResult(
                    trainer,
                    betas[b],
                    seed,
                    options.UseScalingFactor,
                    train.Length,
                    test.Length,
                    classes,
                    majorityScores,
                    chance,
                    plaintext,
                    Score(key.Encrypt(testPlain)),
                    OtherKeys(betas[b], options, seed + 3000 + (100 * b), testPlain, Score),
                    Score(testPlain),
                    stopwatch.Elapsed.TotalSeconds));
            }
        }

        return results;
    }

    /// <summary>The expected accuracy of guessing each label at random in its training proportion: Σ p_train(c)·p_test(c).</summary>
    internal static double ChanceAccuracy(IReadOnlyList<string> trainLabels, IReadOnlyList<string> testLabels)
    {
        Dictionary<string, int> test = testLabels.GroupBy(l => l, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return trainLabels.GroupBy(l => l, StringComparer.Ordinal)
            .Sum(g => (double)g.Count() / trainLabels.Count * test.GetValueOrDefault(g.Key) / testLabels.Count);
    }

    /// <summary>The mean scores over <see cref="ClassifierUtilityOptions.OtherKeys"/> other keys with the same β.</summary>
    private static ClassificationScores OtherKeys(double beta, ClassifierUtilityOptions options, int seed, float[][] testPlain, Func<float[][], ClassificationScores> score)
    {
        var scores = new List<ClassificationScores>();
        for (int k = 0; k < options.OtherKeys; k++)
        {
            using var otherKey = new ScaleAndPerturbTransform((float)beta, options.UseScalingFactor, seed + k);
            scores.Add(score(otherKey.Encrypt(testPlain)));
        }

        return new ClassificationScores(scores.Average(s => s.Accuracy), scores.Average(s => s.MacroF1));
    }

    /// <summary>
    /// Per label, a seeded shuffle of its rows of which round(<paramref name="testFraction"/> × count) go to the test
    /// set; a label with a single row stays in training.
    /// </summary>
    internal static (int[] Train, int[] Test) StratifiedSplit(IReadOnlyList<string> labels, double testFraction, int seed)
    {
        if (!(testFraction is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be between 0 and 1.");
        }

        var random = new Random(seed);
        var train = new List<int>();
        var test = new List<int>();
        foreach (IGrouping<string, int> group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i], StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            int[] rows = group.ToArray();
            random.Shuffle(rows);
            int held = rows.Length < 2 ? 0 : Math.Clamp((int)Math.Round(testFraction * rows.Length), 1, rows.Length - 1);
            test.AddRange(rows[..held]);
            train.AddRange(rows[held..]);
        }

        return test.Count > 0 ? (train.Order().ToArray(), test.Order().ToArray())
            : throw new ArgumentException("No label has two rows: nothing can be held out for testing.", nameof(labels));
    }

    private static (float[][] Vectors, string[] Labels) Labelled(EvaluationData data)
    {
        if (data.Labels is not { } labels || labels.Count != data.Vectors.Count)
        {
            throw new ArgumentException("Training needs one label per vector.", nameof(data));
        }

        int[] rows = Enumerable.Range(0, labels.Count).Where(i => labels[i] is not null).ToArray();
        return (rows.Select(i => data.Vectors[i]).ToArray(), rows.Select(i => labels[i]!).ToArray());
    }
}

/// <summary>How <see cref="ClassifierUtility"/> splits and encrypts.</summary>
[Experimental("VEIL001")]
public sealed record ClassifierUtilityOptions
{
    /// <summary>The fraction of each class held out for testing.</summary>
    public double TestFraction { get; init; } = 0.25;

    /// <summary>Whether the throwaway keys apply Scale-And-Perturb's scaling factor (Alloy's default: off).</summary>
    public bool UseScalingFactor { get; init; }

    /// <summary>
    /// How many other keys the encrypted-trained model is tried on (the wrong-key scores are their mean: on clustered
    /// data one wrong key maps whole classes to arbitrary labels, so a single try is a coarse random draw).
    /// </summary>
    public int OtherKeys { get; init; } = 4;
}

/// <summary>One trainer at one β: every model scored on the same held-out rows.</summary>
/// <param name="Trainer">The ML.NET trainer.</param>
/// <param name="Beta">β of the keys.</param>
/// <param name="Seed">The seed of the split, the throwaway keys, the encryption noise and the trainers.</param>
/// <param name="UseScalingFactor">Whether the keys applied the scaling factor.</param>
/// <param name="TrainCount">Training rows.</param>
/// <param name="TestCount">Held-out rows.</param>
/// <param name="Classes">Distinct labels.</param>
/// <param name="Majority">Always predicting the training set's most frequent label (the no-skill baseline).</param>
/// <param name="ChanceAccuracy">The expected accuracy of guessing labels at random in their training proportions (what a model that has learnt nothing about its input but the class sizes scores).</param>
/// <param name="Plaintext">Trained on plaintexts, tested on plaintexts (the ceiling).</param>
/// <param name="Encrypted">Trained on one-way encryptions, tested on fresh one-way encryptions under the same key.</param>
/// <param name="WrongKey">The encrypted-trained model on the held-out rows encrypted under other keys with the same β (mean over the keys).</param>
/// <param name="Unencrypted">The encrypted-trained model on the held-out plaintexts.</param>
/// <param name="Seconds">Wall time of the encrypted model's training and its three tests.</param>
[Experimental("VEIL001")]
public sealed record ClassifierUtilityResult(
    ClassifierTrainer Trainer,
    double Beta,
    int Seed,
    bool UseScalingFactor,
    int TrainCount,
    int TestCount,
    int Classes,
    ClassificationScores Majority,
    double ChanceAccuracy,
    ClassificationScores Plaintext,
    ClassificationScores Encrypted,
    ClassificationScores WrongKey,
    ClassificationScores Unencrypted,
    double Seconds);
