// The command exposes the experimental evaluation library (VEIL001) and says so in its description.
#pragma warning disable VEIL001

using System.CommandLine;
using System.Globalization;
using Veil.Documents.Store;
using Veil.Evaluation;
using Veil.Evaluation.Plots;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil evaluate</c>: utility (recall, re-ranking, k-means) and the attack battery (L1–L10 of the threat model) per
/// β on the user's vectors (default: the shipped MiniLM corpus) or on synthetic data, over one or more seeds; the
/// Markdown tables on stdout and, with <c>--out</c>, report.md, report.json and PNG plots.
/// </summary>
internal sealed class EvaluateCommand : Command
{
    private readonly CliConsole _console;
    private readonly LabelledVectorsInput _input = new(minimumRows: 20);

    public EvaluateCommand(CliConsole console)
        : base("evaluate", "Measure search utility and attack success per β on your vectors (default: the shipped 778 MiniLM embeddings), with plaintext and random baselines. Experimental (VEIL001).")
    {
        _console = console;
        Options.Add(BetasOption);
        _input.AddTo(this);
        Options.Add(SyntheticOption);
        Options.Add(SeedOption);
        Options.Add(SeedsOption);
        Options.Add(ScalingFactorOption);
        Options.Add(TargetRecallOption);
        Options.Add(RerankBudgetOption);
        Options.Add(OverlapOption);
        Options.Add(ClassifiersOption);
        Options.Add(SealedOption);
        Options.Add(ScaleCurveOption);
        Options.Add(OutOption);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult, cancellationToken)));
    }

    internal Option<string> BetasOption { get; } = new("--betas")
    {
        Description = "Comma-separated approximation factors β to evaluate.",
        DefaultValueFactory = _ => "1,2.5,5,7.2",
    };

    internal Option<string> SyntheticOption { get; } = new("--synthetic")
    {
        Description = "Evaluate N×d synthetic rows instead of a corpus (\"N,d\": an anisotropic Gaussian mixture of 4 labelled components, unit-normalised, from --seed).",
    };

    internal Option<int> SeedOption { get; } = new("--seed")
    {
        Description = "Seed of the splits, the throwaway secrets, the encryption noise and k-means.",
        DefaultValueFactory = _ => 42,
    };

    internal Option<string> SeedsOption { get; } = new("--seeds")
    {
        Description = "How many seeds to run (from --seed up), or a comma-separated list of seeds; the report gives mean ± standard deviation.",
        DefaultValueFactory = _ => "1",
    };

    internal Option<bool> ScalingFactorOption { get; } = new("--scaling-factor")
    {
        Description = "Generate the throwaway secrets with Scale-And-Perturb's scaling factor on (Alloy's default is off).",
    };

    internal Option<double> TargetRecallOption { get; } = new("--target-recall")
    {
        Description = "The recall@10 after re-ranking that the recommended β must reach.",
        DefaultValueFactory = _ => 0.95,
    };

    internal Option<int> RerankBudgetOption { get; } = new("--rerank-budget")
    {
        Description = "The most candidates K′ you are willing to decrypt and re-rank per query (for the recommendation).",
        DefaultValueFactory = _ => 100,
    };

    internal Option<double> OverlapOption { get; } = new("--public-overlap")
    {
        Description = "L3: the fraction of the stolen ciphertexts whose plaintexts the attacker's public corpus also holds.",
        DefaultValueFactory = _ => 0.5,
    };

    internal Option<string> ClassifiersOption { get; } = new("--classifiers")
    {
        Description = "ML.NET classifiers to train on one-way-encrypted embeddings per β, against the plaintext-trained model, another key and unencrypted inputs (needs labels): logistic, lightgbm, both or none.",
        DefaultValueFactory = _ => "logistic",
    };

    internal Option<bool> SealedOption { get; } = new("--sealed")
    {
        Description = "Add the sealed mode's column (key-holder index: recall per K′, rows fetched, and the attacks S1–S3 on the keys each query fetches); --sealed false leaves it out.",
        DefaultValueFactory = _ => true,
    };

    internal Option<string> ScaleCurveOption { get; } = new("--scale-curve")
    {
        Description = "Numbers of stolen ciphertexts for L3 and L11 against the permutation and a dense rotation, with a disjoint public corpus (sizes the data cannot hold are left out), or \"none\".",
        DefaultValueFactory = _ => "300,1000,3000,10000",
    };

    internal Option<string> OutOption { get; } = new("--out")
    {
        Description = "A directory to write report.md, report.json (every number, per seed and summarised) and the PNG plots into.",
    };

    private int Run(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            double[] betas = ParseBetas(parseResult.GetRequiredValue(BetasOption));
            int seed = parseResult.GetValue(SeedOption);
            int[] seeds = ParseSeeds(parseResult.GetRequiredValue(SeedsOption), seed);
            EvaluationData data = Load(parseResult, seed);
            var options = new EvaluationOptions
            {
                Betas = betas,
                Seed = seed,
                UseScalingFactor = parseResult.GetValue(ScalingFactorOption),
                TargetRecall = parseResult.GetValue(TargetRecallOption) is var target && target is > 0 and <= 1 ? target
                    : throw new CliUsageException("Invalid options: --target-recall must be in (0, 1]."),
                RerankBudget = parseResult.GetValue(RerankBudgetOption) is var budget && budget >= 10 ? budget
                    : throw new CliUsageException("Invalid options: --rerank-budget must be at least 10."),
                PublicOverlap = parseResult.GetValue(OverlapOption) is var overlap && overlap is > 0 and <= 1 ? overlap
                    : throw new CliUsageException("Invalid options: --public-overlap must be in (0, 1]."),
                Classifiers = TrainCommand.ParseTrainers(parseResult.GetRequiredValue(ClassifiersOption), "--classifiers", allowNone: true),
                Sealed = parseResult.GetValue(SealedOption),
                ScaleCurveSizes = ParseSizes(parseResult.GetRequiredValue(ScaleCurveOption)),
            };
            var progress = new StderrProgress(_console.Error, Name);
            EvaluationSeries series = Evaluator.Run(data, options, seeds, progress, cancellationToken);
            if (parseResult.GetValue(OutOption) is { } directory)
            {
                IReadOnlyList<(string Title, string Path)> figures = ReportPlots.Save(series, directory);
                File.WriteAllText(Path.Combine(directory, "report.json"), ReportWriter.ToJson(series) + "\n");
                File.WriteAllText(Path.Combine(directory, "report.md"), ReportWriter.ToMarkdown(series, figures));
                _console.Error.WriteLine($"veil evaluate: wrote report.md, report.json and {figures.Count} plots to {directory}");
            }

            _console.Output.Write(ReportWriter.ToMarkdown(series));
            _console.Output.Flush();
            return ExitCodes.Success;
        }
        catch (Exception e) when (UsageErrors.Is(e))
        {
            _console.Error.WriteLine(e.Message);
            return ExitCodes.InvalidOptions;
        }
    }

    internal static double[] ParseBetas(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var betas = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out betas[i]) || !(betas[i] > 0) || double.IsInfinity(betas[i]))
            {
                throw new CliUsageException($"Invalid options: --betas needs positive numbers separated by commas; '{parts[i]}' is not one.");
            }
        }

        return betas.Length > 0 ? betas : throw new CliUsageException("Invalid options: --betas is empty.");
    }

    /// <summary>"300,1000": those numbers of stolen rows; "none": no scale curve.</summary>
    internal static int[] ParseSizes(string text)
    {
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        string[] parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 2)
            {
                throw new CliUsageException($"Invalid options: --scale-curve needs numbers of rows (2 or more) separated by commas, or none; '{parts[i]}' is not one.");
            }
        }

        return sizes.Length > 0 ? sizes : throw new CliUsageException("Invalid options: --scale-curve is empty (say none).");
    }

    /// <summary>"3": three seeds from <paramref name="first"/> up; "7,8,9": those seeds.</summary>
    internal static int[] ParseSeeds(string text, int first)
    {
        string[] parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var seeds = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out seeds[i]))
            {
                throw new CliUsageException($"Invalid options: --seeds needs a count or integers separated by commas; '{parts[i]}' is not one.");
            }
        }

        if (seeds.Length == 1 && !text.Contains(',', StringComparison.Ordinal))
        {
            return seeds[0] is >= 1 and <= 100 ? Enumerable.Range(first, seeds[0]).ToArray()
                : throw new CliUsageException("Invalid options: --seeds must count 1 to 100 seeds.");
        }

        return seeds.Length > 0 && seeds.Distinct().Count() == seeds.Length ? seeds
            : throw new CliUsageException("Invalid options: --seeds lists each seed once.");
    }

    private EvaluationData Load(ParseResult parseResult, int seed)
    {
        if (parseResult.GetValue(SyntheticOption) is not { } synthetic)
        {
            LabelledVectors rows = _input.Load(parseResult, _console.Error, Name);
            return new EvaluationData(rows.Vectors, rows.Labels);
        }

        if (_input.IsGiven(parseResult))
        {
            throw new CliUsageException("Invalid options: --synthetic replaces --input, --vectors and --labels.");
        }

        string[] size = synthetic.Split(',', StringSplitOptions.TrimEntries);
        if (size.Length != 2 || !int.TryParse(size[0], CultureInfo.InvariantCulture, out int count) || !int.TryParse(size[1], CultureInfo.InvariantCulture, out int d)
            || count < 20 || d < 2 || (long)count * d > 100_000_000)
        {
            throw new CliUsageException("Invalid options: --synthetic needs \"N,d\" with N ≥ 20, d ≥ 2 and N·d ≤ 10⁸.");
        }

        _console.Error.WriteLine($"veil evaluate: {count} synthetic vectors × {d}");
        return SyntheticData.Generate(count, d, seed);
    }
}
