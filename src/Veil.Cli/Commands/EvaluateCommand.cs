// The command exposes the experimental evaluation library (VEIL001) and says so in its description.
#pragma warning disable VEIL001

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Veil.Cli.Demo;
using Veil.Cli.Store;
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

    public EvaluateCommand(CliConsole console)
        : base("evaluate", "Measure search utility and attack success per β on your vectors (default: the shipped 778 MiniLM embeddings), with plaintext and random baselines. Experimental (VEIL001).")
    {
        _console = console;
        Options.Add(BetasOption);
        Options.Add(InputOption);
        Options.Add(VectorsOption);
        Options.Add(RecordsOption);
        Options.Add(SyntheticOption);
        Options.Add(LabelsOption);
        Options.Add(LimitOption);
        Options.Add(SeedOption);
        Options.Add(SeedsOption);
        Options.Add(ScalingFactorOption);
        Options.Add(TargetRecallOption);
        Options.Add(RerankBudgetOption);
        Options.Add(OverlapOption);
        Options.Add(ClassifiersOption);
        Options.Add(OutOption);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult, cancellationToken)));
    }

    internal Option<string> BetasOption { get; } = new("--betas")
    {
        Description = "Comma-separated approximation factors β to evaluate.",
        DefaultValueFactory = _ => "1,2.5,5,7.2",
    };

    internal Option<string> InputOption { get; } = new("--input")
    {
        Description = "A corpus directory holding embeddings.bin (raw float32 rows) and records.jsonl (row-aligned; \"category\" is used as the label); default: the one shipped with veil.",
    };

    internal Option<string> VectorsOption { get; } = new("--vectors")
    {
        Description = "Raw little-endian float32 rows (with --records) instead of --input.",
    };

    internal Option<string> RecordsOption { get; } = new("--records")
    {
        Description = "With --vectors: the row-aligned JSON Lines records (their \"category\" is the label).",
    };

    internal Option<string> SyntheticOption { get; } = new("--synthetic")
    {
        Description = "Evaluate N×d synthetic rows instead of a corpus (\"N,d\": an anisotropic Gaussian mixture of 4 labelled components, unit-normalised, from --seed).",
    };

    internal Option<string> LabelsOption { get; } = new("--labels")
    {
        Description = "The class labels (k-means comparison, L8 probe): a file with one label per row, or the name of a field in the records; default: \"category\".",
    };

    internal Option<int?> LimitOption { get; } = new("--limit")
    {
        Description = "Evaluate only the first N rows (for quick runs).",
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
            };
            var progress = new Progress(_console.Error);
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
        catch (CliUsageException e)
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
        if (parseResult.GetValue(SyntheticOption) is { } synthetic)
        {
            if (parseResult.GetValue(InputOption) is not null || parseResult.GetValue(VectorsOption) is not null || parseResult.GetValue(LabelsOption) is not null)
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

        string? vectors = parseResult.GetValue(VectorsOption);
        string? records = parseResult.GetValue(RecordsOption);
        string? input = parseResult.GetValue(InputOption);
        if ((vectors is null) != (records is null))
        {
            throw new CliUsageException("Invalid options: --vectors and --records go together.");
        }

        if (vectors is not null && input is not null)
        {
            throw new CliUsageException("Invalid options: give either --input or --vectors with --records.");
        }

        string directory = input ?? DemoSettings.DefaultCorpusDirectory;
        vectors ??= Path.Combine(directory, "embeddings.bin");
        records ??= Path.Combine(directory, "records.jsonl");
        (int _, long _, IEnumerable<(long Line, VeilDocument Document)> rows) = DocumentSources.RawVectors(vectors, records, dimensions: null);
        IEnumerable<VeilDocument> documents = rows.Select(r => r.Document);
        if (parseResult.GetValue(LimitOption) is { } limit)
        {
            documents = limit >= 20 ? documents.Take(limit) : throw new CliUsageException("Invalid options: --limit must be at least 20.");
        }

        VeilDocument[] all = documents.ToArray();
        _console.Error.WriteLine($"veil evaluate: {all.Length} vectors from {vectors}");
        string?[] labels = parseResult.GetValue(LabelsOption) is { } source ? Labels(source, records, all.Length) : all.Select(d => d.Category).ToArray();
        return new EvaluationData(all.Select(d => d.Embedding!.Value.ToArray()).ToArray(), labels);
    }

    /// <summary>The first <paramref name="count"/> labels: the lines of a file, or a field of each record (null where absent).</summary>
    private static string?[] Labels(string source, string records, int count)
    {
        if (File.Exists(source))
        {
            string[] lines = File.ReadLines(source).Take(count).ToArray();
            return lines.Length == count ? lines.Select(l => l.Trim()).Select(l => l.Length > 0 ? l : null).ToArray()
                : throw new CliUsageException($"Invalid input: '{source}' has {lines.Length} labels for {count} rows.");
        }

        return File.ReadLines(records).Where(l => !string.IsNullOrWhiteSpace(l)).Take(count).Select(line =>
        {
            using var record = JsonDocument.Parse(line);
            return record.RootElement.ValueKind == JsonValueKind.Object && record.RootElement.TryGetProperty(source, out JsonElement value)
                ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
                : null;
        }).ToArray() is var labels && labels.Any(l => l is not null) ? labels
            : throw new CliUsageException($"Invalid options: --labels '{source}' is neither a file nor a field of the records.");
    }

    private sealed class Progress(TextWriter error) : IProgress<string>
    {
        public void Report(string value) => error.WriteLine($"veil evaluate: {value}");
    }
}
