using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Veil.Evaluation.Training;

namespace Veil.Evaluation;

/// <summary>
/// The text forms of an evaluation's settings, as a command line or a configuration gives them: β lists, seed lists
/// or counts, synthetic data sizes and classifier trainer names. Each refuses bad text with a
/// <see cref="FormatException"/> whose message starts with the setting's <c>name</c> (as the caller calls it).
/// </summary>
[Experimental("VEIL001")]
public static class EvaluationArguments
{
    /// <summary>Parses comma-separated approximation factors β (each finite and greater than zero).</summary>
    /// <param name="text">For example <c>1,2.5,5</c>.</param>
    /// <param name="name">The setting's name in messages.</param>
    /// <returns>The factors, in order.</returns>
    /// <exception cref="FormatException">A value is not a positive finite number, or there is none.</exception>
    public static double[] ParseBetas(string text, string name = "betas")
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var betas = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out betas[i]) || !(betas[i] > 0) || double.IsInfinity(betas[i]))
            {
                throw new FormatException($"{name} needs positive numbers separated by commas; '{parts[i]}' is not one.");
            }
        }

        return betas.Length > 0 ? betas : throw new FormatException($"{name} is empty.");
    }

    /// <summary>Parses seeds: a count (<c>3</c>: three seeds from <paramref name="first"/> up, 1 to 100) or a list (<c>7,8,9</c>, each once).</summary>
    /// <param name="text">The count or the list.</param>
    /// <param name="first">The first seed of a count.</param>
    /// <param name="name">The setting's name in messages.</param>
    /// <returns>The seeds.</returns>
    /// <exception cref="FormatException">Not a count from 1 to 100 or a list of distinct integers.</exception>
    public static int[] ParseSeeds(string text, int first, string name = "seeds")
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var seeds = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out seeds[i]))
            {
                throw new FormatException($"{name} needs a count or integers separated by commas; '{parts[i]}' is not one.");
            }
        }

        if (seeds.Length == 1 && !text.Contains(',', StringComparison.Ordinal))
        {
            return seeds[0] is >= 1 and <= 100 ? Enumerable.Range(first, seeds[0]).ToArray()
                : throw new FormatException($"{name} must count 1 to 100 seeds.");
        }

        return seeds.Length > 0 && seeds.Distinct().Count() == seeds.Length ? seeds
            : throw new FormatException($"{name} lists each seed once.");
    }

    /// <summary>Parses the size of synthetic data, <c>N,d</c> with N ≥ 20, d ≥ 2 and N·d ≤ 10⁸ (<see cref="SyntheticData.Generate"/>).</summary>
    /// <param name="text">For example <c>1000,64</c>.</param>
    /// <param name="name">The setting's name in messages.</param>
    /// <returns>The number of rows and their dimension.</returns>
    /// <exception cref="FormatException">Not two integers in range.</exception>
    public static (int Count, int Dimensions) ParseSyntheticSize(string text, string name = "synthetic")
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] size = text.Split(',', StringSplitOptions.TrimEntries);
        return size.Length == 2 && int.TryParse(size[0], CultureInfo.InvariantCulture, out int count) && int.TryParse(size[1], CultureInfo.InvariantCulture, out int d)
            && count >= 20 && d >= 2 && (long)count * d <= 100_000_000
            ? (count, d)
            : throw new FormatException($"{name} needs \"N,d\" with N ≥ 20, d ≥ 2 and N·d ≤ 10⁸.");
    }

    /// <summary>Parses trainer names: <c>logistic</c>, <c>lightgbm</c>, <c>both</c>, and <c>none</c> when <paramref name="allowNone"/>.</summary>
    /// <param name="text">The name.</param>
    /// <param name="name">The setting's name in messages.</param>
    /// <param name="allowNone">Whether <c>none</c> (no trainer) is allowed.</param>
    /// <returns>The trainers.</returns>
    /// <exception cref="FormatException">Another name.</exception>
    public static ClassifierTrainer[] ParseTrainers(string text, string name, bool allowNone = false) => text switch
    {
        "both" => [ClassifierTrainer.LogisticRegression, ClassifierTrainer.LightGbm],
        "none" when allowNone => [],
        "logistic" or "lightgbm" => [ParseTrainer(text, name)],
        _ => throw new FormatException($"{name} must be logistic, lightgbm{(allowNone ? ", both or none" : " or both")}."),
    };

    /// <summary>Parses one trainer name: <c>logistic</c> or <c>lightgbm</c>.</summary>
    /// <param name="text">The name.</param>
    /// <param name="name">The setting's name in messages.</param>
    /// <returns>The trainer.</returns>
    /// <exception cref="FormatException">Another name.</exception>
    public static ClassifierTrainer ParseTrainer(string text, string name = "trainer") => text switch
    {
        "logistic" => ClassifierTrainer.LogisticRegression,
        "lightgbm" => ClassifierTrainer.LightGbm,
        _ => throw new FormatException($"{name} must be logistic or lightgbm{(text == "both" ? " when training a model (both is for --betas)" : string.Empty)}."),
    };
}
