using System.CommandLine;
using System.Text.Json;
using Veil.Cli.Demo;
using Veil.Cli.Store;

namespace Veil.Cli.Commands;

/// <summary>
/// Where <c>veil train</c> and <c>veil predict</c> read labelled vectors: a corpus directory (embeddings.bin and
/// records.jsonl; default: the shipped MiniLM corpus) or --vectors with --records; the label is a field of the records.
/// </summary>
internal sealed class LabelledVectorsInput
{
    internal Option<string> InputOption { get; } = new("--input")
    {
        Description = "A corpus directory holding embeddings.bin (raw float32 rows) and records.jsonl (row-aligned); default: the one shipped with veil.",
    };

    internal Option<string> VectorsOption { get; } = new("--vectors") { Description = "Raw little-endian float32 rows (with --records) instead of --input." };

    internal Option<string> RecordsOption { get; } = new("--records") { Description = "With --vectors: the row-aligned JSON Lines records (ids and labels)." };

    internal Option<string> LabelOption { get; } = new("--label")
    {
        Description = "The records' field holding the label.",
        DefaultValueFactory = _ => VeilDocument.CategoryField,
    };

    internal Option<int?> LimitOption { get; } = new("--limit") { Description = "Read only the first N rows." };

    public void AddTo(Command command)
    {
        command.Options.Add(InputOption);
        command.Options.Add(VectorsOption);
        command.Options.Add(RecordsOption);
        command.Options.Add(LabelOption);
        command.Options.Add(LimitOption);
    }

    /// <summary>The rows: ids, vectors and labels (null where a record has no such field).</summary>
    public LabelledVectors Load(ParseResult parseResult, TextWriter error, string command)
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

        string directory = input ?? DemoSettings.DefaultCorpusDirectory;
        vectors ??= Path.Combine(directory, "embeddings.bin");
        records ??= Path.Combine(directory, "records.jsonl");
        IEnumerable<VeilDocument> documents = DocumentSources.RawVectors(vectors, records, dimensions: null).Rows.Select(r => r.Document);
        if (parseResult.GetValue(LimitOption) is { } limit)
        {
            documents = limit >= 1 ? documents.Take(limit) : throw new CliUsageException("Invalid options: --limit must be at least 1.");
        }

        string field = parseResult.GetRequiredValue(LabelOption);
        VeilDocument[] all;
        try
        {
            all = documents.ToArray();
        }
        catch (DocumentInputException e)
        {
            throw new CliUsageException(e.Message);
        }

        error.WriteLine($"veil {command}: {all.Length} vectors from {vectors}");
        return new LabelledVectors(
            all.Select(d => d.Id).ToArray(),
            all.Select(d => d.Embedding!.Value.ToArray()).ToArray(),
            all.Select(d => Label(d, field)).ToArray());
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
