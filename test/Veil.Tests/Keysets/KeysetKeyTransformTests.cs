using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Veil.Keys;
using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Keysets;

/// <summary>
/// A vector path's <c>keyTransform</c> in the keyset: chosen when the path is created, fixed afterwards, written only
/// for the structured rotation (so readers that do not know it refuse the file), and bound into the integrity tag and
/// every wrapped secret, so it cannot be edited in or out.
/// </summary>
public class KeysetKeyTransformTests
{
    private readonly TestKms _kms = new();

    [Fact]
    public async Task AddVectorSecret_WhenStructuredRotation_RoundTripsThroughJsonAndEncryptsWithIt()
    {
        Keyset read = Keyset.Parse((await KeysetAsync()).ToJson());
        JsonNode root = JsonNode.Parse(read.ToJson())!;
        Assert.Equal("structuredRotation", (string)root["vector"]!["r"]!["keyTransform"]!);
        Assert.Null(root["vector"]!["p"]!["keyTransform"]);
        Assert.All(read.List().Where(i => i.Path.Value == "r"), i => Assert.Equal(VectorKeyTransform.StructuredRotation, i.KeyTransform));
        Assert.All(read.List().Where(i => i.Path.Value == "p"), i => Assert.Equal(VectorKeyTransform.AlloyPermutation, i.KeyTransform));

        using UnwrappedKeyset live = await read.UnwrapAsync(_kms);
        Assert.Equal(VectorKeyTransform.StructuredRotation, live.Configuration.Vector[new SecretPath("r")].KeyTransform);
        Assert.Equal(VectorKeyTransform.AlloyPermutation, live.Configuration.Vector[TestIds.P].KeyTransform);
        using var client = new VeilClient(live.Configuration);
        float[] x = [.. Enumerable.Range(0, 32).Select(i => (i - 16) / 40f)];
        EncryptedVector encrypted = client.Vector.Encrypt(x, new SecretPath("r"), TestIds.Model, TestIds.Tenant);
        Assert.Equal(VectorKeyTransform.StructuredRotation, client.Vector.GetEncryptor(new SecretPath("r"), TestIds.Model, TestIds.Tenant).KeyTransform);
        Assert.Equal(x, client.Vector.Decrypt(encrypted, TestIds.Tenant), (a, b) => Math.Abs(a - b) <= 1e-5f);

        // The limits copy keeps the transform.
        Assert.Equal(VectorKeyTransform.StructuredRotation, live.Configuration.Vector[new SecretPath("r")].WithLimits(32, 1f).KeyTransform);
    }

    [Theory]
    [InlineData("remove from the rotation path")]
    [InlineData("add to the permutation path")]
    [InlineData("set the rotation path to alloyPermutation")]
    public async Task Unwrap_WhenTheTransformIsEditedOutsideVeil_ThrowsAltered(string edit)
    {
        JsonNode root = JsonNode.Parse((await KeysetAsync()).ToJson())!;
        JsonObject rotation = root["vector"]!["r"]!.AsObject();
        switch (edit)
        {
            case "remove from the rotation path":
                rotation.Remove("keyTransform");
                break;
            case "add to the permutation path":
                root["vector"]!["p"]!["keyTransform"] = "structuredRotation";
                break;
            default:
                rotation["keyTransform"] = "alloyPermutation";
                break;
        }

        Keyset edited = Keyset.Parse(root.ToJsonString());
        KeyNotAvailableException e = await Assert.ThrowsAsync<KeyNotAvailableException>(() => edited.UnwrapAsync(_kms));
        Assert.Contains("altered", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unwrap_WhenTheTagIsBypassed_TheWrappedSecretStillRefusesTheOtherTransform()
    {
        // Without the integrity block (a version-1 style edit), the wrapped secret's associated data still binds it.
        using TestKek kek = _kms.Kek();
        var id = new KeyId(1);
        byte[] wrapped = await kek.WrapKeyAsync(new byte[32], Keyset.AssociatedData(KeysetSection.Vector, new SecretPath("r"), id, 2f, false, VectorKeyTransform.StructuredRotation));
        byte[] asPermutation = Keyset.AssociatedData(KeysetSection.Vector, new SecretPath("r"), id, 2f, false);
        Assert.NotEqual(asPermutation, Keyset.AssociatedData(KeysetSection.Vector, new SecretPath("r"), id, 2f, false, VectorKeyTransform.StructuredRotation));
        await Assert.ThrowsAnyAsync<CryptographicException>(async () => await kek.UnwrapKeyAsync(wrapped, asPermutation));
    }

    [Theory]
    [InlineData("\"keyTransform\": \"rotation\"")]
    [InlineData("\"keyTransform\": \"StructuredRotation\"")]
    [InlineData("\"keyTransform\": 1")]
    [InlineData("\"keyTransform\": null")]
    public async Task Parse_WhenTheTransformIsUnknown_ThrowsFormatException(string property)
    {
        string json = (await KeysetAsync()).ToJson().Replace("\"keyTransform\": \"structuredRotation\"", property, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => Keyset.Parse(json));
    }

    [Fact]
    public async Task Parse_WhenTheTransformIsOnADeterministicPath_ThrowsFormatException()
    {
        using TestKek kek = _kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddDeterministicSecretAsync(new SecretPath("f"), kek);
        JsonNode root = JsonNode.Parse(keyset.ToJson())!;
        root["deterministic"]!["f"]!["keyTransform"] = "structuredRotation";
        Assert.Throws<FormatException>(() => Keyset.Parse(root.ToJsonString()));
    }

    [Fact]
    public async Task AddVectorSecret_WhenTheTransformDiffersOnAnExistingPath_Refuses_AndANewSecretInheritsIt()
    {
        using TestKek kek = _kms.Kek();
        Keyset keyset = await KeysetAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => keyset.AddVectorSecretAsync(new SecretPath("r"), kek, keyTransform: VectorKeyTransform.AlloyPermutation));
        await Assert.ThrowsAsync<ArgumentException>(() => keyset.AddVectorSecretAsync(TestIds.P, kek, keyTransform: VectorKeyTransform.StructuredRotation));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => keyset.AddVectorSecretAsync(new SecretPath("new"), kek, 2f, keyTransform: (VectorKeyTransform)7));

        KeysetSecretInfo next = await keyset.AddVectorSecretAsync(new SecretPath("r"), kek);
        Assert.Equal(VectorKeyTransform.StructuredRotation, next.KeyTransform);
    }

    [Fact]
    public async Task Import_WhenTheConfigurationHasTheRotation_KeepsItInTheKeyset()
    {
        using TestKek kek = _kms.Kek();
        using var secret = new Secret([.. Enumerable.Range(0, 32).Select(i => (byte)i)]);
        var vector = new VectorSecret(2f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret))) { KeyTransform = VectorKeyTransform.StructuredRotation };
        Keyset imported = await Veil.Insecure.InsecureCleartextKeyset.ImportAsync(new VeilConfiguration(vector: TestData.VectorSection("p", vector)), kek);

        using UnwrappedKeyset live = await Keyset.Parse(imported.ToJson()).UnwrapAsync(_kms);
        Assert.Equal(VectorKeyTransform.StructuredRotation, live.Configuration.Vector[TestIds.P].KeyTransform);
        Assert.Contains("\"keyTransform\": \"structuredRotation\"", Veil.Insecure.InsecureCleartextKeyset.ExportConfigurationJson(live), StringComparison.Ordinal);
    }

    [Fact]
    public void VectorSecret_WhenTheTransformIsUnknown_Throws()
    {
        using var secret = new Secret(new byte[32]);
        var secrets = new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VectorSecret(2f, secrets) { KeyTransform = (VectorKeyTransform)2 });
    }

    /// <summary>Path "p" with Alloy's permutation, path "r" with the structured rotation; one current secret each.</summary>
    private async Task<Keyset> KeysetAsync()
    {
        using TestKek kek = _kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddVectorSecretAsync(TestIds.P, kek, 2.5f);
        await keyset.AddVectorSecretAsync(new SecretPath("r"), kek, 2.5f, keyTransform: VectorKeyTransform.StructuredRotation);
        return keyset;
    }
}
