using Veil.Documents.Store;
using Veil.Embeddings.MiniLM;
using Veil.Embeddings.Onnx;
using Veil.Evaluation.Training;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Evaluation.Tests;

/// <summary>
/// The text-classification flow at library level with the real all-MiniLM-L6-v2 model (what <c>veil embed</c>,
/// <c>encrypt-dataset</c>, <c>train --ciphertexts</c> and <c>predict --text</c> call): embed a JSON Lines text field
/// (resumably), write the one-way dataset, train on it with no key, then predict fresh texts with the key; another key
/// is refused.
/// </summary>
public sealed class TextClassificationFlowTests
{
    private static readonly string[] s_games = ["a puzzle game with falling blocks", "an arcade shooter game with spaceships", "a chess game against the computer", "a racing game with cars on tracks", "a card game of solitaire", "a platform game with jumping heroes", "a strategy game of ancient wars", "a board game for two players", "a role-playing game with dungeons", "a golf game with many courses"];

    private static readonly string[] s_fonts = ["a font family for Japanese text", "monospaced fonts for programming", "a serif typeface for printed books", "TrueType fonts with Arabic glyphs", "a bitmap font for terminals", "OpenType fonts covering Cyrillic letters", "a sans-serif typeface for screens", "fonts with emoji glyphs", "a handwriting font family", "a font of mathematical symbols"];

    [Fact]
    public async Task EmbedEncryptDatasetTrainWithoutKeyPredictWithKey_ClassifiesFreshTexts()
    {
        using var directory = new TempDirectory();
        File.WriteAllLines(directory.File("texts.jsonl"), s_games.Select((t, i) => $$"""{"id":"g{{i}}","section":"games","text":"{{t}}"}""")
            .Concat(s_fonts.Select((t, i) => $$"""{"id":"f{{i}}","section":"fonts","text":"{{t}}"}""")));
        using VeilClient client = KeyBoundClassifierTests.Client(keyId: 1, KeyBoundClassifierTests.Secret(3), beta: 2.5f);
        using VeilClient other = KeyBoundClassifierTests.Client(keyId: 1, KeyBoundClassifierTests.Secret(4), beta: 2.5f);
        (SecretPath path, DerivationPath model, TenantId tenant) = (new SecretPath("vectors"), new DerivationPath("minilm"), new TenantId("t"));

        using OnnxEmbeddingGenerator generator = MiniLmModel.CreateGenerator();
        TextFileEmbeddingResult embedded = TextFileEmbedding.Embed(directory.File("texts.jsonl"), directory.File("texts.bin"), new TextEmbedding("text", generator));
        TextFileEmbeddingResult again = TextFileEmbedding.Embed(directory.File("texts.jsonl"), directory.File("texts.bin"), new TextEmbedding("text", generator));
        LabelledVectors rows = LabelledVectors.Read(DocumentInput.RawVectors(directory.File("texts.bin"), directory.File("texts.jsonl"), dimensions: null), "texts", "section", minimumRows: 1);
        VectorKeyDescription written = OneWayDataset.Write(directory.File("train.parquet"), rows, client.Vector.GetEncryptor(path, model, tenant), tenant);
        OneWayDatasetContents dataset = OneWayDataset.Read(directory.File("train.parquet"));
        VectorKeyDescription k = dataset.Key;
        KeyBoundClassifier trained = KeyBoundClassifier.TrainOnCiphertexts(
            dataset.Rows.Vectors, dataset.Rows.Labels.Select(l => l!).ToArray(), k, ClassifierTrainer.LogisticRegression, seed: 42, testFraction: 0.2);
        trained.Save(directory.File("m.zip"));
        KeyBoundClassifier loaded = KeyBoundClassifier.Load(directory.File("m.zip"), client.Vector, path, model, tenant);
        float[][] fresh = (await generator.GenerateAsync(["a tennis game with a ball", "a typeface for Hebrew letters"])).Select(e => e.Vector.ToArray()).ToArray();

        Assert.Equal((20L, 0L, 20L, 384), (embedded.Total, embedded.Resumed, embedded.Embedded, embedded.Dimensions));
        Assert.Equal(20L * 384 * 4, new FileInfo(directory.File("texts.bin")).Length);
        Assert.Equal((20L, 20L, 0L), (again.Total, again.Resumed, again.Embedded));
        Assert.Equal(written, k);
        Assert.Equal((1u, "vectors", "t"), (k.KeyId, k.SecretPath, k.Tenant));
        Assert.Equal(["games", "fonts"], loaded.Predict(fresh));
        Assert.Throws<ClassifierKeyMismatchException>(() => KeyBoundClassifier.Load(directory.File("m.zip"), other.Vector, path, model, tenant));
    }
}
