using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Veil.Documents.Store;

/// <summary>
/// Rows read whole for evaluation or training: ids, vectors (all of one dimension) and labels (null where a row has
/// none), from any <see cref="DocumentInput"/>.
/// </summary>
/// <param name="Ids">The rows' ids.</param>
/// <param name="Vectors">The rows' vectors.</param>
/// <param name="Labels">The rows' labels, null where a row has none.</param>
public sealed record LabelledVectors(string[] Ids, float[][] Vectors, string?[] Labels)
{
    /// <summary>Gets the vectors' dimension.</summary>
    public int Dimensions => Vectors.Length == 0 ? 0 : Vectors[0].Length;

    /// <summary>
    /// Opens the rows a command names: a JSON Lines or Parquet file (<paramref name="input"/>), a corpus directory
    /// holding <c>embeddings.bin</c> and <c>records.jsonl</c> (<paramref name="input"/>, else
    /// <paramref name="defaultCorpus"/>), or raw float32 <paramref name="vectors"/> with row-aligned
    /// <paramref name="records"/>. The messages name the options as <c>--input</c>, <c>--vectors</c> and <c>--records</c>.
    /// </summary>
    /// <param name="input">A file or corpus directory, or null.</param>
    /// <param name="vectors">A raw float32 file (with <paramref name="records"/>), or null.</param>
    /// <param name="records">The records of <paramref name="vectors"/>, or null.</param>
    /// <param name="defaultCorpus">The corpus directory used when neither is given.</param>
    /// <returns>What the rows are (for messages) and the input.</returns>
    /// <exception cref="DocumentStoreException">The options do not fit together, or <paramref name="input"/> is neither a file nor a directory.</exception>
    public static (string Source, DocumentInput Input) OpenSource(string? input, string? vectors, string? records, string defaultCorpus)
    {
        if ((vectors is null) != (records is null))
        {
            throw new DocumentStoreException("Invalid options: --vectors and --records go together.");
        }

        if (vectors is not null && input is not null)
        {
            throw new DocumentStoreException("Invalid options: give either --input or --vectors with --records.");
        }

        if (input is not null && System.IO.File.Exists(input))
        {
            return (input, DocumentInput.File(input));
        }

        if (input is not null && !Directory.Exists(input))
        {
            throw new DocumentStoreException($"Invalid options: --input '{input}' is neither a file nor a corpus directory.");
        }

        string directory = input ?? defaultCorpus;
        vectors ??= Path.Combine(directory, "embeddings.bin");
        // A corpus directory names its records records.jsonl (the shipped corpora) or corpus.jsonl.
        records ??= System.IO.File.Exists(Path.Combine(directory, "records.jsonl")) || !System.IO.File.Exists(Path.Combine(directory, "corpus.jsonl"))
            ? Path.Combine(directory, "records.jsonl")
            : Path.Combine(directory, "corpus.jsonl");
        return (vectors, DocumentInput.RawVectors(vectors, records, dimensions: null));
    }

    /// <summary>
    /// Opens (<see cref="OpenSource"/>) and reads (<see cref="Read"/>) the rows a command names, with the vectors
    /// embedded from a text field of the <paramref name="input"/> file when <paramref name="text"/> is given.
    /// </summary>
    /// <param name="input">A file or corpus directory, or null.</param>
    /// <param name="vectors">A raw float32 file (with <paramref name="records"/>), or null.</param>
    /// <param name="records">The records of <paramref name="vectors"/>, or null.</param>
    /// <param name="labels">A label file, or a record field.</param>
    /// <param name="defaultCorpus">The corpus directory used when neither <paramref name="input"/> nor <paramref name="vectors"/> is given.</param>
    /// <param name="minimumRows">The fewest rows the caller can use.</param>
    /// <param name="limit">Read only this many rows; null for all.</param>
    /// <param name="text">The text field to embed and its model, or null to read vectors.</param>
    /// <returns>The rows, and what they were read from (for messages).</returns>
    /// <exception cref="DocumentStoreException">The options do not fit together, too few rows, rows of different dimensions, or labels that fit neither way.</exception>
    /// <exception cref="DocumentInputException">A row cannot be read.</exception>
    public static (LabelledVectors Rows, string Source) Load(string? input, string? vectors, string? records, string labels, string defaultCorpus, int minimumRows, int? limit = null, TextEmbedding? text = null)
    {
        (string source, DocumentInput opened) = OpenSource(input, vectors, records, defaultCorpus);
        if (text is not null)
        {
            opened = input is not null && vectors is null ? opened.WithTextEmbedding(text)
                : throw new DocumentStoreException($"Invalid options: text to embed is read from a JSON Lines --input file (with the field \"{text.Field}\").");
        }

        return (Read(opened, source, labels, minimumRows, limit), source);
    }

    /// <summary>Embeds <paramref name="texts"/> with <paramref name="generator"/> as unlabelled rows with the ids 1, 2, … in order.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="generator">The embedding model.</param>
    /// <param name="cancellationToken">Cancels the embedding.</param>
    /// <returns>One row per text.</returns>
    public static async Task<LabelledVectors> EmbedAsync(IReadOnlyList<string> texts, IEmbeddingGenerator<string, Embedding<float>> generator, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(generator);
        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new LabelledVectors(
            Enumerable.Range(1, texts.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray(),
            embeddings.Select(e => e.Vector.ToArray()).ToArray(),
            new string?[texts.Count]);
    }

    /// <summary>
    /// Reads the rows of <paramref name="input"/> (the first <paramref name="limit"/>, when given) with a label each
    /// from <paramref name="labels"/>: the path of a file with one label per line, or a field of the records
    /// (<see cref="VeilDocument.CategoryField"/> for the category).
    /// </summary>
    /// <param name="input">The rows.</param>
    /// <param name="source">What the input is, for messages.</param>
    /// <param name="labels">A label file, or a record field.</param>
    /// <param name="minimumRows">The fewest rows the caller can use.</param>
    /// <param name="limit">Read only this many rows; null for all.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="DocumentStoreException">Too few rows, rows of different dimensions, or labels that fit neither way.</exception>
    /// <exception cref="DocumentInputException">A row cannot be read.</exception>
    public static LabelledVectors Read(DocumentInput input, string source, string labels, int minimumRows, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(labels);
        if (limit < minimumRows)
        {
            throw new DocumentStoreException(string.Create(CultureInfo.InvariantCulture, $"Invalid options: the limit must be at least {minimumRows}."));
        }

        DocumentInput.Opened opened = input.Open(new StoreLocation("none", string.Empty));
        try
        {
            IEnumerable<VeilDocument> documents = opened.Rows.Select(r => r.Document);
            VeilDocument[] all = (limit is { } n ? documents.Take(n) : documents).ToArray();
            if (all.Length < minimumRows)
            {
                throw new DocumentStoreException(string.Create(CultureInfo.InvariantCulture, $"Invalid input: '{source}' has {all.Length} rows; at least {minimumRows} are needed."));
            }

            int dimensions = all[0].Embedding!.Value.Length;
            if (Array.FindIndex(all, d => d.Embedding!.Value.Length != dimensions) is var odd and >= 0)
            {
                throw new DocumentStoreException(string.Create(
                    CultureInfo.InvariantCulture, $"Invalid input: row {odd + 1} of '{source}' has {all[odd].Embedding!.Value.Length} dimensions; the first row has {dimensions}."));
            }

            return new LabelledVectors(
                all.Select(d => d.Id).ToArray(),
                all.Select(d => d.Embedding!.Value.ToArray()).ToArray(),
                ReadLabels(labels, all));
        }
        finally
        {
            opened.Owned?.Dispose();
        }
    }

    /// <summary>One label per row: the lines of a file, or a field of each row (null where absent).</summary>
    private static string?[] ReadLabels(string source, VeilDocument[] rows)
    {
        if (File.Exists(source))
        {
            string[] lines = File.ReadLines(source).Take(rows.Length).ToArray();
            return lines.Length == rows.Length ? lines.Select(l => l.Trim()).Select(l => l.Length > 0 ? l : null).ToArray()
                : throw new DocumentStoreException(string.Create(CultureInfo.InvariantCulture, $"Invalid input: '{source}' has {lines.Length} labels for {rows.Length} rows."));
        }

        string?[] labels = rows.Select(d => Label(d, source)).ToArray();
        return labels.Any(l => l is not null) || source == VeilDocument.CategoryField ? labels
            : throw new DocumentStoreException($"Invalid options: the labels '{source}' are neither a file nor a field of the records.");
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
