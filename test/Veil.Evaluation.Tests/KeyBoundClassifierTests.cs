using Veil.Evaluation.Training;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Evaluation.Tests;

/// <summary>A saved key-bound model predicts with its own key and refuses any other (another secret under the same id, another id, tenant or path).</summary>
public sealed class KeyBoundClassifierTests : IDisposable
{
    private const string Path = "vectors";
    private const string Model = "model";
    private const string Tenant = "tenant";

    private static readonly EvaluationData s_data = ClassifierUtilityTests.Mixture(count: 240, dimensions: 32, seed: 9);

    private readonly string _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"veil-keybound-{Guid.NewGuid():N}");

    public KeyBoundClassifierTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public void PredictionsWriteJsonLines_OneIdAndLabelPerRow_AndRefuseAnotherNumberOfIds()
    {
        var predictions = new ClassifierPredictions(["sports", "say \"hi\""], Scores: null, Scored: 0);
        using var output = new StringWriter();

        predictions.WriteJsonLines(output, ["a", "b\n"]);

        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(
            [("a", "sports"), ("b\n", "say \"hi\"")],
            lines.Select(l => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(l)!).Select(d => (d["id"], d["label"])));
        Assert.Throws<ArgumentException>(() => predictions.WriteJsonLines(output, ["a"]));
    }

    [Fact]
    public void SavedModel_PredictsWithItsKey_AndItsMetadataHoldsNoKeyBytes()
    {
        byte[] secret = Secret(1);
        using VeilClient client = Client(keyId: 1, secret);
        KeyBoundClassifier trained = Train(client);
        string model = Save(trained);

        KeyBoundClassifier loaded = KeyBoundClassifier.Load(model, client.Vector, new SecretPath(Path), new DerivationPath(Model), new TenantId(Tenant));
        string[] truth = s_data.Labels!.Select(l => l!).ToArray();
        ClassificationScores scores = ClassificationScores.Score(truth, loaded.Predict(s_data.Vectors));

        Assert.True(trained.Info.HeldOut.Accuracy > 0.9, $"held out {trained.Info.HeldOut}");
        Assert.True(scores.Accuracy > 0.9, $"reloaded {scores}");
        Assert.Equal(trained.Info, loaded.Info with { Labels = trained.Info.Labels, ModelSha256 = null });
        Assert.Equal(64, loaded.Info.ModelSha256?.Length);
        Assert.Equal(trained.Info.Labels, loaded.Info.Labels);
        Assert.Equal((1u, 32, Tenant, Path, Model), (loaded.Info.KeyId, loaded.Info.Dimensions, loaded.Info.Tenant, loaded.Info.SecretPath, loaded.Info.DerivationPath));
        string saved = trained.Save(model);
        string metadata = File.ReadAllText(KeyBoundClassifier.MetadataPath(model));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(metadata).RootElement), saved);
        Assert.DoesNotContain(Convert.ToBase64String(secret), metadata, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(secret), metadata, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Load_WithAnotherSecretUnderTheSameKeyId_IsRefusedByTheKeyCheck()
    {
        string model;
        using (VeilClient client = Client(keyId: 1, Secret(1)))
        {
            model = Save(Train(client));
        }

        using VeilClient impostor = Client(keyId: 1, Secret(2));
        var e = Assert.Throws<ClassifierKeyMismatchException>(() => KeyBoundClassifier.Load(model, impostor.Vector, new SecretPath(Path), new DerivationPath(Model), new TenantId(Tenant)));
        Assert.Contains("is not the secret (or β)", e.Message, StringComparison.Ordinal);

        using VeilClient otherBeta = Client(keyId: 1, Secret(1), beta: 2);
        Assert.Throws<ClassifierKeyMismatchException>(() => KeyBoundClassifier.Load(model, otherBeta.Vector, new SecretPath(Path), new DerivationPath(Model), new TenantId(Tenant)));
    }

    [Fact]
    public void Load_WithAnotherKeyIdTenantOrDerivationPath_IsRefused()
    {
        using VeilClient client = Client(keyId: 1, Secret(1));
        string model = Save(Train(client));
        using VeilClient rotated = Client(keyId: 2, Secret(1));

        Assert.Contains("key id 1", Assert.Throws<ClassifierKeyMismatchException>(() => KeyBoundClassifier.Load(model, rotated.Vector, new SecretPath(Path), new DerivationPath(Model), new TenantId(Tenant))).Message, StringComparison.Ordinal);
        Assert.Contains("tenant", Assert.Throws<ClassifierKeyMismatchException>(() => KeyBoundClassifier.Load(model, client.Vector, new SecretPath(Path), new DerivationPath(Model), new TenantId("other"))).Message, StringComparison.Ordinal);
        Assert.Contains("derivation path", Assert.Throws<ClassifierKeyMismatchException>(() => KeyBoundClassifier.Load(model, client.Vector, new SecretPath(Path), new DerivationPath("other"), new TenantId(Tenant))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WithTamperedOrMissingMetadata_IsInvalidData()
    {
        using VeilClient client = Client(keyId: 1, Secret(1));
        string model = Save(Train(client));
        string metadata = KeyBoundClassifier.MetadataPath(model);

        // A zip trained elsewhere (here: the same data under another seed) beside this metadata.
        File.Copy(Save(KeyBoundClassifier.Train(client.Vector, new SecretPath(Path), new DerivationPath(Model), new TenantId(Tenant), s_data.Vectors, s_data.Labels!.Select(l => l!).ToArray(), ClassifierTrainer.LogisticRegression, seed: 2)), model, overwrite: true);
        Assert.Contains("SHA-256", Assert.Throws<InvalidDataException>(() => KeyBoundClassifier.Load(model, client.Vector, new SecretPath(Path), new DerivationPath(Model), new TenantId(Tenant))).Message, StringComparison.Ordinal);
        File.WriteAllText(metadata, "{\"trainer\":");
        Assert.Throws<InvalidDataException>(() => KeyBoundClassifier.Load(model, client.Vector, new SecretPath(Path), new DerivationPath(Model), new TenantId(Tenant)));
        File.Delete(metadata);
        Assert.Throws<InvalidDataException>(() => KeyBoundClassifier.Load(model, client.Vector, new SecretPath(Path), new DerivationPath(Model), new TenantId(Tenant)));
        Assert.Throws<ArgumentException>(() => KeyBoundClassifier.MetadataPath("model.json"));
    }

    [Fact]
    public void TrainOnCiphertexts_WithoutTheKey_PredictsOnlyOnceLoadedWithThatKey()
    {
        byte[] secret = Secret(1);
        using VeilClient client = Client(keyId: 1, secret);
        var tenant = new TenantId(Tenant);
        Veil.Vectors.VectorEncryptor encryptor = client.Vector.GetEncryptor(new SecretPath(Path), new DerivationPath(Model), tenant);
        float[][] ciphertexts = s_data.Vectors.Select(v => encryptor.EncryptOneWay(v)).ToArray();
        string[] labels = s_data.Labels!.Select(l => l!).ToArray();

        // The data scientist's side: ciphertexts, labels and the key's description, no key.
        KeyBoundClassifier trained = KeyBoundClassifier.TrainOnCiphertexts(ciphertexts, labels, VectorKeyDescription.Of(encryptor, tenant), ClassifierTrainer.LogisticRegression, seed: 1);
        Assert.Throws<InvalidOperationException>(() => trained.Predict(s_data.Vectors));
        string model = Save(trained);

        // The key holder's side: plaintexts in, encrypted one-way with the key, classified.
        KeyBoundClassifier loaded = KeyBoundClassifier.Load(model, client.Vector, new SecretPath(Path), new DerivationPath(Model), tenant);
        ClassificationScores scores = ClassificationScores.Score(labels, loaded.Predict(s_data.Vectors));
        Assert.True(trained.Info.HeldOut.Accuracy > 0.9, $"held out {trained.Info.HeldOut}");
        Assert.True(scores.Accuracy > 0.9, $"through the key holder {scores}");
        Assert.Equal((1u, Tenant, Path, Model), (loaded.Info.KeyId, loaded.Info.Tenant, loaded.Info.SecretPath, loaded.Info.DerivationPath));
        Assert.DoesNotContain(Convert.ToBase64String(secret), File.ReadAllText(KeyBoundClassifier.MetadataPath(model)), StringComparison.Ordinal);

        // Another secret under the same key id is refused by the key check the dataset carried.
        using VeilClient impostor = Client(keyId: 1, Secret(2));
        Assert.Throws<ClassifierKeyMismatchException>(() => KeyBoundClassifier.Load(model, impostor.Vector, new SecretPath(Path), new DerivationPath(Model), tenant));
    }

    [Fact]
    public void TrainWithUnlabelledRows_LeavesThemOut_AndPredictAndScoreScoresOnlyTheLabelledOnes()
    {
        using VeilClient client = Client(keyId: 1, Secret(1));
        (SecretPath path, DerivationPath model, TenantId tenant) = (new SecretPath(Path), new DerivationPath(Model), new TenantId(Tenant));
        string?[] labels = s_data.Labels!.Select((l, i) => i % 3 == 0 ? null : l).ToArray();
        int labelled = labels.Count(l => l is not null);

        KeyBoundClassifier trained = KeyBoundClassifier.Train(client.Vector, path, model, tenant, s_data.Vectors, labels, ClassifierTrainer.LogisticRegression, seed: 1);
        KeyBoundClassifier loaded = KeyBoundClassifier.Load(Save(trained), client.Vector, path, model, tenant);
        ClassifierPredictions predictions = loaded.PredictAndScore(s_data.Vectors, labels);
        ClassifierPredictions unscored = loaded.PredictAndScore(s_data.Vectors, new string?[s_data.Vectors.Count]);

        Assert.Equal(labelled, trained.Info.TrainCount + trained.Info.TestCount);
        Assert.Equal(s_data.Vectors.Count, predictions.Labels.Length);
        Assert.Equal(labelled, predictions.Scored);
        int[] known = Enumerable.Range(0, labels.Length).Where(i => labels[i] is not null).ToArray();
        Assert.Equal(ClassificationScores.Score(known.Select(i => labels[i]!).ToArray(), known.Select(i => predictions.Labels[i]).ToArray()), predictions.Scores);
        Assert.True(predictions.Scores!.Accuracy > 0.9, $"{predictions.Scores}");
        Assert.Equal(predictions.Labels, unscored.Labels);
        Assert.Equal(((ClassificationScores?)null, 0), (unscored.Scores, unscored.Scored));
        Assert.Throws<ArgumentException>(() => KeyBoundClassifier.Train(client.Vector, path, model, tenant, s_data.Vectors, new string?[s_data.Vectors.Count], ClassifierTrainer.LogisticRegression, seed: 1));
        Assert.Throws<ArgumentException>(() => loaded.PredictAndScore(s_data.Vectors, labels[1..]));
        Assert.Contains("does not exist", Assert.Throws<InvalidDataException>(() => KeyBoundClassifier.Load(System.IO.Path.Combine(_directory, "none.zip"), client.Vector, path, model, tenant)).Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static KeyBoundClassifier Train(VeilClient client) => KeyBoundClassifier.Train(
        client.Vector, new SecretPath(Path), new DerivationPath(Model), new TenantId(Tenant), s_data.Vectors, s_data.Labels!.Select(l => l!).ToArray(), ClassifierTrainer.LogisticRegression, seed: 1);

    private string Save(KeyBoundClassifier classifier)
    {
        string model = System.IO.Path.Combine(_directory, $"{Guid.NewGuid():N}.zip");
        classifier.Save(model);
        return model;
    }

    internal static byte[] Secret(int seed)
    {
        byte[] bytes = new byte[32];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    internal static VeilClient Client(uint keyId, byte[] secret, float beta = 1) => new(new VeilConfiguration(new Dictionary<SecretPath, VectorSecret>
    {
        [new SecretPath(Path)] = new(beta, new RotatableSecret(new IdentifiedSecret(new KeyId(keyId), new Secret(secret))), false),
    }));
}
