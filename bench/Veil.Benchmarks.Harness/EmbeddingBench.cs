using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Veil.Embeddings.Onnx;

namespace Veil.Benchmarks.Harness;

/// <summary>Texts per second of the all-MiniLM-L6-v2 add-on at one sequence length.</summary>
/// <param name="Tokens">The sequence length.</param>
/// <param name="TextsPerSecond">The median throughput.</param>
public sealed record EmbeddingBenchRow(int Tokens, double TextsPerSecond);

/// <summary>The embedding measurement of <c>veil bench</c>.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Texts">Texts per pass.</param>
/// <param name="BatchSize">Texts per batch.</param>
/// <param name="Rounds">Timed passes.</param>
/// <param name="Rows">One row per sequence length; empty when the add-on is not installed.</param>
public sealed record EmbeddingBenchResult(string Model, int Texts, int BatchSize, int Rounds, IReadOnlyList<EmbeddingBenchRow> Rows);

/// <summary>
/// <c>veil bench</c>'s embedding row, when the all-MiniLM-L6-v2 add-on is installed: texts per second at 128 and 256
/// tokens (each text exactly that long), in batches of 32 (ONNX Runtime runs each batch on every core); the median of
/// <see cref="Rounds"/> timed passes over the texts after one warm-up batch.
/// </summary>
public static class EmbeddingBench
{
    /// <summary>Timed passes; the median is reported.</summary>
    public const int Rounds = 3;

    /// <summary>Texts per batch.</summary>
    public const int BatchSize = 32;

    /// <summary>Texts per pass by default.</summary>
    public const int DefaultTexts = 64;
    private static readonly int[] s_tokens = [128, 256];

    // Common English words are one WordPiece token each.
    private static readonly string[] s_words = ["the", "key", "holder", "encrypts", "each", "vector", "before", "it", "reaches", "a", "store", "and", "search", "still", "works"];

    /// <summary>Measures; null when <paramref name="texts"/> is 0; no rows when the add-on is not installed.</summary>
    /// <param name="texts">Texts per pass (0 skips the measurement).</param>
    /// <param name="packagesFolder">The NuGet global packages folder the add-on is looked for in (null: NuGet's default).</param>
    /// <param name="progress">Where progress lines go.</param>
    /// <returns>The result.</returns>
    public static EmbeddingBenchResult? Measure(int texts, string? packagesFolder, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        if (texts <= 0)
        {
            return null;
        }

        if (PackagedModel.MiniLm.Find(packagesFolder) is null)
        {
            return new EmbeddingBenchResult(PackagedModel.MiniLm.Name, texts, BatchSize, Rounds, []);
        }

        var rows = new List<EmbeddingBenchRow>();
        foreach (int tokens in s_tokens)
        {
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: measuring {PackagedModel.MiniLm.Name} at {tokens} tokens …"));
            using OnnxEmbeddingGenerator generator = PackagedModel.MiniLm.Open(packagesFolder, new OnnxEmbeddingGeneratorOptions { MaxTokens = tokens, BatchSize = BatchSize });
            string[] batch = Texts(texts, tokens);
            _ = generator.GenerateAsync(batch.Take(Math.Min(BatchSize, texts))).GetAwaiter().GetResult();
            var perSecond = new double[Rounds];
            for (int round = 0; round < Rounds; round++)
            {
                long start = Stopwatch.GetTimestamp();
                _ = generator.GenerateAsync(batch).GetAwaiter().GetResult();
                perSecond[round] = texts / Stopwatch.GetElapsedTime(start).TotalSeconds;
            }

            Array.Sort(perSecond);
            rows.Add(new EmbeddingBenchRow(tokens, perSecond[Rounds / 2]));
        }

        return new EmbeddingBenchResult(PackagedModel.MiniLm.Name, texts, BatchSize, Rounds, rows);
    }

    /// <summary>Writes the result as the text table of <c>veil bench</c> (nothing when it is null).</summary>
    /// <param name="o">Where to write.</param>
    /// <param name="result">The result.</param>
    /// <param name="installCommand">The command that installs the add-on, named when it is missing.</param>
    public static void WriteTable(TextWriter o, EmbeddingBenchResult? result, string installCommand)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (result is null)
        {
            return;
        }

        if (result.Rows.Count == 0)
        {
            o.WriteLine();
            o.WriteLine($"Text embedding: not measured (no model; install the all-MiniLM-L6-v2 add-on with: {installCommand}).");
            return;
        }

        o.WriteLine();
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Text embedding, {result.Model} (ONNX Runtime, fp32, batches of {result.BatchSize}, every core):"));
        o.WriteLine("   tokens   texts/s");
        foreach (EmbeddingBenchRow row in result.Rows)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row.Tokens,9} {row.TextsPerSecond,9:F1}"));
        }

        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median of {result.Rounds} passes over {result.Texts} texts of exactly that many tokens, after a warm-up batch."));
    }

    /// <summary>Writes the result as the <c>"embedding"</c> property of the JSON report (nothing without rows).</summary>
    /// <param name="writer">The report's writer, inside its object.</param>
    /// <param name="result">The result.</param>
    public static void WriteJson(Utf8JsonWriter writer, EmbeddingBenchResult? result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (result is not { Rows.Count: > 0 })
        {
            return;
        }

        writer.WriteStartObject("embedding");
        writer.WriteString("model", result.Model);
        writer.WriteNumber("texts", result.Texts);
        writer.WriteNumber("batchSize", result.BatchSize);
        writer.WriteNumber("rounds", result.Rounds);
        writer.WriteStartArray("rows");
        foreach (EmbeddingBenchRow row in result.Rows)
        {
            writer.WriteStartObject();
            writer.WriteNumber("tokens", row.Tokens);
            writer.WriteNumber("textsPerSecond", Math.Round(row.TextsPerSecond, 2));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary><paramref name="count"/> texts that tokenise to exactly <paramref name="tokens"/> tokens with [CLS] and [SEP].</summary>
    private static string[] Texts(int count, int tokens)
    {
        var random = new Random(20261204);
        return Enumerable.Range(0, count)
            .Select(_ => string.Join(' ', Enumerable.Range(0, tokens - 2).Select(_ => s_words[random.Next(s_words.Length)])))
            .ToArray();
    }
}
