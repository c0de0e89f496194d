using MathNet.Numerics.Distributions;
using Veil.Evaluation.Training;

namespace Veil.Evaluation.Tests;

/// <summary>
/// Training on encrypted embeddings, on a separable synthetic mixture: the encrypted-trained model matches the
/// plaintext one at small β, falls toward the majority baseline at huge β, and is useless under another key or on
/// plaintexts.
/// </summary>
public sealed class ClassifierUtilityTests
{
    private const int Classes = 8;

    private static readonly EvaluationData s_data = Mixture(count: 480, dimensions: 32, seed: 5);

    private static readonly Lazy<IReadOnlyList<ClassifierUtilityResult>> s_sweep = new(() => ClassifierUtility.Sweep(
        s_data, [0.25, 400], [ClassifierTrainer.LogisticRegression, ClassifierTrainer.LightGbm], seed: 3));

    public static TheoryData<ClassifierTrainer> Trainers => [ClassifierTrainer.LogisticRegression, ClassifierTrainer.LightGbm];

    [Theory]
    [MemberData(nameof(Trainers))]
    public void SmallBeta_EncryptedTrainedMatchesPlaintext(ClassifierTrainer trainer)
    {
        ClassifierUtilityResult r = Result(trainer, 0.25);
        Assert.True(r.Plaintext.Accuracy > 0.9, $"plaintext {r.Plaintext}");
        Assert.True(r.Encrypted.Accuracy > r.Plaintext.Accuracy - 0.05, $"encrypted {r.Encrypted} vs plaintext {r.Plaintext}");
        Assert.True(r.Encrypted.MacroF1 > r.Plaintext.MacroF1 - 0.05, $"encrypted {r.Encrypted} vs plaintext {r.Plaintext}");
    }

    [Theory]
    [MemberData(nameof(Trainers))]
    public void OtherKeyAndPlaintexts_AreNearTheBaseline(ClassifierTrainer trainer)
    {
        ClassifierUtilityResult r = Result(trainer, 0.25);
        // Eight balanced classes: guessing is right an eighth of the time.
        Assert.Equal(1.0 / Classes, r.Majority.Accuracy, 2);
        Assert.Equal(1.0 / Classes, r.ChanceAccuracy, 2);
        Assert.True(r.WrongKey.Accuracy < 0.3, $"wrong key {r.WrongKey}");
        Assert.True(r.Unencrypted.Accuracy < 0.3, $"unencrypted {r.Unencrypted}");
    }

    [Theory]
    [MemberData(nameof(Trainers))]
    public void HugeBeta_DropsTowardTheBaseline(ClassifierTrainer trainer)
    {
        ClassifierUtilityResult r = Result(trainer, 400);
        Assert.True(r.Encrypted.Accuracy < 0.3, $"encrypted at β = 400: {r.Encrypted}");
    }

    [Fact]
    public void Sweep_ReportsItsParameters()
    {
        ClassifierUtilityResult r = Result(ClassifierTrainer.LightGbm, 400);
        Assert.Equal((3, Classes, 480), (r.Seed, r.Classes, r.TrainCount + r.TestCount));
        Assert.Equal(120, r.TestCount);
    }

    [Fact]
    public void StratifiedSplit_HoldsOutEachClassInProportion()
    {
        string[] labels = [.. Enumerable.Repeat("a", 8), .. Enumerable.Repeat("b", 4), "c"];
        (int[] train, int[] test) = ClassifierUtility.StratifiedSplit(labels, 0.25, seed: 1);
        Assert.Equal(Enumerable.Range(0, labels.Length), train.Concat(test).Order());
        Assert.Equal(2, test.Count(i => labels[i] == "a"));
        Assert.Equal(1, test.Count(i => labels[i] == "b"));
        Assert.DoesNotContain(test, i => labels[i] == "c");
    }

    [Fact]
    public void ChanceAccuracy_IsTheOverlapOfTheClassProportions()
    {
        // Train 3/4 a, 1/4 b; test 1/2 a, 1/2 b: 3/8 + 1/8.
        Assert.Equal(0.5, ClassifierUtility.ChanceAccuracy(["a", "a", "a", "b"], ["a", "b"]), 12);
        Assert.Equal(0.75 * 0.5, ClassifierUtility.ChanceAccuracy(["a", "a", "a", "b"], ["a", "c"]), 12);
    }

    [Fact]
    public void Scores_KnownAnswers()
    {
        Assert.Equal(new ClassificationScores(1, 1), ClassificationScores.Score(["a", "b", "b"], ["a", "b", "b"]));

        // a: P 1/2, R 1/2 → F1 1/2; b: P 1/2, R 1/2 → 1/2; accuracy 2/4.
        ClassificationScores half = ClassificationScores.Score(["a", "a", "b", "b"], ["a", "b", "b", "a"]);
        Assert.Equal((0.5, 0.5), (half.Accuracy, half.MacroF1));

        // Always "a" on 3 a + 1 b: accuracy 3/4; F1(a) = 6/7, F1(b) = 0.
        ClassificationScores majority = ClassificationScores.Score(["a", "a", "a", "b"], ["a", "a", "a", "a"]);
        Assert.Equal(0.75, majority.Accuracy);
        Assert.Equal(3.0 / 7, majority.MacroF1, 12);
    }

    /// <summary>Unit-normalised isotropic Gaussian clusters around random centres, the same number of rows per class.</summary>
    internal static EvaluationData Mixture(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        float[][] centres = Enumerable.Range(0, Classes).Select(_ => Enumerable.Range(0, dimensions).Select(_ => (float)Normal.Sample(random, 0, 1)).ToArray()).ToArray();
        var vectors = new float[count][];
        var labels = new string?[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % Classes;
            labels[i] = $"class {c}";
            float[] v = centres[c].Select(x => x + (0.5f * (float)Normal.Sample(random, 0, 1))).ToArray();
            float norm = MathF.Sqrt(v.Sum(x => x * x));
            vectors[i] = v.Select(x => x / norm).ToArray();
        }

        return new EvaluationData(vectors, labels);
    }

    private static ClassifierUtilityResult Result(ClassifierTrainer trainer, double beta) =>
        s_sweep.Value.Single(r => r.Trainer == trainer && r.Beta == beta);
}
