namespace Veil.Embeddings.Onnx;

/// <summary>Tokenisation, batching and pooling options of an <see cref="OnnxEmbeddingGenerator"/>.</summary>
public sealed class OnnxEmbeddingGeneratorOptions
{
    private int _maxTokens = 256;
    private int _batchSize = 32;

    /// <summary>
    /// The most tokens per text, <c>[CLS]</c> and <c>[SEP]</c> included (default 256, all-MiniLM-L6-v2's training
    /// length); longer texts are truncated.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 3.</exception>
    public int MaxTokens
    {
        get => _maxTokens;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 3);
            _maxTokens = value;
        }
    }

    /// <summary>How many texts go through the model in one run (default 32).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int BatchSize
    {
        get => _batchSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _batchSize = value;
        }
    }

    /// <summary>Whether text is lower-cased before tokenisation (default true, as for uncased BERT vocabularies).</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>Whether embeddings are L2-normalised (default true, as sentence-transformers does for MiniLM).</summary>
    public bool Normalize { get; set; } = true;
}
