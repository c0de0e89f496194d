using System.Diagnostics.CodeAnalysis;

namespace Veil.Evaluation.Training;

/// <summary>How well predicted labels match the true ones.</summary>
/// <param name="Accuracy">The fraction of rows predicted correctly.</param>
/// <param name="MacroF1">The unweighted mean over classes of F1 = 2·precision·recall / (precision + recall), over every class that occurs in the truth or the predictions (scikit-learn's default); a class with no true and no correct prediction scores 0.</param>
[Experimental("VEIL001")]
public sealed record ClassificationScores(double Accuracy, double MacroF1)
{
    /// <summary>Scores <paramref name="predicted"/> against <paramref name="truth"/> (same length, at least one row).</summary>
    public static ClassificationScores Score(IReadOnlyList<string> truth, IReadOnlyList<string> predicted)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (truth.Count == 0 || truth.Count != predicted.Count)
        {
            throw new ArgumentException("Scoring needs as many predictions as true labels, and at least one.");
        }

        var truePositives = new Dictionary<string, int>(StringComparer.Ordinal);
        var trueCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var predictedCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        int correct = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            trueCounts[truth[i]] = trueCounts.GetValueOrDefault(truth[i]) + 1;
            predictedCounts[predicted[i]] = predictedCounts.GetValueOrDefault(predicted[i]) + 1;
            if (string.Equals(truth[i], predicted[i], StringComparison.Ordinal))
            {
                correct++;
                truePositives[truth[i]] = truePositives.GetValueOrDefault(truth[i]) + 1;
            }
        }

        // F1 = 2·TP / (true count + predicted count), which is 2PR/(P+R) without dividing by zero.
        double f1 = trueCounts.Keys.Union(predictedCounts.Keys)
            .Average(c => 2.0 * truePositives.GetValueOrDefault(c) / (trueCounts.GetValueOrDefault(c) + predictedCounts.GetValueOrDefault(c)));
        return new ClassificationScores((double)correct / truth.Count, f1);
    }

    /// <summary>The scores of always predicting the most frequent training label (ties: the ordinally first).</summary>
    internal static ClassificationScores OfMajority(IReadOnlyList<string> trainLabels, IReadOnlyList<string> testLabels)
    {
        string majority = trainLabels.GroupBy(l => l, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        return Score(testLabels, testLabels.Select(_ => majority).ToArray());
    }
}
