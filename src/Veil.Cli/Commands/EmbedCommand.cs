using System.CommandLine;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil embed</c>: embeds a text field of every line of a JSON Lines file (gzip or not) locally and writes the
/// vectors as raw float32 rows beside it, restartable (see <see cref="TextFileEmbedding"/>). Plaintext vectors: no key
/// is involved; encrypt them with <c>veil ingest --vectors</c> or <c>veil encrypt-dataset</c>.
/// </summary>
internal sealed class EmbedCommand : Command
{
    private readonly CliConsole _console;

    public EmbedCommand(CliConsole console)
        : base("embed", "Embed a text field of every line of a JSON Lines file (gzip or not) with the all-MiniLM-L6-v2 add-on (or --model) into raw float32 vectors, row-aligned with the lines (the --vectors of ingest, train, evaluate, encrypt-dataset). Plaintext vectors, no key. Run it again after an interruption: it carries on after the rows already written.")
    {
        _console = console;
        this.Add(InputOption, TextFieldOption, OutputOption, BatchSizeOption, ModelOption, VocabularyOption);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult, cancellationToken)));
    }

    private readonly Option<string> InputOption = Opt<string>("--input", "JSON Lines (gzip-compressed or not), each line with an \"id\" and the text field.").AsRequired();
    private readonly Option<string> TextFieldOption = Opt<string>("--text-field", "The field to embed (for example text).").AsRequired();
    private readonly Option<string> OutputOption = Opt<string>("--output", "The raw little-endian float32 rows to write (carried on if it already holds rows of this model and input).").AsRequired();
    private readonly Option<int> BatchSizeOption = Opt("--batch-size", "Texts per model call (and per flush to disk: an interruption loses at most one batch).", 64);
    private readonly Option<string> ModelOption = Opt<string>("--model", TextModel.ModelDescription);
    private readonly Option<string> VocabularyOption = Opt<string>("--vocab", "With --model: the model's WordPiece vocab.txt.");

    private int Run(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            int batchSize = parseResult.GetValue(BatchSizeOption) is var b && b >= 1 ? b : throw new CliUsageException("Invalid options: --batch-size must be at least 1.");
            string output = parseResult.GetRequiredValue(OutputOption);
            using OnnxEmbeddingGenerator generator = TextModel.Open(parseResult.GetValue(ModelOption), parseResult.GetValue(VocabularyOption));
            var progress = new TextProgress(_console.Error, "veil embed", "texts", total: null);
            TextFileEmbeddingResult result = TextFileEmbedding.Embed(
                parseResult.GetRequiredValue(InputOption),
                output,
                new TextEmbedding(parseResult.GetRequiredValue(TextFieldOption), generator) { BatchSize = batchSize },
                progress,
                cancellationToken);
            string resumed = result.Resumed > 0 ? $" (carried on after the {result.Resumed} rows already there)" : string.Empty;
            _console.Error.WriteLine($"veil embed: wrote {result.Embedded} vectors × {result.Dimensions}{resumed}; {output} holds {result.Total} rows");
            return ExitCodes.Success;
        }
        catch (DocumentInputException e)
        {
            _console.Error.WriteLine(e.Message);
            return ExitCodes.InvalidOptions;
        }
    }
}
