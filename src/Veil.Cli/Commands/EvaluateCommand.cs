// The command exposes the experimental evaluation library (VEIL001) and says so in its description.
#pragma warning disable VEIL001

using System.CommandLine;
using System.Globalization;
using Veil.Cli.Demo;
using Veil.Cli.Store;
using Veil.Evaluation;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil evaluate</c>: utility (recall, re-ranking, k-means) and the attack battery (L1, L2, L5, L6, L7, L9 of the
/// threat model) per β on the user's vectors (default: the shipped MiniLM corpus); a table on stdout, optionally a
/// Markdown report and JSON.
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
        Options.Add(LimitOption);
        Options.Add(SeedOption);
        Options.Add(ScalingFactorOption);
        Options.Add(TargetRecallOption);
        Options.Add(RerankBudgetOption);
        Options.Add(JsonOption);
        Options.Add(ReportOption);
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

    internal Option<int?> LimitOption { get; } = new("--limit")
    {
        Description = "Evaluate only the first N rows (for quick runs).",
    };

    internal Option<int> SeedOption { get; } = new("--seed")
    {
        Description = "Seed of the splits, the throwaway secrets, the encryption noise and k-means.",
        DefaultValueFactory = _ => 42,
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

    internal Option<bool> JsonOption { get; } = new("--json")
    {
        Description = "Write every number as JSON on stdout instead of the Markdown tables.",
    };

    internal Option<string> ReportOption { get; } = new("--report")
    {
        Description = "Also write the Markdown report to this file.",
    };

    private int Run(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            double[] betas = ParseBetas(parseResult.GetRequiredValue(BetasOption));
            EvaluationData data = Load(parseResult);
            var options = new EvaluationOptions
            {
                Betas = betas,
                Seed = parseResult.GetValue(SeedOption),
                UseScalingFactor = parseResult.GetValue(ScalingFactorOption),
                TargetRecall = parseResult.GetValue(TargetRecallOption) is var target && target is > 0 and <= 1 ? target
                    : throw new CliUsageException("Invalid options: --target-recall must be in (0, 1]."),
                RerankBudget = parseResult.GetValue(RerankBudgetOption) is var budget && budget >= 10 ? budget
                    : throw new CliUsageException("Invalid options: --rerank-budget must be at least 10."),
            };
            var progress = new Progress(_console.Error);
            EvaluationReport report = Evaluator.Run(data, options, progress, cancellationToken);
            string markdown = ReportWriter.ToMarkdown(report);
            _console.Output.Write(parseResult.GetValue(JsonOption) ? ReportWriter.ToJson(report) + "\n" : markdown);
            if (parseResult.GetValue(ReportOption) is { } path)
            {
                File.WriteAllText(path, markdown);
                _console.Error.WriteLine($"veil evaluate: wrote {path}");
            }

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

    private EvaluationData Load(ParseResult parseResult)
    {
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
        return new EvaluationData(all.Select(d => d.Embedding!.Value.ToArray()).ToArray(), all.Select(d => d.Category).ToArray());
    }

    private sealed class Progress(TextWriter error) : IProgress<string>
    {
        public void Report(string value) => error.WriteLine($"veil evaluate: {value}");
    }
}
