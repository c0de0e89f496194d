// The command exposes the experimental evaluation library (VEIL001) and says so in its description.
#pragma warning disable VEIL001

using Veil.Cli.Commands.OptionGroups;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;
using Veil.Evaluation.Training;
using Veil.Keys;
using Veil.Protocol;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil predict</c>: loads a model saved by <c>veil train</c> with the configuration's key
/// (<see cref="KeyBoundClassifier.Load"/>, refused unless it is the key the model was trained under), classifies the
/// input vectors or texts (<see cref="KeyBoundClassifier.PredictAndScore"/>) and prints one <c>{"id","label"}</c> line per row.
/// </summary>
internal sealed class PredictCommand : VeilCommand
{
    private readonly LabelledVectorsInput _input = new(minimumRows: 1);
    private readonly ClientOptions _client = new();
    private readonly KeyScopeOptions _scope = new(required: false);
    private readonly TextModelOptions _textModel = new("--embedding-model", "With --text or --text-field: ");
    private readonly Option<string> _model = new("--model") { Description = "The model written by veil train (its .json metadata beside it).", Required = true };
    private readonly Option<string[]> _text = Opt<string[]>("--text", "A text to classify (repeat for more): embedded locally with the all-MiniLM-L6-v2 add-on (or --embedding-model), then encrypted and classified; printed ids are 1, 2, … in order.");
    private readonly Option<string> _textField = Opt<string>("--text-field", "With --input JSON Lines or Parquet: embed this field of each row (as --text does) instead of reading vectors.");

    public PredictCommand(CliConsole console)
        : base(console, "predict", "Classify vectors, or texts (--text, or --input with --text-field: embedded locally first), with a model from veil train: encrypts them one-way with the key it was trained under (refused if the configuration's key differs) and prints {\"id\",\"label\"} lines; with labelled records, also the accuracy. Experimental (VEIL001).")
    {
        _client.AddTo(this);
        _scope.AddTo(this);
        this.Add(_model, _text, _textField);
        _textModel.AddTo(this);
        _input.AddTo(this);
        SetAction(Run);
    }

    private int Run(ParseResult parseResult)
    {
        string model = parseResult.GetRequiredValue(_model);
        OperationScope scope = _scope.Read(parseResult);
        return _client.Run(parseResult, Terminal, c => c.EnsureConfigured(KeysetSection.Vector, scope.SecretPath), client =>
        {
            KeyBoundClassifier classifier;
            try
            {
                classifier = KeyBoundClassifier.Load(model, client.Vector, scope.SecretPath, scope.DerivationPath, scope.Tenant);
            }
            catch (InvalidDataException e)
            {
                throw new CliUsageException($"Invalid model: {e.Message}", e);
            }

            LabelledVectors rows = Rows(parseResult);
            ClassifierPredictions predictions = classifier.PredictAndScore(rows.Vectors, rows.Labels);
            predictions.WriteJsonLines(Terminal.Output, rows.Ids);
            if (predictions.Scores is { } scores)
            {
                Terminal.Error.WriteLine($"veil predict: accuracy {scores.Accuracy:0.000}, macro-F1 {scores.MacroF1:0.000} on the {predictions.Scored} labelled rows");
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

        using OnnxEmbeddingGenerator? generator = _textModel.OpenIf(parseResult, texts.Length > 0 || field is not null, "--text or --text-field");
        return generator is null ? _input.Load(parseResult, Terminal.Error, Name)
            : field is not null ? _input.Load(parseResult, Terminal.Error, Name, new TextEmbedding(field, generator))
            : LabelledVectors.EmbedAsync(texts, generator).GetAwaiter().GetResult();
    }
}
