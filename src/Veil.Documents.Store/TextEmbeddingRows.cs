using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Veil.Documents.Store;

/// <summary>
/// The streamed embedding step of a text ingest: reads <see cref="TextEmbedding.BatchSize"/> documents, embeds their
/// text field in one generator call, and yields them with their vectors, in input order. Only one batch is held.
/// </summary>
internal static class TextEmbeddingRows
{
    public static IEnumerable<(long Line, VeilDocument Document)> Embed(
        IEnumerable<(long Line, VeilDocument Document)> rows, TextEmbedding embedding, string unit, CancellationToken cancellationToken)
    {
        var batch = new List<(long Line, VeilDocument Document)>(embedding.BatchSize);
        var texts = new List<string>(embedding.BatchSize);
        foreach ((long line, VeilDocument document) in rows)
        {
            batch.Add((line, document));
            texts.Add(Text(document, embedding.Field, line, unit));
            if (batch.Count == embedding.BatchSize)
            {
                foreach ((long Line, VeilDocument Document) row in Flush(batch, texts, embedding, unit, cancellationToken))
                {
                    yield return row;
                }
            }
        }

        foreach ((long Line, VeilDocument Document) row in Flush(batch, texts, embedding, unit, cancellationToken))
        {
            yield return row;
        }
    }

    private static List<(long Line, VeilDocument Document)> Flush(
        List<(long Line, VeilDocument Document)> batch, List<string> texts, TextEmbedding embedding, string unit, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return [];
        }

        cancellationToken.ThrowIfCancellationRequested();

        // The ingest pipeline is a synchronous enumerable; local generators (ONNX Runtime) compute synchronously anyway.
        GeneratedEmbeddings<Embedding<float>> vectors = embedding.Generator.GenerateAsync(texts, cancellationToken: cancellationToken).GetAwaiter().GetResult();
        if (vectors.Count != texts.Count)
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture, $"The embedding generator returned {vectors.Count} embeddings for {texts.Count} texts."));
        }

        var result = new List<(long Line, VeilDocument Document)>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            (long line, VeilDocument document) = batch[i];
            ReadOnlyMemory<float> vector = vectors[i].Vector;
            if (vector.Length == 0 || !AllFinite(vector.Span))
            {
                throw new DocumentInputException(line, $"the embedding of \"{document.Id}\" is empty or not finite", unit: unit);
            }

            document.Embedding = vector;
            result.Add((line, document));
        }

        batch.Clear();
        texts.Clear();
        return result;
    }

    /// <summary>The text field; the message names the field, never a value.</summary>
    private static string Text(VeilDocument document, string field, long line, string unit)
    {
        if (document.Fields is not null)
        {
            using JsonDocument fields = JsonDocument.Parse(document.Fields);
            if (fields.RootElement.TryGetProperty(DocumentJson.VectorField, out _))
            {
                throw new DocumentInputException(line, $"\"{document.Id}\" has a \"{DocumentJson.VectorField}\" as well as the text field \"{field}\" to embed; give one or the other", unit: unit);
            }

            if (fields.RootElement.TryGetProperty(field, out JsonElement value) && value.ValueKind == JsonValueKind.String)
            {
                return value.GetString()!;
            }
        }

        throw new DocumentInputException(line, $"\"{document.Id}\" has no string field \"{field}\" to embed", unit: unit);
    }

    private static bool AllFinite(ReadOnlySpan<float> vector)
    {
        foreach (float value in vector)
        {
            if (!float.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }
}
