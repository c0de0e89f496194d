using System.Text.Json.Nodes;
using Veil.Keys;
using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Keysets;

/// <summary>
/// A vector path's <c>dimensions</c> and <c>maxNorm</c> in the keyset: set when the path is created, fixed afterwards,
/// covered by the integrity tag (so an attacker without the KEK cannot lift them), and absent from older keysets, whose
/// tag does not change.
/// </summary>
public class KeysetVectorLimitsTests
{
    private readonly TestKms _kms = new();

    [Fact]
    public async Task AddVectorSecret_WhenLimitsGiven_RoundTripsThroughJsonAndEveryOperationEnforcesThem()
    {
        Keyset read = Keyset.Parse((await LimitedKeysetAsync()).ToJson());
        JsonNode path = JsonNode.Parse(read.ToJson())!["vector"]!["p"]!;
        Assert.Equal(384, (int)path["dimensions"]!);
        Assert.Equal(1.001f, (float)path["maxNorm"]!);
        Assert.All(read.List().Where(i => i.Path.Value == "p"), i => Assert.Equal((384, 1.001f), (i.Dimensions!.Value, i.MaxNorm!.Value)));
        Assert.Null(JsonNode.Parse(read.ToJson())!["vector"]!["q"]!["dimensions"]);

        using UnwrappedKeyset live = await read.UnwrapAsync(_kms);
        VectorSecret secret = live.Configuration.Vector[TestIds.P];
        Assert.Equal(384, secret.Dimensions);
        Assert.Equal(1.001f, secret.MaxNorm);
        Assert.Null(live.Configuration.Vector[new SecretPath("q")].Dimensions);
        Assert.Null(live.Configuration.Vector[new SecretPath("q")].MaxNorm);

        using var client = new VeilClient(live.Configuration);
        float[] unit = new float[384];
        unit[0] = 1f;
        EncryptedVector encrypted = client.Vector.Encrypt(unit, TestIds.P, TestIds.Model, TestIds.Tenant);
        Assert.Equal(unit, client.Vector.Decrypt(encrypted, TestIds.Tenant), (a, b) => Math.Abs(a - b) <= 1e-5f);
        Assert.Throws<ArgumentException>(() => client.Vector.Encrypt(new float[383], TestIds.P, TestIds.Model, TestIds.Tenant));
        unit[0] = 10f;
        Assert.Throws<ArgumentException>(() => client.Vector.Encrypt(unit, TestIds.P, TestIds.Model, TestIds.Tenant));
    }

    [Theory]
    [InlineData("remove dimensions")]
    [InlineData("change dimensions")]
    [InlineData("remove maxNorm")]
    [InlineData("raise maxNorm")]
    [InlineData("add dimensions to a path without limits")]
    [InlineData("add maxNorm to a path without limits")]
    public async Task Unwrap_WhenLimitsEditedOutsideVeil_ThrowsAltered(string edit)
    {
        JsonNode root = JsonNode.Parse((await LimitedKeysetAsync()).ToJson())!;
        JsonObject limited = root["vector"]!["p"]!.AsObject();
        JsonObject open = root["vector"]!["q"]!.AsObject();
        switch (edit)
        {
            case "remove dimensions":
                limited.Remove("dimensions");
                break;
            case "change dimensions":
                limited["dimensions"] = 1_000_000;
                break;
            case "remove maxNorm":
                limited.Remove("maxNorm");
                break;
            case "raise maxNorm":
                limited["maxNorm"] = 1000.0;
                break;
            case "add dimensions to a path without limits":
                open["dimensions"] = 384;
                break;
            default:
                open["maxNorm"] = 1.0;
                break;
        }

        Keyset edited = Keyset.Parse(root.ToJsonString());

        KeyNotAvailableException e = await Assert.ThrowsAsync<KeyNotAvailableException>(() => edited.UnwrapAsync(_kms));
        Assert.Contains("altered", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<KeyNotAvailableException>(() => edited.VerifyAsync(_kms));
    }

    [Fact]
    public async Task Verify_WhenKeysetWasWrittenBeforeLimitsExisted_StillVerifiesUnwrapsAndKeepsItsTag()
    {
        var kms = new TestKms();
        kms.AddKey("test:kek", [.. Enumerable.Range(0, 32).Select(i => (byte)(0x40 + i))]);
        string json = File.ReadAllText(TestData.VectorFile("keyset-v2-before-limits.json"));
        Keyset keyset = Keyset.Parse(json);

        await keyset.VerifyAsync(kms);
        using (UnwrappedKeyset live = await keyset.UnwrapAsync(kms))
        {
            VectorSecret secret = live.Configuration.Vector[new SecretPath("embeddings")];
            Assert.Equal(2.5f, secret.ApproximationFactor);
            Assert.Equal(new KeyId(2), secret.Secrets.Current!.Id);
            Assert.Null(secret.Dimensions);
            Assert.Null(secret.MaxNorm);
        }

        // Verified, ToJson recomputes the tag over the same canonical content: it is the tag the old version wrote.
        JsonNode rewritten = JsonNode.Parse(keyset.ToJson())!;
        Assert.Equal((string)JsonNode.Parse(json)!["integrity"]!["tag"]!, (string)rewritten["integrity"]!["tag"]!);
        Assert.Null(rewritten["vector"]!["embeddings"]!["dimensions"]);
    }

    [Fact]
    public async Task AddVectorSecret_WhenLimitsDifferOnAnExistingPath_RefusesLikeBeta()
    {
        using TestKek kek = _kms.Kek();
        Keyset keyset = await LimitedKeysetAsync();
        KeysetSecretInfo retired = keyset.List().Single(i => i.Path.Value == "p" && i.State == KeysetSecretState.Current);

        await Assert.ThrowsAsync<ArgumentException>(() => keyset.AddVectorSecretAsync(TestIds.P, kek, dimensions: 512));
        await Assert.ThrowsAsync<ArgumentException>(() => keyset.AddVectorSecretAsync(TestIds.P, kek, maxNorm: 2f));
        await Assert.ThrowsAsync<ArgumentException>(() => keyset.AddVectorSecretAsync(new SecretPath("q"), kek, dimensions: 384));
        await Assert.ThrowsAsync<ArgumentException>(() => keyset.AddVectorSecretAsync(new SecretPath("q"), kek, maxNorm: 1f));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => keyset.AddVectorSecretAsync(new SecretPath("new"), kek, 2f, dimensions: 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => keyset.AddVectorSecretAsync(new SecretPath("new"), kek, 2f, maxNorm: float.NaN));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => keyset.AddVectorSecretAsync(new SecretPath("new"), kek, 2f, maxNorm: -1f));
        Assert.DoesNotContain(keyset.List(), i => i.Path.Value == "new");

        // The same values, or none, are accepted: the new secret inherits the path's limits.
        KeysetSecretInfo same = await keyset.AddVectorSecretAsync(TestIds.P, kek, dimensions: 384, maxNorm: 1.001f);
        Assert.Equal((384, 1.001f), (same.Dimensions!.Value, same.MaxNorm!.Value));
        keyset.Promote(KeysetSection.Vector, TestIds.P, same.Id);
        keyset.Retire(KeysetSection.Vector, TestIds.P, retired.Id);
        KeysetSecretInfo next = await keyset.AddVectorSecretAsync(TestIds.P, kek);
        Assert.Equal((384, 1.001f), (next.Dimensions!.Value, next.MaxNorm!.Value));
    }

    [Theory]
    [InlineData("\"dimensions\": 0")]
    [InlineData("\"dimensions\": -3")]
    [InlineData("\"dimensions\": 1.5")]
    [InlineData("\"dimensions\": \"384\"")]
    [InlineData("\"maxNorm\": 0")]
    [InlineData("\"maxNorm\": -1")]
    [InlineData("\"maxNorm\": 1e39")]
    [InlineData("\"maxNorm\": null")]
    public async Task Parse_WhenALimitIsMalformed_ThrowsFormatException(string property)
    {
        string json = (await LimitedKeysetAsync()).ToJson().Replace("\"useScalingFactor\": false,", $"\"useScalingFactor\": false, {property},", StringComparison.Ordinal);
        json = json.Replace("\"dimensions\": 384,", string.Empty, StringComparison.Ordinal).Replace("\"maxNorm\": 1.001,", string.Empty, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => Keyset.Parse(json));
    }

    [Fact]
    public async Task Parse_WhenLimitsAppearOnADeterministicPath_ThrowsFormatException()
    {
        using TestKek kek = _kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddDeterministicSecretAsync(new SecretPath("f"), kek);
        JsonNode root = JsonNode.Parse(keyset.ToJson())!;
        root["deterministic"]!["f"]!["dimensions"] = 384;
        Assert.Throws<FormatException>(() => Keyset.Parse(root.ToJsonString()));
    }

    [Fact]
    public async Task Import_WhenTheConfigurationHasLimits_KeepsThemInTheKeyset()
    {
        using TestKek kek = _kms.Kek();
        using var secret = new Secret([.. Enumerable.Range(0, 32).Select(i => (byte)i)]);
        var vector = new VectorSecret(2f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret))) { Dimensions = 8, MaxNorm = 1.5f };
        Keyset imported = await Veil.Insecure.InsecureCleartextKeyset.ImportAsync(new VeilConfiguration(vector: TestData.VectorSection("p", vector)), kek);

        using UnwrappedKeyset live = await Keyset.Parse(imported.ToJson()).UnwrapAsync(_kms);
        Assert.Equal(8, live.Configuration.Vector[TestIds.P].Dimensions);
        Assert.Equal(1.5f, live.Configuration.Vector[TestIds.P].MaxNorm);
    }

    /// <summary>Path "p" with dimensions 384 and maxNorm 1.001, path "q" without limits; one current secret each.</summary>
    private async Task<Keyset> LimitedKeysetAsync()
    {
        using TestKek kek = _kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddVectorSecretAsync(TestIds.P, kek, 2.5f, dimensions: 384, maxNorm: 1.001f);
        await keyset.AddVectorSecretAsync(new SecretPath("q"), kek, 2f);
        return keyset;
    }
}
