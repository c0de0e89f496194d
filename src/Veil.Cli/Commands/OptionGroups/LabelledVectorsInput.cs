using Veil.Documents.Store;

namespace Veil.Cli.Commands.OptionGroups;

/// <summary>
/// Where <c>veil evaluate</c>, <c>veil train</c> and <c>veil predict</c> read labelled vectors: a corpus directory
/// (embeddings.bin and records.jsonl; default: the shipped MiniLM corpus), a JSON Lines or Parquet file (the inputs of
/// <c>veil ingest</c>), or --vectors with --records; the labels are a field of the records or a file of one per row.
/// </summary>
internal sealed class LabelledVectorsInput(int minimumRows)
{
    internal readonly Option<string> InputOption = Opt<string>("--input", "A corpus directory holding embeddings.bin (raw float32 rows) and records.jsonl (row-aligned), or a JSON Lines or Parquet file as veil ingest reads them; default: the corpus shipped with veil.");
    internal readonly Option<string> VectorsOption = new("--vectors") { Description = "Raw little-endian float32 rows (with --records) instead of --input." };
    internal readonly Option<string> RecordsOption = new("--records") { Description = "With --vectors: the row-aligned JSON Lines records (ids and labels)." };
    internal readonly Option<string> LabelsOption = Opt<string>("--labels", "The labels: the name of a field of the records, or a file with one label per row.", VeilDocument.CategoryField);
    internal readonly Option<int?> LimitOption = new("--limit") { Description = "Read only the first N rows." };

    public void AddTo(Command command) => command.Add(InputOption, VectorsOption, RecordsOption, LabelsOption, LimitOption);

    /// <summary>Whether any of the input options was given (so a caller with another source can refuse the mix).</summary>
    public bool IsGiven(ParseResult parseResult) =>
        parseResult.GetValue(InputOption) is not null || parseResult.GetValue(VectorsOption) is not null
        || parseResult.GetResult(LabelsOption) is { Implicit: false };

    /// <summary>
    /// The rows (<see cref="LabelledVectors.Load"/>): ids, vectors (all of one dimension) and labels (null where a row
    /// has none), with the vectors embedded from a text field of JSON Lines input when <paramref name="text"/> is given.
    /// </summary>
    /// <exception cref="CliUsageException">The input cannot be read.</exception>
    public LabelledVectors Load(ParseResult parseResult, TextWriter error, string command, TextEmbedding? text = null)
    {
        try
        {
            (LabelledVectors rows, string source) = LabelledVectors.Load(
                parseResult.GetValue(InputOption), parseResult.GetValue(VectorsOption), parseResult.GetValue(RecordsOption), parseResult.GetRequiredValue(LabelsOption), DemoCommand.DefaultCorpusDirectory, minimumRows, parseResult.GetValue(LimitOption), text);
            error.WriteLine($"veil {command}: {rows.Vectors.Length} vectors × {rows.Dimensions} from {source}");
            return rows;
        }
        catch (DocumentInputException e)
        {
            throw new CliUsageException(e.Message);
        }
    }
}
