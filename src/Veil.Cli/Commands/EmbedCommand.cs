using Veil.Cli.Commands.OptionGroups;
using Veil.Documents.Store;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil embed</c>: embeds a text field of every line of a JSON Lines file (gzip or not) locally and writes the
/// vectors as raw float32 rows beside it, restartable (<see cref="TextFileEmbedding.Embed"/>). Plaintext vectors: no
/// key is involved; encrypt them with <c>veil ingest --vectors</c> or <c>veil encrypt-dataset</c>.
/// </summary>
internal sealed class EmbedCommand : VeilCommand
{
    private readonly Option<string> _input = new("--input") { Description = "JSON Lines (gzip-compressed or not), each line with an \"id\" and the text field.", Required = true };
    private readonly Option<string> _textField = new("--text-field") { Description = "The field to embed (for example text).", Required = true };
    private readonly Option<string> _output = new("--output") { Description = "The raw little-endian float32 rows to write (carried on if it already holds rows of this model and input).", Required = true };
    private readonly Option<int> _batchSize = Opt("--batch-size", "Texts per model call (and per flush to disk: an interruption loses at most one batch).", 64).AtLeastOne();
    private readonly TextModelOptions _textModel = new();

    public EmbedCommand(CliConsole console)
        : base(console, "embed", "Embed a text field of every line of a JSON Lines file (gzip or not) with the all-MiniLM-L6-v2 add-on (or --model) into raw float32 vectors, row-aligned with the lines (the --vectors of ingest, train, evaluate, encrypt-dataset). Plaintext vectors, no key. Run it again after an interruption: it carries on after the rows already written.")
    {
        this.Add(_input, _textField, _output, _batchSize);
        _textModel.AddTo(this);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult, cancellationToken)));
    }

    private int Run(ParseResult parseResult, CancellationToken cancellationToken)
    {
        string output = parseResult.GetRequiredValue(_output);
        using var generator = _textModel.Open(parseResult);
        try
        {
            var text = new TextEmbedding(parseResult.GetRequiredValue(_textField), generator) { BatchSize = parseResult.GetValue(_batchSize) };
            var progress = new TextProgress(Terminal.Error, "veil embed", "texts", total: null);
            TextFileEmbeddingResult result = TextFileEmbedding.Embed(parseResult.GetRequiredValue(_input), output, text, progress, cancellationToken);
            string resumed = result.Resumed > 0 ? $" (carried on after the {result.Resumed} rows already there)" : string.Empty;
            Terminal.Error.WriteLine($"veil embed: wrote {result.Embedded} vectors × {result.Dimensions}{resumed}; {output} holds {result.Total} rows");
            return ExitCodes.Success;
        }
        catch (DocumentInputException e)
        {
            throw new CliUsageException(e.Message, e);
        }
    }
}
