using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Veil.Evaluation.Training;

/// <summary>Renders <see cref="ClassifierUtility"/> results as a Markdown table: one row per trainer and β.</summary>
[Experimental("VEIL001")]
public static class ClassifierUtilityReport
{
    /// <summary>Accuracy / macro-F1 of every model, with the majority baseline, per trainer and β.</summary>
    public static string ToMarkdown(IReadOnlyList<ClassifierUtilityResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        md.AppendLine("## Training on encrypted embeddings (accuracy / macro-F1 on held-out rows)");
        md.AppendLine();
        if (results.Count > 0)
        {
            ClassifierUtilityResult first = results[0];
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{first.TrainCount} training and {first.TestCount} held-out rows (stratified), {first.Classes} classes, seed {first.Seed}, scaling factor {(first.UseScalingFactor ? "on" : "off")}. \"encrypted\": trained on one-way encryptions, tested on fresh encryptions under the same key; \"other key\": the same model on encryptions under other keys (mean); \"unencrypted\": the same model on plaintexts."));
            md.AppendLine();
        }

        md.AppendLine("| trainer | β | majority | chance | plaintext | encrypted | other key | unencrypted |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (ClassifierUtilityResult r in results)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Trainer} | {r.Beta} | {S(r.Majority)} | {r.ChanceAccuracy:0.000} | {S(r.Plaintext)} | {S(r.Encrypted)} | {S(r.WrongKey)} | {S(r.Unencrypted)} |"));
        }

        return md.ToString();
    }

    private static string S(ClassificationScores s) => string.Create(CultureInfo.InvariantCulture, $"{s.Accuracy:0.000} / {s.MacroF1:0.000}");
}
