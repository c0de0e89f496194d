using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace Veil.Embeddings.Onnx;

/// <summary>
/// Embeds text locally with a BERT-style sentence-embedding model in ONNX format (for example all-MiniLM-L6-v2 as
/// exported for sentence-transformers): WordPiece tokenisation with the model's <c>vocab.txt</c>, one ONNX Runtime run
/// per batch, mean pooling over the attention mask, then L2 normalisation.
/// </summary>
/// <remarks>
/// <para><b>Model interface.</b> Inputs <c>input_ids</c> and <c>attention_mask</c> (int64 [batch, sequence]) and,
/// when the model declares it, <c>token_type_ids</c> (all zeros). The first output is used: a
/// [batch, sequence, hidden] tensor (token states, mean-pooled over the unmasked tokens) or a [batch, hidden] tensor
/// (already a sentence embedding, used as is).</para>
/// <para><b>Privacy.</b> Everything runs in-process; no text leaves the machine. Put an encrypting generator after
/// this one (Veil.Extensions.AI's <c>UseVectorEncryption</c>) so that later middleware only sees ciphertext.</para>
/// <para><b>Thread safety.</b> Safe for concurrent use (ONNX Runtime sessions are); dispose it once.</para>
/// </remarks>
public sealed class OnnxEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private const string InputIds = "input_ids";
    private const string AttentionMask = "attention_mask";
    private const string TokenTypeIds = "token_type_ids";

    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly OnnxEmbeddingGeneratorOptions _options;
    private readonly bool _hasTokenTypes;
    private readonly string _output;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Loads the model and the vocabulary from files.</summary>
    /// <param name="modelPath">The ONNX model file.</param>
    /// <param name="vocabularyPath">The model's WordPiece vocabulary (<c>vocab.txt</c>, one token per line).</param>
    /// <param name="options">Tokenisation and pooling options; null for the defaults.</param>
    /// <exception cref="ArgumentException">A path is null or blank.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidOperationException">The model is not BERT-shaped (it lacks <c>input_ids</c> or
    /// <c>attention_mask</c>, or its output is not [batch, hidden] or [batch, sequence, hidden]), or ONNX Runtime cannot
    /// load it.</exception>
    public OnnxEmbeddingGenerator(string modelPath, string vocabularyPath, OnnxEmbeddingGeneratorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(vocabularyPath);
        _options = options ?? new OnnxEmbeddingGeneratorOptions();
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"The ONNX model '{modelPath}' does not exist.", modelPath);
        }

        if (!File.Exists(vocabularyPath))
        {
            throw new FileNotFoundException($"The vocabulary '{vocabularyPath}' does not exist.", vocabularyPath);
        }

        _tokenizer = BertTokenizer.Create(vocabularyPath, new BertOptions { LowerCaseBeforeTokenization = _options.LowerCase });
        _session = Load(() => new InferenceSession(modelPath), $"'{modelPath}'");
        (_hasTokenTypes, _output, Dimensions) = Inspect(_session, $"'{modelPath}'");
        _metadata = new EmbeddingGeneratorMetadata("onnxruntime", new Uri(Path.GetFullPath(modelPath)), Path.GetFileNameWithoutExtension(modelPath), Dimensions);
    }

    /// <summary>Loads the model and the vocabulary from memory (for example a model shipped inside a package).</summary>
    /// <param name="model">The ONNX model's bytes.</param>
    /// <param name="vocabulary">The model's WordPiece vocabulary (<c>vocab.txt</c>, one token per line); read to its end, not disposed.</param>
    /// <param name="modelId">The model's name, reported as <see cref="EmbeddingGeneratorMetadata.DefaultModelId"/>.</param>
    /// <param name="options">Tokenisation and pooling options; null for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="model"/> is empty or <paramref name="modelId"/> is blank.</exception>
    /// <exception cref="InvalidOperationException">The model is not BERT-shaped, or ONNX Runtime cannot load it.</exception>
    public OnnxEmbeddingGenerator(byte[] model, Stream vocabulary, string modelId, OnnxEmbeddingGeneratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        if (model.Length == 0)
        {
            throw new ArgumentException("The model is empty.", nameof(model));
        }

        _options = options ?? new OnnxEmbeddingGeneratorOptions();
        _tokenizer = BertTokenizer.Create(vocabulary, new BertOptions { LowerCaseBeforeTokenization = _options.LowerCase });
        _session = Load(() => new InferenceSession(model), modelId);
        (_hasTokenTypes, _output, Dimensions) = Inspect(_session, modelId);
        _metadata = new EmbeddingGeneratorMetadata("onnxruntime", defaultModelId: modelId, defaultModelDimensions: Dimensions);
    }

    /// <summary>The embedding dimension, when the model declares it (null when it is symbolic).</summary>
    public int? Dimensions { get; }

    /// <summary>Embeds each of <paramref name="values"/>.</summary>
    /// <inheritdoc/>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        string[] texts = values.ToArray();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Length);
        for (int start = 0; start < texts.Length; start += _options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (float[] vector in Embed(texts.AsSpan(start, Math.Min(_options.BatchSize, texts.Length - start))))
            {
                result.Add(new Embedding<float>(vector) { ModelId = _metadata.DefaultModelId, CreatedAt = DateTimeOffset.UtcNow });
            }
        }

        return Task.FromResult(result);
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType == typeof(InferenceSession) ? _session
            : null;
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();

    private static InferenceSession Load(Func<InferenceSession> create, string model)
    {
        try
        {
            return create();
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOperationException($"ONNX Runtime cannot load the model {model}: {e.Message}", e);
        }
    }

    /// <summary>Checks the model is BERT-shaped; returns whether it takes token types, its output and its dimension.</summary>
    private static (bool HasTokenTypes, string Output, int? Dimensions) Inspect(InferenceSession session, string model)
    {
        try
        {
            if (!session.InputMetadata.ContainsKey(InputIds) || !session.InputMetadata.ContainsKey(AttentionMask))
            {
                throw new InvalidOperationException(
                    $"The model {model} is not BERT-shaped: it needs inputs '{InputIds}' and '{AttentionMask}'; it has {string.Join(", ", session.InputMetadata.Keys)}.");
            }

            (string output, NodeMetadata metadata) = session.OutputMetadata.First();
            int[] shape = metadata.Dimensions;
            if (shape.Length is not (2 or 3))
            {
                throw new InvalidOperationException(
                    $"The model's output '{output}' has {shape.Length} dimensions; a sentence-embedding model gives [batch, hidden] or [batch, sequence, hidden].");
            }

            return (session.InputMetadata.ContainsKey(TokenTypeIds), output, shape[^1] > 0 ? shape[^1] : null);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private float[][] Embed(ReadOnlySpan<string> texts)
    {
        // Tokenise: [CLS] tokens… [SEP], truncated to MaxTokens, padded to the longest in the batch.
        var tokenized = new int[texts.Length][];
        for (int i = 0; i < texts.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(texts[i], nameof(texts));
            IReadOnlyList<int> tokens = _tokenizer.EncodeToIds(texts[i], addSpecialTokens: false);
            int kept = Math.Min(tokens.Count, _options.MaxTokens - 2);
            var row = new int[kept + 2];
            row[0] = _tokenizer.ClassificationTokenId;
            for (int t = 0; t < kept; t++)
            {
                row[t + 1] = tokens[t];
            }

            row[^1] = _tokenizer.SeparatorTokenId;
            tokenized[i] = row;
        }

        int batch = texts.Length;
        int sequence = tokenized.Max(r => r.Length);
        long[] inputIds = new long[batch * sequence];
        long[] mask = new long[batch * sequence];
        for (int i = 0; i < batch; i++)
        {
            Array.Fill(inputIds, _tokenizer.PaddingTokenId, i * sequence, sequence);
            for (int t = 0; t < tokenized[i].Length; t++)
            {
                inputIds[(i * sequence) + t] = tokenized[i][t];
                mask[(i * sequence) + t] = 1;
            }
        }

        long[] shape = [batch, sequence];
        var names = new List<string> { InputIds, AttentionMask };
        using var ids = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var attention = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var types = _hasTokenTypes ? OrtValue.CreateTensorValueFromMemory(new long[batch * sequence], shape) : null;
        var inputs = new List<OrtValue> { ids, attention };
        if (types is not null)
        {
            names.Add(TokenTypeIds);
            inputs.Add(types);
        }

        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(runOptions, names, inputs, [_output]);
        OrtValue output = outputs[0];
        long[] outputShape = output.GetTensorTypeAndShape().Shape;
        ReadOnlySpan<float> data = output.GetTensorDataAsSpan<float>();
        int hidden = checked((int)outputShape[^1]);
        var vectors = new float[batch][];
        for (int i = 0; i < batch; i++)
        {
            var vector = new float[hidden];
            if (outputShape.Length == 2)
            {
                data.Slice(i * hidden, hidden).CopyTo(vector);
            }
            else
            {
                // Mean over the tokens the attention mask keeps.
                int tokens = tokenized[i].Length;
                for (int t = 0; t < tokens; t++)
                {
                    TensorPrimitives.Add(vector, data.Slice(((i * sequence) + t) * hidden, hidden), vector);
                }

                TensorPrimitives.Divide(vector, tokens, vector);
            }

            if (_options.Normalize)
            {
                float norm = TensorPrimitives.Norm(vector);
                if (norm > 0f)
                {
                    TensorPrimitives.Divide(vector, norm, vector);
                }
            }

            vectors[i] = vector;
        }

        return vectors;
    }
}
