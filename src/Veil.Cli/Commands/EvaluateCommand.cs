// The command exposes the experimental evaluation library (VEIL001) and says so in its description.
#pragma warning disable VEIL001

using Veil.Cli.Commands.OptionGroups;
using Veil.Documents.Store;
using Veil.Evaluation;
using Veil.Evaluation.Plots;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil evaluate</c>: utility (recall, re-ranking, k-means) and the attack battery (L1–L11 of the threat model) per
/// β, the sealed mode's column (S1–S3) and the L3/L11 scale curve, on the user's vectors (default: the shipped MiniLM
/// corpus) or on synthetic data, over one or more seeds; the Markdown tables on stdout and, with <c>--out</c>, report.md, report.json and PNG plots (<see cref="Evaluator"/>).
/// </summary>
internal sealed class EvaluateCommand : VeilCommand
{
    private readonly LabelledVectorsInput _input = new(minimumRows: 20);
    private readonly Option<string> _betas = Opt("--betas", "Comma-separated approximation factors β to evaluate.", "1,2.5,5,7.2");
    private readonly Option<string> _synthetic = Opt<string>("--synthetic", "Evaluate N×d synthetic rows instead of a corpus (\"N,d\": an anisotropic Gaussian mixture of 4 labelled components, unit-normalised, from --seed).");
    private readonly Option<int> _seed = Opt("--seed", "Seed of the splits, the throwaway secrets, the encryption noise and k-means.", 42);
    private readonly Option<string> _seeds = Opt("--seeds", "How many seeds to run (from --seed up), or a comma-separated list of seeds; the report gives mean ± standard deviation.", "1");
    private readonly Option<bool> _scalingFactor = Opt<bool>("--scaling-factor", "Generate the throwaway secrets with Scale-And-Perturb's scaling factor on (Alloy's default is off).");
    private readonly Option<double> _targetRecall = Opt("--target-recall", "The recall@10 after re-ranking that the recommended β must reach.", 0.95);
    private readonly Option<int> _rerankBudget = Opt("--rerank-budget", "The most candidates K′ you are willing to decrypt and re-rank per query (for the recommendation).", 100);
    private readonly Option<double> _overlap = Opt("--public-overlap", "L3: the fraction of the stolen ciphertexts whose plaintexts the attacker's public corpus also holds.", 0.5);
    private readonly Option<string> _classifiers = Opt("--classifiers", "ML.NET classifiers to train on one-way-encrypted embeddings per β, against the plaintext-trained model, another key and unencrypted inputs (needs labels): logistic, lightgbm, both or none.", "logistic");
    private readonly Option<bool> _sealed = Opt("--sealed", "Add the sealed mode's column (key-holder index: recall per K′, rows fetched, and the attacks S1–S3 on the keys each query fetches); --sealed false leaves it out.", true);
    private readonly Option<string> _scaleCurve = Opt("--scale-curve", "Numbers of stolen ciphertexts for L3 and L11 against the permutation and a dense rotation, with a disjoint public corpus (sizes the data cannot hold are left out), or \"none\".", "300,1000,3000,10000");
    private readonly Option<string> _out = Opt<string>("--out", "A directory to write report.md, report.json (every number, per seed and summarised) and the PNG plots into.");

    public EvaluateCommand(CliConsole console)
        : base(console, "evaluate", "Measure search utility and attack success per β on your vectors (default: the shipped 778 MiniLM embeddings), with plaintext and random baselines. Experimental (VEIL001).")
    {
        this.Add(_betas);
        _input.AddTo(this);
        this.Add(_synthetic, _seed, _seeds, _scalingFactor, _targetRecall, _rerankBudget, _overlap, _classifiers, _sealed, _scaleCurve, _out);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult, cancellationToken)));
    }

    private int Run(ParseResult parseResult, CancellationToken cancellationToken)
    {
        int seed = parseResult.GetValue(_seed);
        var options = new EvaluationOptions
        {
            Betas = EvaluationArguments.ParseBetas(parseResult.GetRequiredValue(_betas), "--betas"),
            Seed = seed,
            UseScalingFactor = parseResult.GetValue(_scalingFactor),
            TargetRecall = parseResult.GetValue(_targetRecall),
            RerankBudget = parseResult.GetValue(_rerankBudget),
            PublicOverlap = parseResult.GetValue(_overlap),
            Classifiers = EvaluationArguments.ParseTrainers(parseResult.GetRequiredValue(_classifiers), "--classifiers", allowNone: true),
            Sealed = parseResult.GetValue(_sealed),
            ScaleCurveSizes = EvaluationArguments.ParseScaleCurveSizes(parseResult.GetRequiredValue(_scaleCurve), "--scale-curve"),
        };
        int[] seeds = EvaluationArguments.ParseSeeds(parseResult.GetRequiredValue(_seeds), seed, "--seeds");
        options.Validate();
        EvaluationSeries series = Evaluator.Run(Load(parseResult, seed), options, seeds, new StderrProgress(Terminal.Error, Name), cancellationToken);
        if (parseResult.GetValue(_out) is { } directory)
        {
            Terminal.Error.WriteLine($"veil evaluate: wrote report.md, report.json and {ReportPlots.SaveReport(series, directory)} plots to {directory}");
        }

        Terminal.Output.Write(ReportWriter.ToMarkdown(series));
        return ExitCodes.Success;
    }

    /// <summary>The rows: the labelled input, or --synthetic's Gaussian mixture.</summary>
    private EvaluationData Load(ParseResult parseResult, int seed)
    {
        if (parseResult.GetValue(_synthetic) is not { } synthetic)
        {
            LabelledVectors rows = _input.Load(parseResult, Terminal.Error, Name);
            return new EvaluationData(rows.Vectors, rows.Labels);
        }

        (int count, int d) = !_input.IsGiven(parseResult) ? EvaluationArguments.ParseSyntheticSize(synthetic, "--synthetic")
            : throw new CliUsageException("Invalid options: --synthetic replaces --input, --vectors and --labels.");
        Terminal.Error.WriteLine($"veil evaluate: {count} synthetic vectors × {d}");
        return SyntheticData.Generate(count, d, seed);
    }
}
