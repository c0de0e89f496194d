// The command exposes the experimental evaluation library (VEIL001) and says so in its description.
#pragma warning disable VEIL001

using System.CommandLine;
using System.Text.Json;
using Veil.Documents.Store;
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
        : base("predict", "Classify vectors with a model from veil train: encrypts them one-way with the key it was trained under (refused if the configuration's key differs) and prints {\"id\",\"label\"} lines; with labelled records, also the accuracy. Experimental (VEIL001).")
    {
        _console = console;
        _key.AddTo(this);
        Options.Add(ModelOption);
        _input.AddTo(this);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult)));
    }

    internal readonly Option<string> ModelOption = new("--model") { Description = "The model written by veil train (its .json metadata beside it).", Required = true };

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
                LabelledVectors rows = _input.Load(parseResult, _console.Error, Name);
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
