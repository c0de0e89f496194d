// The command exposes the experimental evaluation library (VEIL001) and says so in its description.
#pragma warning disable VEIL001

using Veil.Documents.Store;
using Veil.Evaluation;
using Veil.Evaluation.Training;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil train</c>: encrypts labelled vectors one-way with a key from the configuration, trains an ML.NET classifier
/// on the ciphertexts and saves it (zip) with its metadata (JSON) beside it; the model only works together with that
/// key (see <c>veil predict</c>). With <c>--betas</c> it instead measures, with throwaway keys, how much accuracy
/// training on ciphertexts keeps per β.
/// </summary>
internal sealed class TrainCommand : Command
{
    private readonly CliConsole _console;
    private readonly LabelledVectorsInput _input = new(minimumRows: 1);
    private readonly ModelKeyOptions _key = new();

    public TrainCommand(CliConsole console)
        : base("train", "Train a classifier on your labelled vectors encrypted one-way with your key (default: the shipped MiniLM corpus, label \"category\"); saves a model that only works with that key. With --betas: measure accuracy and macro-F1 per β against the plaintext-trained model, another key and unencrypted inputs. Experimental (VEIL001).")
    {
        _console = console;
        _key.AddTo(this);
        this.Add(ModelOption, TrainerOption, SeedOption, TestFractionOption, BetasOption, CiphertextsOption);
        _input.AddTo(this);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult)));
    }

    private readonly Option<string> ModelOption = Opt<string>("--model", "Where to write the model (an ML.NET zip); the metadata goes beside it with the extension .json.");
    private readonly Option<string> TrainerOption = Opt("--trainer", "logistic (multiclass logistic regression), lightgbm, or (with --betas) both.", "logistic");
    private readonly Option<int> SeedOption = Opt("--seed", "Seed of the held-out split and the trainer (and, with --betas, of the throwaway keys and noise).", 42);
    private readonly Option<double> TestFractionOption = Opt("--test-fraction", "The fraction of each label held out to score the model.", 0.25);
    private readonly Option<string> BetasOption = Opt<string>("--betas", "Measure instead of training under your key: comma-separated β values, each with throwaway keys; prints a Markdown table (no configuration needed).");

    private readonly Option<string> CiphertextsOption = Opt<string>("--ciphertexts", "Train on a one-way dataset written by veil encrypt-dataset (Parquet: ids, labels, ciphertexts) instead of encrypting vectors yourself: no key needed. The model is bound to the dataset's key: veil predict uses it with that key.");

    private int Run(ParseResult parseResult)
    {
        double fraction = parseResult.GetValue(TestFractionOption) is var f && f is > 0 and < 1 ? f
            : throw new CliUsageException("Invalid options: --test-fraction must be between 0 and 1.");
        string trainer = parseResult.GetRequiredValue(TrainerOption);
        if (parseResult.GetValue(CiphertextsOption) is { } ciphertexts)
        {
            return parseResult.GetValue(BetasOption) is null && !_input.IsGiven(parseResult) && !_key.IsGiven(parseResult)
                ? TrainOnCiphertexts(parseResult, ciphertexts, InvalidOptions(() => EvaluationArguments.ParseTrainer(trainer, "--trainer")), fraction)
                : throw new CliUsageException("Invalid options: --ciphertexts is the whole input and needs no key: give it without --betas, --input, --vectors, --labels or key options.");
        }

        return parseResult.GetValue(BetasOption) is { } betas
            ? Measure(parseResult, InvalidOptions(() => EvaluationArguments.ParseBetas(betas, "--betas")), trainer, fraction)
            : Train(parseResult, InvalidOptions(() => EvaluationArguments.ParseTrainer(trainer, "--trainer")), fraction);
    }

    private int Measure(ParseResult parseResult, double[] betas, string trainer, double fraction)
    {
        ClassifierTrainer[] trainers = InvalidOptions(() => EvaluationArguments.ParseTrainers(trainer, "--trainer"));
        LabelledVectors rows = _input.Load(parseResult, _console.Error, Name);
        IReadOnlyList<ClassifierUtilityResult> results = Invalid(() => ClassifierUtility.Sweep(
            new EvaluationData(rows.Vectors, rows.Labels),
            betas,
            trainers,
            parseResult.GetValue(SeedOption),
            new ClassifierUtilityOptions { TestFraction = fraction },
            new StderrProgress(_console.Error, Name)));
        _console.Output.Write(ClassifierUtilityReport.ToMarkdown(results));
        _console.Output.Flush();
        return ExitCodes.Success;
    }

    private int Train(ParseResult parseResult, ClassifierTrainer trainer, double fraction)
    {
        string model = parseResult.GetValue(ModelOption) ?? throw new CliUsageException("Invalid options: --model is required (or --betas to measure).");
        (SecretPath secretPath, DerivationPath derivationPath, TenantId tenant) = _key.Scope(parseResult);
        string metadata = Invalid(() => KeyBoundClassifier.MetadataPath(model));
        LabelledVectors rows = _input.Load(parseResult, _console.Error, Name);
        int[] labelled = Enumerable.Range(0, rows.Labels.Length).Where(i => rows.Labels[i] is not null).ToArray();
        return _key.Run(
            _console,
            parseResult,
            secretPath,
            client =>
            {
                KeyBoundClassifier classifier = Invalid(() => KeyBoundClassifier.Train(
                    client.Vector,
                    secretPath,
                    derivationPath,
                    tenant,
                    labelled.Select(i => rows.Vectors[i]).ToArray(),
                    labelled.Select(i => rows.Labels[i]!).ToArray(),
                    trainer,
                    parseResult.GetValue(SeedOption),
                    fraction,
                    new StderrProgress(_console.Error, Name)));
                return Saved(classifier, model, metadata);
            });
    }

    private int TrainOnCiphertexts(ParseResult parseResult, string ciphertexts, ClassifierTrainer trainer, double fraction)
    {
        string model = parseResult.GetValue(ModelOption) ?? throw new CliUsageException("Invalid options: --model is required.");
        string metadata = Invalid(() => KeyBoundClassifier.MetadataPath(model));
        OneWayDatasetContents dataset = OneWayDataset.Read(ciphertexts);
        LabelledVectors rows = dataset.Rows;
        _console.Error.WriteLine($"veil {Name}: {rows.Vectors.Length} one-way ciphertexts × {rows.Dimensions} from {ciphertexts} (key id {dataset.Key.KeyId} of \"{dataset.Key.SecretPath}\" for tenant \"{dataset.Key.Tenant}\")");
        int[] labelled = Enumerable.Range(0, rows.Labels.Length).Where(i => rows.Labels[i] is not null).ToArray();
        KeyBoundClassifier classifier = Invalid(() => KeyBoundClassifier.TrainOnCiphertexts(
            labelled.Select(i => rows.Vectors[i]).ToArray(),
            labelled.Select(i => rows.Labels[i]!).ToArray(),
            dataset.Key,
            trainer,
            parseResult.GetValue(SeedOption),
            fraction,
            new StderrProgress(_console.Error, Name)));
        return Saved(classifier, model, metadata);
    }

    private int Saved(KeyBoundClassifier classifier, string model, string metadata)
    {
        string json = classifier.Save(model);
        ClassifierModelInfo info = classifier.Info;
        _console.Error.WriteLine($"veil train: held-out accuracy {info.HeldOut.Accuracy:0.000}, macro-F1 {info.HeldOut.MacroF1:0.000} (majority baseline {info.Majority.Accuracy:0.000}); wrote {model} and {metadata}");
        _console.Output.WriteLine(json);
        _console.Output.Flush();
        return ExitCodes.Success;
    }

    /// <summary>Runs <paramref name="action"/>, turning the library's argument errors (bad data or options) into usage errors.</summary>
    internal static T Invalid<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"Invalid input: {e.Message}");
        }
    }
}
