using System.IO.Compression;
using System.Text.Json;
using Veil.Documents.Store;
using Veil.Embeddings.MiniLM;
using Veil.Embeddings.Onnx;
using Veil.Evaluation.Training;
using Veil.Keys;
using Xunit.Abstractions;

namespace Veil.Evaluation.Tests;

/// <summary>
/// The text-classification use case end to end on real text (docs/classification.md), on a seeded slice of the
/// committed Debian package descriptions: embedded with the real all-MiniLM-L6-v2, encrypted one-way and exported as
/// Parquet (no key), a classifier trained on the ciphertexts alone, then fresh descriptions classified through the
/// key holder (embed, encrypt one-way with the same key, predict). Its accuracy stays near the plaintext-trained
/// model's and far above chance.
/// </summary>
public sealed class DebianClassificationTests : IClassFixture<DebianClassificationTests.Slice>, IDisposable
{
    private const string Path = "vectors"; // the secret path of KeyBoundClassifierTests.Client
    private const string Model = "minilm";
    private const string Tenant = "acme";

    private readonly Slice _slice;
    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _directory = new();

    public DebianClassificationTests(Slice slice, ITestOutputHelper output)
    {
        _slice = slice;
        _output = output;
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void ClassifierTrainedOnTheOneWayParquetExport_ClassifiesFreshTextsThroughTheKeyHolder_NearThePlaintextModel()
    {
        using VeilClient client = KeyBoundClassifierTests.Client(keyId: 1, KeyBoundClassifierTests.Secret(7), beta: 2.5f);
        var tenant = new TenantId(Tenant);

        // Key holder: the training rows, encrypted one-way, exported as Parquet.
        string parquet = _directory.File("train.parquet");
        OneWayDataset.Write(parquet, new LabelledVectors(_slice.TrainIds, _slice.TrainVectors, _slice.TrainLabels), client.Vector.GetEncryptor(new SecretPath(Path), new DerivationPath(Model), tenant), tenant);

        // Data scientist: the Parquet file only.
        OneWayDatasetContents dataset = OneWayDataset.Read(parquet);
        KeyBoundClassifier trained = KeyBoundClassifier.TrainOnCiphertexts(
            dataset.Rows.Vectors, dataset.Rows.Labels.Select(l => l!).ToArray(), dataset.Key, ClassifierTrainer.LogisticRegression, seed: 1);
        string model = _directory.File("model.zip");
        trained.Save(model);

        // Key holder again: fresh texts (never trained on), embedded, encrypted one-way with the same key, classified.
        KeyBoundClassifier loaded = KeyBoundClassifier.Load(model, client.Vector, new SecretPath(Path), new DerivationPath(Model), tenant);
        ClassificationScores encrypted = ClassificationScores.Score(_slice.TestLabels, loaded.Predict(_slice.TestVectors));
        ClassificationScores plaintext = ClassificationScores.Score(
            _slice.TestLabels, VectorClassifier.Train(_slice.TrainVectors, _slice.TrainLabels, ClassifierTrainer.LogisticRegression, seed: 1).Predict(_slice.TestVectors));
        double chance = ClassifierUtility.ChanceAccuracy(_slice.TrainLabels, _slice.TestLabels);

        string scores = $"encrypted {encrypted}, plaintext {plaintext}, chance {chance:0.000}";
        _output.WriteLine(scores);
        Assert.True(plaintext.Accuracy > 0.5, scores); // the real model separates the sections
        Assert.True(encrypted.Accuracy >= plaintext.Accuracy - 0.12, scores); // full corpus: 0.062 (docs/classification.md)
        Assert.True(encrypted.MacroF1 >= plaintext.MacroF1 - 0.15, scores);
        Assert.True(encrypted.Accuracy > 8 * chance, scores);
    }

    /// <summary>2 000 descriptions drawn with a fixed seed (1 500 to train, 500 fresh), embedded once for the class.</summary>
    public sealed class Slice
    {
        private const int Rows = 2000;
        private const int Train = 1500;

        public Slice()
        {
            string corpus = System.IO.Path.Combine(AppContext.BaseDirectory, "corpus", "debian-descriptions", "corpus.jsonl.gz");
            var rows = new List<(string Id, string Section, string Text)>();
            using (var reader = new StreamReader(new GZipStream(File.OpenRead(corpus), CompressionMode.Decompress)))
            {
                while (reader.ReadLine() is { } line)
                {
                    using var json = JsonDocument.Parse(line);
                    JsonElement r = json.RootElement;
                    rows.Add((r.GetProperty("id").GetRawText(), r.GetProperty("section").GetString()!, r.GetProperty("text").GetString()!));
                }
            }

            var picked = rows.ToArray();
            new Random(20261205).Shuffle(picked);
            picked = picked[..Rows];
            float[][] vectors;
            using (OnnxEmbeddingGenerator generator = MiniLmModel.CreateGenerator(new OnnxEmbeddingGeneratorOptions { MaxTokens = 128 }))
            {
                vectors = picked.Chunk(64).SelectMany(batch => generator.GenerateAsync(batch.Select(r => r.Text)).GetAwaiter().GetResult().Select(e => e.Vector.ToArray())).ToArray();
            }

            TrainIds = picked[..Train].Select(r => r.Id).ToArray();
            TrainVectors = vectors[..Train];
            TrainLabels = picked[..Train].Select(r => r.Section).ToArray();
            TestVectors = vectors[Train..];
            TestLabels = picked[Train..].Select(r => r.Section).ToArray();
        }

        public string[] TrainIds { get; }

        public float[][] TrainVectors { get; }

        public string[] TrainLabels { get; }

        public float[][] TestVectors { get; }

        public string[] TestLabels { get; }
    }
}
