// The command exposes the experimental evaluation library (VEIL001) and says so in its description.
#pragma warning disable VEIL001

using Veil.Cli.Commands.OptionGroups;
using Veil.Documents.Store;
using Veil.Evaluation;
using Veil.Evaluation.Training;
using Veil.Keys;
using Veil.Protocol;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil train</c>: <see cref="KeyBoundClassifier.Train"/> on labelled vectors with a key from the configuration (or
/// <see cref="KeyBoundClassifier.TrainOnCiphertexts"/> on a one-way dataset), saved as a zip with its metadata (JSON)
/// beside it; the model only works together with that key (see <c>veil predict</c>). With <c>--betas</c> it instead
/// measures, with throwaway keys, how much accuracy training on ciphertexts keeps per β (<see cref="ClassifierUtility.Sweep"/>).
/// </summary>
internal sealed class TrainCommand : VeilCommand
{
    private readonly LabelledVectorsInput _input = new(minimumRows: 1);
    private readonly ClientOptions _client = new();
    private readonly KeyScopeOptions _scope = new(required: false);
    private readonly Option<string> _model = Opt<string>("--model", "Where to write the model (an ML.NET zip); the metadata goes beside it with the extension .json.");
    private readonly Option<string> _trainer = Opt("--trainer", "logistic (multiclass logistic regression), lightgbm, or (with --betas) both.", "logistic");
    private readonly Option<int> _seed = Opt("--seed", "Seed of the held-out split and the trainer (and, with --betas, of the throwaway keys and noise).", 42);
    private readonly Option<double> _testFraction = Opt("--test-fraction", "The fraction of each label held out to score the model.", 0.25);
    private readonly Option<string> _betas = Opt<string>("--betas", "Measure instead of training under your key: comma-separated β values, each with throwaway keys; prints a Markdown table (no configuration needed).");
    private readonly Option<string> _ciphertexts = Opt<string>("--ciphertexts", "Train on a one-way dataset written by veil encrypt-dataset (Parquet: ids, labels, ciphertexts) instead of encrypting vectors yourself: no key needed. The model is bound to the dataset's key: veil predict uses it with that key.");

    public TrainCommand(CliConsole console)
        : base(console, "train", "Train a classifier on your labelled vectors encrypted one-way with your key (default: the shipped MiniLM corpus, label \"category\"); saves a model that only works with that key. With --betas: measure accuracy and macro-F1 per β against the plaintext-trained model, another key and unencrypted inputs. Experimental (VEIL001).")
    {
        _client.AddTo(this);
        _scope.AddTo(this);
        this.Add(_model, _trainer, _seed, _testFraction, _betas, _ciphertexts);
        _input.AddTo(this);
        SetAction(Run);
    }

    private int Run(ParseResult parseResult)
    {
        double fraction = parseResult.GetValue(_testFraction) is var f && f is > 0 and < 1 ? f
            : throw new CliUsageException("Invalid options: --test-fraction must be between 0 and 1.");
        string trainer = parseResult.GetRequiredValue(_trainer);
        int seed = parseResult.GetValue(_seed);
        var progress = new StderrProgress(Terminal.Error, Name);
        string? ciphertexts = parseResult.GetValue(_ciphertexts);
        if (ciphertexts is not null && (parseResult.GetValue(_betas) is not null || _input.IsGiven(parseResult) || _client.IsGiven(parseResult) || _scope.IsGiven(parseResult)))
        {
            throw new CliUsageException("Invalid options: --ciphertexts is the whole input and needs no key: give it without --betas, --input, --vectors, --labels or key options.");
        }

        if (parseResult.GetValue(_betas) is { } betas)
        {
            (double[] parsed, ClassifierTrainer[] trainers) = (EvaluationArguments.ParseBetas(betas, "--betas"), EvaluationArguments.ParseTrainers(trainer, "--trainer"));
            LabelledVectors rows = _input.Load(parseResult, Terminal.Error, Name);
            var options = new ClassifierUtilityOptions { TestFraction = fraction };
            Terminal.Output.Write(ClassifierUtilityReport.ToMarkdown(ClassifierUtility.Sweep(new EvaluationData(rows.Vectors, rows.Labels), parsed, trainers, seed, options, progress)));
            return ExitCodes.Success;
        }

        ClassifierTrainer chosen = EvaluationArguments.ParseTrainer(trainer, "--trainer");
        string model = parseResult.GetValue(_model) ?? throw new CliUsageException($"Invalid options: --model is required{(ciphertexts is null ? " (or --betas to measure)" : string.Empty)}.");
        string metadata = KeyBoundClassifier.MetadataPath(model);
        if (ciphertexts is not null)
        {
            OneWayDatasetContents dataset = OneWayDataset.Read(ciphertexts);
            Terminal.Error.WriteLine($"veil {Name}: {dataset.Rows.Vectors.Length} one-way ciphertexts × {dataset.Rows.Dimensions} from {ciphertexts} (key id {dataset.Key.KeyId} of \"{dataset.Key.SecretPath}\" for tenant \"{dataset.Key.Tenant}\")");
            return Saved(KeyBoundClassifier.TrainOnCiphertexts(dataset.Rows.Vectors, dataset.Rows.Labels, dataset.Key, chosen, seed, fraction, progress), model, metadata);
        }

        OperationScope scope = _scope.Read(parseResult);
        LabelledVectors labelled = _input.Load(parseResult, Terminal.Error, Name);
        return _client.Run(
            parseResult,
            Terminal,
            c => c.EnsureConfigured(KeysetSection.Vector, scope.SecretPath),
            client => Saved(KeyBoundClassifier.Train(client.Vector, scope.SecretPath, scope.DerivationPath, scope.Tenant, labelled.Vectors, labelled.Labels, chosen, seed, fraction, progress), model, metadata));
    }

    private int Saved(KeyBoundClassifier classifier, string model, string metadata)
    {
        string json = classifier.Save(model);
        ClassifierModelInfo info = classifier.Info;
        Terminal.Error.WriteLine($"veil train: held-out accuracy {info.HeldOut.Accuracy:0.000}, macro-F1 {info.HeldOut.MacroF1:0.000} (majority baseline {info.Majority.Accuracy:0.000}); wrote {model} and {metadata}");
        Terminal.Output.WriteLine(json);
        return ExitCodes.Success;
    }
}
