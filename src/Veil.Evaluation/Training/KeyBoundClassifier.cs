using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Evaluation.Training;

/// <summary>
/// A classifier trained on one-way encryptions under one key (secret, tenant, derivation path): it takes plaintext
/// embeddings, encrypts them one-way with that key and classifies the ciphertexts. Saved, it is an ML.NET zip and a
/// metadata JSON beside it (<see cref="MetadataPath"/>); the zip alone expects ciphertexts under the key and is no
/// better than guessing on anything else, and <see cref="Load"/> refuses a key other than the one it was trained under.
/// </summary>
/// <remarks>
/// The metadata names the key (key id, secret path, tenant, derivation path, β) and holds a key check: an
/// encryption of the empty vector, whose tag only that key (with that β) verifies. It holds no key bytes and no
/// ciphertext of any training vector. The model itself reflects the training ciphertexts (as any model reflects its
/// data); keep it as confidential as the encrypted training set.
/// </remarks>
[Experimental("VEIL001")]
public sealed class KeyBoundClassifier
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private static readonly JsonSerializerOptions s_line = new(s_json) { WriteIndented = false };

    private readonly VectorClassifier _model;
    private readonly VectorEncryptor? _encryptor;

    private KeyBoundClassifier(VectorClassifier model, VectorEncryptor? encryptor, ClassifierModelInfo info)
    {
        _model = model;
        _encryptor = encryptor;
        Info = info;
    }

    /// <summary>What the model is, which key it needs, and how it scored on held-out rows (<see cref="ClassifierModelInfo.ModelSha256"/> is set once saved or loaded).</summary>
    public ClassifierModelInfo Info { get; }

    /// <summary>
    /// Encrypts the labelled rows of <paramref name="plaintexts"/> one-way under <paramref name="tenant"/>'s key for the
    /// current secret of <paramref name="secretPath"/> and <paramref name="derivationPath"/>, holds out
    /// <paramref name="testFraction"/> of each label for scoring (on fresh encryptions), and trains
    /// <paramref name="trainer"/> on the rest. Rows whose label is null are left out.
    /// </summary>
    public static KeyBoundClassifier Train(
        VectorOperations vectors,
        SecretPath secretPath,
        DerivationPath derivationPath,
        TenantId tenant,
        IReadOnlyList<float[]> plaintexts,
        IReadOnlyList<string?> labels,
        ClassifierTrainer trainer,
        int seed,
        double testFraction = 0.25,
        IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        (plaintexts, string[] known) = Labelled(plaintexts, labels);
        VectorEncryptor encryptor = vectors.GetEncryptor(secretPath, derivationPath, tenant);
        (int[] train, int[] test) = ClassifierUtility.StratifiedSplit(known, testFraction, seed);
        progress?.Report($"encrypting {plaintexts.Count} vectors one-way (key id {encryptor.KeyId}, β = {encryptor.ApproximationFactor})…");
        float[][] trainCipher = EncryptOneWay(encryptor, train.Select(i => plaintexts[i]).ToArray());
        float[][] testCipher = EncryptOneWay(encryptor, test.Select(i => plaintexts[i]).ToArray());
        VectorKeyDescription key = VectorKeyDescription.Of(encryptor, tenant);
        return new KeyBoundClassifier(
            Fit(trainCipher, testCipher, train.Select(i => known[i]).ToArray(), test.Select(i => known[i]).ToArray(), key, trainer, seed, progress, out ClassifierModelInfo info),
            encryptor,
            info);
    }

    /// <summary>
    /// Trains on rows already encrypted one-way under <paramref name="key"/> (a data scientist's copy: no key needed):
    /// holds out <paramref name="testFraction"/> of each label for scoring and trains <paramref name="trainer"/> on the
    /// rest; rows whose label is null are left out. The result can be saved, but predicts only once saved and loaded by <see cref="Load"/> with that key.
    /// </summary>
    /// <param name="ciphertexts">One-way ciphertexts, all of one dimension.</param>
    /// <param name="labels">One label (or null) per ciphertext.</param>
    /// <param name="key">The key the ciphertexts were encrypted under (from the dataset's metadata).</param>
    /// <param name="trainer">The ML.NET trainer.</param>
    /// <param name="seed">Seed of the split and the trainer.</param>
    /// <param name="testFraction">The fraction of each label held out.</param>
    /// <param name="progress">One line per step.</param>
    /// <returns>The model, without a key.</returns>
    public static KeyBoundClassifier TrainOnCiphertexts(
        IReadOnlyList<float[]> ciphertexts,
        IReadOnlyList<string?> labels,
        VectorKeyDescription key,
        ClassifierTrainer trainer,
        int seed,
        double testFraction = 0.25,
        IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        (ciphertexts, string[] known) = Labelled(ciphertexts, labels);
        (int[] train, int[] test) = ClassifierUtility.StratifiedSplit(known, testFraction, seed);
        VectorClassifier model = Fit(
            train.Select(i => ciphertexts[i]).ToArray(),
            test.Select(i => ciphertexts[i]).ToArray(),
            train.Select(i => known[i]).ToArray(),
            test.Select(i => known[i]).ToArray(),
            key,
            trainer,
            seed,
            progress,
            out ClassifierModelInfo info);
        return new KeyBoundClassifier(model, null, info);
    }

    private static VectorClassifier Fit(
        float[][] trainCipher, float[][] testCipher, string[] trainLabels, string[] testLabels, VectorKeyDescription key, ClassifierTrainer trainer, int seed, IProgress<string>? progress, out ClassifierModelInfo info)
    {
        progress?.Report($"training {trainer} on {trainCipher.Length} ciphertexts, {trainLabels.Distinct(StringComparer.Ordinal).Count()} labels…");
        VectorClassifier model = VectorClassifier.Train(trainCipher, trainLabels, trainer, seed);
        info = new ClassifierModelInfo
        {
            Trainer = trainer.ToString(),
            Dimensions = model.Dimensions,
            Tenant = key.Tenant,
            SecretPath = key.SecretPath,
            DerivationPath = key.DerivationPath,
            KeyId = key.KeyId,
            Beta = key.Beta,
            Labels = trainLabels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
            Seed = seed,
            TrainCount = trainCipher.Length,
            TestCount = testCipher.Length,
            HeldOut = ClassificationScores.Score(testLabels, model.Predict(testCipher)),
            Majority = ClassificationScores.OfMajority(trainLabels, testLabels),
            KeyCheck = key.KeyCheck,
        };
        return model;
    }

    /// <summary>
    /// Loads a model saved by <see cref="Save"/> for use with the key of <paramref name="tenant"/>,
    /// <paramref name="secretPath"/> and <paramref name="derivationPath"/>.
    /// </summary>
    /// <exception cref="ClassifierKeyMismatchException">The key is not the one the model was trained under.</exception>
    /// <exception cref="InvalidDataException">The files do not exist or are not a saved model.</exception>
    public static KeyBoundClassifier Load(string modelPath, VectorOperations vectors, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (!File.Exists(modelPath))
        {
            throw new InvalidDataException($"The model '{modelPath}' does not exist.");
        }

        ClassifierModelInfo info = ReadInfo(MetadataPath(modelPath));
        Require(info.SecretPath == secretPath.Value, $"the model was trained under secret path \"{info.SecretPath}\", not \"{secretPath}\"");
        Require(info.DerivationPath == derivationPath.Value, $"the model was trained under derivation path \"{info.DerivationPath}\", not \"{derivationPath}\"");
        Require(info.Tenant == tenant.Value, $"the model was trained for tenant \"{info.Tenant}\", not \"{tenant}\"");
        VectorEncryptor encryptor = vectors.GetEncryptor(secretPath, derivationPath, tenant);
        Require(info.KeyId == encryptor.KeyId.Value, $"the model was trained under key id {info.KeyId}; the configuration's current key for \"{secretPath}\" is key id {encryptor.KeyId} (train again after a rotation)");
        Require(encryptor.TryDecrypt(ReadOnlySpan<float>.Empty, KeyCheck(info), Span<float>.Empty), $"the configuration's key id {info.KeyId} for \"{secretPath}\" is not the secret (or β) the model was trained under");
        byte[] zip = File.ReadAllBytes(modelPath);
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(zip)), info.ModelSha256, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"The model '{modelPath}' is not the one its metadata describes (SHA-256 differs).");
        }

        using var stream = new MemoryStream(zip, writable: false);
        VectorClassifier model = VectorClassifier.Load(stream);

        return model.Dimensions == info.Dimensions ? new KeyBoundClassifier(model, encryptor, info)
            : throw new InvalidDataException($"The model takes {model.Dimensions} dimensions but its metadata says {info.Dimensions}.");
    }

    /// <summary>The metadata file beside <paramref name="modelPath"/>: the same name with the extension .json.</summary>
    public static string MetadataPath(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return Path.GetExtension(modelPath).Equals(".json", StringComparison.OrdinalIgnoreCase)
            ? throw new ArgumentException("The model path must not end in .json (the metadata goes there).", nameof(modelPath))
            : Path.ChangeExtension(modelPath, ".json");
    }

    /// <summary>Encrypts <paramref name="plaintexts"/> one-way under the model's key and predicts their labels.</summary>
    /// <exception cref="InvalidOperationException">The model was trained by <see cref="TrainOnCiphertexts"/> and not loaded with its key.</exception>
    public string[] Predict(IReadOnlyList<float[]> plaintexts)
    {
        ArgumentNullException.ThrowIfNull(plaintexts);
        if (plaintexts.Any(p => p.Length != Info.Dimensions))
        {
            throw new ArgumentException($"The model takes vectors of {Info.Dimensions} dimensions.", nameof(plaintexts));
        }

        if (_encryptor is null)
        {
            throw new InvalidOperationException("This model was trained on ciphertexts without the key: save it, and load it with the key (KeyBoundClassifier.Load) to predict.");
        }

        return plaintexts.Count == 0 ? [] : _model.Predict(EncryptOneWay(_encryptor, plaintexts));
    }

    /// <summary>
    /// Predicts the label of every row of <paramref name="plaintexts"/> (<see cref="Predict"/>) and scores the
    /// predictions against <paramref name="expected"/> where it holds a label (null: unknown, not scored).
    /// </summary>
    /// <param name="plaintexts">The rows to classify.</param>
    /// <param name="expected">One known label (or null) per row.</param>
    /// <returns>The predicted labels in order, and their scores on the labelled rows (null when none is labelled).</returns>
    public ClassifierPredictions PredictAndScore(IReadOnlyList<float[]> plaintexts, IReadOnlyList<string?> expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        string[] predicted = Predict(plaintexts);
        if (expected.Count != predicted.Length)
        {
            throw new ArgumentException("One expected label (or null) per vector is needed.", nameof(expected));
        }

        int[] labelled = Enumerable.Range(0, predicted.Length).Where(i => expected[i] is not null).ToArray();
        ClassificationScores? scores = labelled.Length == 0 ? null
            : ClassificationScores.Score(labelled.Select(i => expected[i]!).ToArray(), labelled.Select(i => predicted[i]).ToArray());
        return new ClassifierPredictions(predicted, scores, labelled.Length);
    }

    /// <summary>Writes the ML.NET zip to <paramref name="modelPath"/> and the metadata (indented JSON) to <see cref="MetadataPath"/>.</summary>
    /// <param name="modelPath">Where to write the model.</param>
    /// <returns>The metadata as written, on one line.</returns>
    public string Save(string modelPath)
    {
        string metadata = MetadataPath(modelPath);
        using var zip = new MemoryStream();
        _model.Save(zip);
        File.WriteAllBytes(modelPath, zip.ToArray());
        ClassifierModelInfo saved = Info with { ModelSha256 = Convert.ToHexStringLower(SHA256.HashData(zip.ToArray())) };
        File.WriteAllText(metadata, JsonSerializer.Serialize(saved, s_json));
        return JsonSerializer.Serialize(saved, s_line);
    }

    private static float[][] EncryptOneWay(VectorEncryptor encryptor, IReadOnlyList<float[]> rows)
    {
        int d = rows[0].Length;
        float[] flat = rows.SelectMany(r => r).ToArray();
        float[] ciphertexts = new float[flat.Length];
        int failed = encryptor.EncryptOneWayBatch(d, flat, ciphertexts).Count(ok => !ok);
        return failed == 0 ? ciphertexts.Chunk(d).ToArray()
            : throw new ArgumentException($"{failed} vectors could not be encrypted (NaN, infinity or too large for β).", nameof(rows));
    }

    /// <summary>The rows that have a label, and their labels.</summary>
    private static (float[][] Rows, string[] Labels) Labelled(IReadOnlyList<float[]> rows, IReadOnlyList<string?> labels)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        int[] labelled = rows.Count == labels.Count ? Enumerable.Range(0, labels.Count).Where(i => labels[i] is not null).ToArray() : [];
        return labelled.Length > 0 ? (labelled.Select(i => rows[i]).ToArray(), labelled.Select(i => labels[i]!).ToArray())
            : throw new ArgumentException("Training needs one label (or null) per vector, and at least one labelled vector.", nameof(labels));
    }

    private static ClassifierModelInfo ReadInfo(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"The model's metadata '{path}' does not exist.");
        }

        try
        {
            ClassifierModelInfo? info = JsonSerializer.Deserialize<ClassifierModelInfo>(File.ReadAllText(path), s_json);
            return info is { Dimensions: > 0, Labels: not null, KeyCheck: not null, ModelSha256: not null } ? info
                : throw new InvalidDataException($"The model's metadata '{path}' is incomplete.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The model's metadata '{path}' is not valid JSON: {e.Message}", e);
        }
    }

    private static byte[] KeyCheck(ClassifierModelInfo info)
    {
        try
        {
            byte[] check = Convert.FromBase64String(info.KeyCheck);
            return check.Length == VectorEncryptor.PairedIclInfoLength ? check : throw new InvalidDataException("The model's key check has the wrong length.");
        }
        catch (FormatException e)
        {
            throw new InvalidDataException("The model's key check is not base64.", e);
        }
    }

    private static void Require(bool condition, string reason)
    {
        if (!condition)
        {
            throw new ClassifierKeyMismatchException($"This model only works with the key it was trained under: {reason}.");
        }
    }
}

/// <summary>What <see cref="KeyBoundClassifier.PredictAndScore"/> found.</summary>
/// <param name="Labels">The predicted label of every row, in order.</param>
/// <param name="Scores">Accuracy and macro-F1 on the rows whose label was known, or null when none was.</param>
/// <param name="Scored">How many rows had a known label.</param>
[Experimental("VEIL001")]
public sealed record ClassifierPredictions(string[] Labels, ClassificationScores? Scores, int Scored)
{
    /// <summary>Writes one <c>{"id","label"}</c> JSON object per row, in order: the output of <c>veil predict</c>.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="ids">The rows' ids, one per label.</param>
    /// <exception cref="ArgumentException">Not one id per label.</exception>
    public void WriteJsonLines(TextWriter output, IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count != Labels.Length)
        {
            throw new ArgumentException("One id per label is needed.", nameof(ids));
        }

        for (int i = 0; i < ids.Count; i++)
        {
            output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = ids[i], ["label"] = Labels[i] }));
        }
    }
}

/// <summary>The metadata saved beside a <see cref="KeyBoundClassifier"/>: never key bytes.</summary>
[Experimental("VEIL001")]
public sealed record ClassifierModelInfo
{
    /// <summary>The trainer (<see cref="ClassifierTrainer"/> name).</summary>
    public required string Trainer { get; init; }

    /// <summary>The embedding width.</summary>
    public required int Dimensions { get; init; }

    /// <summary>The tenant the key was derived for.</summary>
    public required string Tenant { get; init; }

    /// <summary>The secret path of the key.</summary>
    public required string SecretPath { get; init; }

    /// <summary>The derivation path of the key.</summary>
    public required string DerivationPath { get; init; }

    /// <summary>The id of the secret the key derives from.</summary>
    public required uint KeyId { get; init; }

    /// <summary>β of the key.</summary>
    public required float Beta { get; init; }

    /// <summary>The labels the model can predict.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>The seed of the split and the trainer.</summary>
    public required int Seed { get; init; }

    /// <summary>Training rows.</summary>
    public required int TrainCount { get; init; }

    /// <summary>Held-out rows.</summary>
    public required int TestCount { get; init; }

    /// <summary>The model on fresh one-way encryptions of the held-out rows under the same key.</summary>
    public required ClassificationScores HeldOut { get; init; }

    /// <summary>Always predicting the training set's most frequent label, on the held-out rows.</summary>
    public required ClassificationScores Majority { get; init; }

    /// <summary>Base64 paired ICL info of an encryption of the empty vector: only the same key and β verify it.</summary>
    public required string KeyCheck { get; init; }

    /// <summary>SHA-256 (lowercase hex) of the saved zip, set by <see cref="KeyBoundClassifier.Save"/>: a zip and metadata that do not belong together are refused.</summary>
    public string? ModelSha256 { get; init; }
}

/// <summary>A key-bound model was offered a key other than the one it was trained under.</summary>
[Experimental("VEIL001")]
public sealed class ClassifierKeyMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClassifierKeyMismatchException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ClassifierKeyMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ClassifierKeyMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
