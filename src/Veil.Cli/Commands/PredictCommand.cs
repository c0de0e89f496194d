// The command exposes the experimental evaluation library (VEIL001) and says so in its description.
#pragma warning disable VEIL001

using System.Text.Json;
using Veil.Cli.Commands.OptionGroups;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;
using Veil.Evaluation.Training;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil predict</c>: loads a model saved by <c>veil train</c> with the configuration's key
/// (<see cref="KeyBoundClassifier.Load"/>, refused unless it is the key the model was trained under), classifies the
/// input vectors or texts (<see cref="KeyBoundClassifier.PredictAndScore"/>) and prints one <c>{"id","label"}</c> line per row.
/// </summary>
internal sealed class PredictCommand : Command
{
    private readonly CliConsole _console;
    private readonly LabelledVectorsInput _input = new(minimumRows: 1);
    private readonly ModelKeyOptions _key = new();
    private readonly TextModelOptions _textModel = new("--embedding-model", "With --text or --text-field: ");
    private readonly Option<string> _model = Opt<string>("--model", "The model written by veil train (its .json metadata beside it).").AsRequired();
    private readonly Option<string[]> _text = Opt<string[]>("--text", "A text to classify (repeat for more): embedded locally with the all-MiniLM-L6-v2 add-on (or --embedding-model), then encrypted and classified; printed ids are 1, 2, … in order.");
    private readonly Option<string> _textField = Opt<string>("--text-field", "With --input JSON Lines or Parquet: embed this field of each row (as --text does) instead of reading vectors.");

    public PredictCommand(CliConsole console)
        : base("predict", "Classify vectors, or texts (--text, or --input with --text-field: embedded locally first), with a model from veil train: encrypts them one-way with the key it was trained under (refused if the configuration's key differs) and prints {\"id\",\"label\"} lines; with labelled records, also the accuracy. Experimental (VEIL001).")
    {
        _console = console;
        _key.AddTo(this);
        this.Add(_model, _text, _textField);
        _textModel.AddTo(this);
        _input.AddTo(this);
        SetAction(Run);
    }

    private int Run(ParseResult parseResult)
    {
        string model = parseResult.GetRequiredValue(_model);
        (SecretPath secretPath, DerivationPath derivationPath, TenantId tenant) = _key.Scope(parseResult);
        return _key.Run(_console, parseResult, secretPath, client =>
        {
            KeyBoundClassifier classifier = Load(() => KeyBoundClassifier.Load(model, client.Vector, secretPath, derivationPath, tenant));
            LabelledVectors rows = Rows(parseResult);
            ClassifierPredictions predictions = classifier.PredictAndScore(rows.Vectors, rows.Labels);
            for (int i = 0; i < rows.Ids.Length; i++)
            {
                _console.Output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = rows.Ids[i], ["label"] = predictions.Labels[i] }));
            }

            if (predictions.Scores is { } scores)
            {
                _console.Error.WriteLine($"veil predict: accuracy {scores.Accuracy:0.000}, macro-F1 {scores.MacroF1:0.000} on the {predictions.Scored} labelled rows");
            }

            return ExitCodes.Success;
        });
    }

    /// <summary>The vectors to classify: read, embedded from --text, or embedded from --input's --text-field.</summary>
    private LabelledVectors Rows(ParseResult parseResult)
    {
        string[] texts = parseResult.GetValue(_text) ?? [];
        string? field = parseResult.GetValue(_textField);
        if (texts.Length > 0 && (field is not null || _input.IsGiven(parseResult)))
        {
            throw new CliUsageException("Invalid options: --text is the whole input: give it without --input, --vectors, --labels or --text-field.");
        }

        if (texts.Length == 0 && field is null)
        {
            return !_textModel.IsGiven(parseResult) ? _input.Load(parseResult, _console.Error, Name)
                : throw new CliUsageException("Invalid options: --embedding-model and --vocab go with --text or --text-field.");
        }

        using OnnxEmbeddingGenerator generator = _textModel.Open(parseResult);
        return field is not null ? _input.Load(parseResult, _console.Error, Name, new TextEmbedding(field, generator))
            : LabelledVectors.EmbedAsync(texts, generator).GetAwaiter().GetResult();
    }

    /// <summary>Runs the load, reporting another key or a missing or damaged model as a usage error.</summary>
    private static KeyBoundClassifier Load(Func<KeyBoundClassifier> load)
    {
        try
        {
            return load();
        }
        catch (ClassifierKeyMismatchException e)
        {
            throw new CliUsageException($"Refused: {e.Message}");
        }
        catch (InvalidDataException e)
        {
            throw new CliUsageException($"Invalid model: {e.Message}");
        }
    }
}
