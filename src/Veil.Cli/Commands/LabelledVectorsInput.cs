using System.CommandLine;
using System.Text.Json;
using Veil.Documents.Store;

namespace Veil.Cli.Commands;

/// <summary>
/// Where <c>veil evaluate</c>, <c>veil train</c> and <c>veil predict</c> read labelled vectors: a corpus directory
/// (embeddings.bin and records.jsonl; default: the shipped MiniLM corpus), a JSON Lines or Parquet file (the inputs of
/// <c>veil ingest</c>), or --vectors with --records; the labels are a field of the records or a file of one per row.
/// </summary>
internal sealed class LabelledVectorsInput(int minimumRows)
{
    internal Option<string> InputOption { get; } = new("--input")
    {
        Description = "A corpus directory holding embeddings.bin (raw float32 rows) and records.jsonl (row-aligned), or a JSON Lines or Parquet file as veil ingest reads them; default: the corpus shipped with veil.",
    };

    internal Option<string> VectorsOption { get; } = new("--vectors") { Description = "Raw little-endian float32 rows (with --records) instead of --input." };

    internal Option<string> RecordsOption { get; } = new("--records") { Description = "With --vectors: the row-aligned JSON Lines records (ids and labels)." };

    internal Option<string> LabelsOption { get; } = new("--labels")
    {
        Description = "The labels: the name of a field of the records, or a file with one label per row.",
        DefaultValueFactory = _ => VeilDocument.CategoryField,
    };

    internal Option<int?> LimitOption { get; } = new("--limit") { Description = "Read only the first N rows." };

    public void AddTo(Command command)
    {
        command.Options.Add(InputOption);
        command.Options.Add(VectorsOption);
        command.Options.Add(RecordsOption);
        command.Options.Add(LabelsOption);
        command.Options.Add(LimitOption);
    }

    /// <summary>Whether any of the input options was given (so a caller with another source can refuse the mix).</summary>
    public bool IsGiven(ParseResult parseResult) =>
        parseResult.GetValue(InputOption) is not null || parseResult.GetValue(VectorsOption) is not null
        || parseResult.GetResult(LabelsOption) is { Implicit: false };

    /// <summary>The rows: ids, vectors (all of one dimension) and labels (null where a row has none).</summary>
    /// <exception cref="CliUsageException">The options do not fit together, or the input cannot be read.</exception>
    public LabelledVectors Load(ParseResult parseResult, TextWriter error, string command)
    {
        (string source, IEnumerable<VeilDocument> documents, Action dispose) = Open(parseResult);
        try
        {
            if (parseResult.GetValue(LimitOption) is { } limit)
            {
                documents = limit >= minimumRows ? documents.Take(limit) : throw new CliUsageException($"Invalid options: --limit must be at least {minimumRows}.");
            }

            VeilDocument[] all = documents.ToArray();
            if (all.Length < minimumRows)
            {
                throw new CliUsageException($"Invalid input: '{source}' has {all.Length} rows; at least {minimumRows} are needed.");
            }

            int dimensions = all[0].Embedding!.Value.Length;
            if (Array.FindIndex(all, d => d.Embedding!.Value.Length != dimensions) is var odd and >= 0)
            {
                throw new CliUsageException($"Invalid input: row {odd + 1} of '{source}' has {all[odd].Embedding!.Value.Length} dimensions; the first row has {dimensions}.");
            }

            error.WriteLine($"veil {command}: {all.Length} vectors × {dimensions} from {source}");
            return new LabelledVectors(
                all.Select(d => d.Id).ToArray(),
                all.Select(d => d.Embedding!.Value.ToArray()).ToArray(),
                Labels(parseResult.GetRequiredValue(LabelsOption), all));
        }
        catch (DocumentInputException e)
        {
            throw new CliUsageException(e.Message);
        }
        finally
        {
            dispose();
        }
    }

    private (string Source, IEnumerable<VeilDocument> Documents, Action Dispose) Open(ParseResult parseResult)
    {
        string? vectors = parseResult.GetValue(VectorsOption);
        string? records = parseResult.GetValue(RecordsOption);
        string? input = parseResult.GetValue(InputOption);
        if ((vectors is null) != (records is null))
        {
            throw new CliUsageException("Invalid options: --vectors and --records go together.");
        }

        if (vectors is not null && input is not null)
        {
            throw new CliUsageException("Invalid options: give either --input or --vectors with --records.");
        }

        if (input is not null && File.Exists(input))
        {
            if (ParquetDocuments.IsParquet(input))
            {
                return (input, ParquetDocuments.Open(input).Rows().Select(r => r.Document), () => { });
            }

            var reader = new StreamReader(input);
            return (input, DocumentSources.JsonLines(reader).Select(r => r.Document), reader.Dispose);
        }

        if (input is not null && !Directory.Exists(input))
        {
            throw new CliUsageException($"Invalid options: --input '{input}' is neither a file nor a corpus directory.");
        }

        string directory = input ?? DemoCommand.DefaultCorpusDirectory;
        vectors ??= Path.Combine(directory, "embeddings.bin");
        records ??= Path.Combine(directory, "records.jsonl");
        return (vectors, DocumentSources.RawVectors(vectors, records, dimensions: null).Rows.Select(r => r.Document), () => { });
    }

    /// <summary>One label per row: the lines of a file, or a field of each row (null where absent).</summary>
    private static string?[] Labels(string source, VeilDocument[] rows)
    {
        if (File.Exists(source))
        {
            string[] lines = File.ReadLines(source).Take(rows.Length).ToArray();
            return lines.Length == rows.Length ? lines.Select(l => l.Trim()).Select(l => l.Length > 0 ? l : null).ToArray()
                : throw new CliUsageException($"Invalid input: '{source}' has {lines.Length} labels for {rows.Length} rows.");
        }

        string?[] labels = rows.Select(d => Label(d, source)).ToArray();
        return labels.Any(l => l is not null) || source == VeilDocument.CategoryField ? labels
            : throw new CliUsageException($"Invalid options: --labels '{source}' is neither a file nor a field of the records.");
    }

    private static string? Label(VeilDocument document, string field)
    {
        if (field == VeilDocument.CategoryField)
        {
            return document.Category;
        }

        if (document.Fields is null)
        {
            return null;
        }

        using JsonDocument fields = JsonDocument.Parse(document.Fields);
        return fields.RootElement.TryGetProperty(field, out JsonElement value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null => null,
            _ => value.GetRawText(),
        }
        : null;
    }
}

/// <summary>Rows read by <see cref="LabelledVectorsInput"/>.</summary>
internal sealed record LabelledVectors(string[] Ids, float[][] Vectors, string?[] Labels);
