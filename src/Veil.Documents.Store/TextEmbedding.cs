using Microsoft.Extensions.AI;

namespace Veil.Documents.Store;

/// <summary>
/// Documents whose vectors are embedded from one of their text fields during the ingest, instead of read from the
/// input (see <see cref="DocumentInput.WithTextEmbedding"/>): <see cref="BatchSize"/> texts per call to the
/// generator. The text field stays among the document's fields, encrypted with the standard secret.
/// </summary>
/// <param name="Field">The JSON field holding the text (for example <c>content</c>); every document must have it as a string.</param>
/// <param name="Generator">The embedding generator (for example an OnnxEmbeddingGenerator for all-MiniLM-L6-v2); the caller owns it.</param>
public sealed record TextEmbedding(string Field, IEmbeddingGenerator<string, Embedding<float>> Generator)
{
    private readonly int _batchSize = 64;

    /// <summary>Gets the texts per call to the generator (default 64).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int BatchSize
    {
        get => _batchSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _batchSize = value;
        }
    }
}
