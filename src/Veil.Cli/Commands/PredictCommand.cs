// The command exposes the experimental evaluation library (VEIL001) and says so in its description.
#pragma warning disable VEIL001

using System.CommandLine;
using System.Text.Json;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;
using Veil.Evaluation.Training;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil predict</c>: loads a model saved by <c>veil train</c>, refuses unless the configuration holds the key it was
/// trained under, encrypts the input vectors one-way with that key and prints one <c>{"id","label"}</c> line per row.
/// </summary>
internal sealed class PredictCommand : Command
{
    private readonly CliConsole _console;
    private readonly LabelledVectorsInput _input = new(minimumRows: 1);
    private readonly ModelKeyOptions _key = new();

    public PredictCommand(CliConsole console)
        : base("predict", "Classify vectors, or texts (--text, or --input with --text-field: embedded locally first), with a model from veil train: encrypts them one-way with the key it was trained under (refused if the configuration's key differs) and prints {\"id\",\"label\"} lines; with labelled records, also the accuracy. Experimental (VEIL001).")
    {
        _console = console;
        _key.AddTo(this);
        this.Add(ModelOption, TextOption, TextFieldOption, EmbeddingModelOption, VocabularyOption);
        _input.AddTo(this);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult)));
    }

    internal readonly Option<string> ModelOption = new("--model") { Description = "The model written by veil train (its .json metadata beside it).", Required = true };

    internal readonly Option<string[]> TextOption = Opt<string[]>("--text", "A text to classify (repeat for more): embedded locally with the all-MiniLM-L6-v2 add-on (or --embedding-model), then encrypted and classified; printed ids are 1, 2, … in order.");
    internal readonly Option<string> TextFieldOption = Opt<string>("--text-field", "With --input JSON Lines or Parquet: embed this field of each row (as --text does) instead of reading vectors.");
    internal readonly Option<string> EmbeddingModelOption = Opt<string>("--embedding-model", "With --text or --text-field: " + TextModel.ModelDescription);
    internal readonly Option<string> VocabularyOption = Opt<string>("--vocab", "With --embedding-model: the model's WordPiece vocab.txt.");

    private int Run(ParseResult parseResult)
    {
        string model = parseResult.GetRequiredValue(ModelOption);
        (SecretPath secretPath, DerivationPath derivationPath, TenantId tenant) = _key.Scope(parseResult);
        return _key.Run(
            _console,
            parseResult,
            secretPath,
            client =>
            {
                KeyBoundClassifier classifier = Load(model, client, secretPath, derivationPath, tenant);
                LabelledVectors rows = Rows(parseResult);
                string[] predicted = TrainCommand.Invalid(() => classifier.Predict(rows.Vectors));
                for (int i = 0; i < predicted.Length; i++)
                {
                    _console.Output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = rows.Ids[i], ["label"] = predicted[i] }));
                }

                int[] labelled = Enumerable.Range(0, rows.Labels.Length).Where(i => rows.Labels[i] is not null).ToArray();
                if (labelled.Length > 0)
                {
                    ClassificationScores scores = ClassificationScores.Score(labelled.Select(i => rows.Labels[i]!).ToArray(), labelled.Select(i => predicted[i]).ToArray());
                    _console.Error.WriteLine($"veil predict: accuracy {scores.Accuracy:0.000}, macro-F1 {scores.MacroF1:0.000} on the {labelled.Length} labelled rows");
                }

                _console.Output.Flush();
                return ExitCodes.Success;
            });
    }

    /// <summary>The vectors to classify: read, embedded from --text, or embedded from --input's --text-field.</summary>
    private LabelledVectors Rows(ParseResult parseResult)
    {
        string[] texts = parseResult.GetValue(TextOption) ?? [];
        string? field = parseResult.GetValue(TextFieldOption);
        if (texts.Length > 0 && (field is not null || _input.IsGiven(parseResult)))
        {
            throw new CliUsageException("Invalid options: --text is the whole input: give it without --input, --vectors, --labels or --text-field.");
        }

        if (texts.Length == 0 && field is null)
        {
            return (parseResult.GetValue(EmbeddingModelOption) ?? parseResult.GetValue(VocabularyOption)) is null ? _input.Load(parseResult, _console.Error, Name)
                : throw new CliUsageException("Invalid options: --embedding-model and --vocab go with --text or --text-field.");
        }

        using OnnxEmbeddingGenerator generator = TextModel.Open(parseResult.GetValue(EmbeddingModelOption), parseResult.GetValue(VocabularyOption));
        if (field is not null)
        {
            return _input.Load(parseResult, _console.Error, Name, new TextEmbedding(field, generator));
        }

        float[][] vectors = generator.EmbedAsync(texts).GetAwaiter().GetResult();
        return new LabelledVectors(
            Enumerable.Range(1, texts.Length).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            vectors,
            new string?[texts.Length]);
    }

    private static KeyBoundClassifier Load(string model, VeilClient client, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        if (!File.Exists(model))
        {
            throw new CliUsageException($"Invalid options: the model '{model}' does not exist.");
        }

        try
        {
            return TrainCommand.Invalid(() => KeyBoundClassifier.Load(model, client.Vector, secretPath, derivationPath, tenant));
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
