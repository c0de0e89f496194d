using System.Text.Json.Nodes;
using Veil.Keys;

namespace Veil.Tests.Keysets;

/// <summary>
/// The keyset's authentication tag: any edit of the content outside Veil (a state, a secret removed or reordered, β)
/// makes loading fail; the lifecycle operations keep it valid; a keyset read from JSON cannot be changed unverified;
/// version-1 files are refused until upgraded.
/// </summary>
public class KeysetIntegrityTests
{
    private readonly TestKms _kms = new();

    [Theory]
    [InlineData("resurrect a retired secret")]
    [InlineData("drop the current secret")]
    [InlineData("remove a retired secret")]
    [InlineData("reorder secrets")]
    [InlineData("change beta")]
    [InlineData("change a creation time")]
    [InlineData("change the default kekUri")]
    [InlineData("flip a tag bit")]
    public async Task Unwrap_WhenContentEditedOutsideVeil_ThrowsAltered(string edit)
    {
        JsonNode root = JsonNode.Parse((await RotatedKeysetAsync()).ToJson())!;
        JsonArray secrets = root["vector"]!["p"]!["secrets"]!.AsArray();
        switch (edit)
        {
            case "resurrect a retired secret":
                secrets[0]!["state"] = "inRotation";
                break;
            case "drop the current secret":
                secrets.RemoveAt(1);
                secrets[0]!["state"] = "current";
                break;
            case "remove a retired secret":
                secrets.RemoveAt(0);
                break;
            case "reorder secrets":
                JsonNode first = secrets[0]!;
                secrets.RemoveAt(0);
                secrets.Add(first);
                break;
            case "change beta":
                root["vector"]!["p"]!["approximationFactor"] = 3.0;
                break;
            case "change a creation time":
                secrets[1]!["createdAt"] = "2020-01-01T00:00:00Z";
                break;
            case "change the default kekUri":
                root["kekUri"] = "test:other";
                break;
            default:
                byte[] tag = Convert.FromBase64String((string)root["integrity"]!["tag"]!);
                tag[0] ^= 1;
                root["integrity"]!["tag"] = Convert.ToBase64String(tag);
                break;
        }

        Keyset edited = Keyset.Parse(root.ToJsonString());

        KeyNotAvailableException e = await Assert.ThrowsAsync<KeyNotAvailableException>(() => edited.UnwrapAsync(_kms));
        Assert.Contains("altered", e.Message, StringComparison.Ordinal);
        Assert.IsType<System.Security.Cryptography.CryptographicException>(e.InnerException, exactMatch: false);
        await Assert.ThrowsAsync<KeyNotAvailableException>(() => edited.VerifyAsync(_kms));
    }

    [Fact]
    public async Task Lifecycle_WhenEachStepIsSavedAndReadBack_KeepsTheTagValid()
    {
        using TestKek kek = _kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddVectorSecretAsync(TestIds.P, kek, 2f);
        await keyset.AddStandardSecretAsync(kek);
        keyset = Reload(keyset);
        KeysetSecretInfo added = await keyset.AddVectorSecretAsync(TestIds.P, kek);
        keyset = Reload(keyset);
        await keyset.VerifyAsync(_kms);
        keyset.Promote(KeysetSection.Vector, TestIds.P, added.Id);
        keyset = Reload(keyset);
        await keyset.VerifyAsync(_kms);
        keyset.Retire(KeysetSection.Vector, TestIds.P, new KeyId(1));
        keyset = Reload(keyset);

        using UnwrappedKeyset live = await keyset.UnwrapAsync(_kms);
        Assert.Equal(added.Id, live.Configuration.Vector[TestIds.P].Secrets.Current!.Id);
        Assert.Null(live.Configuration.Vector[TestIds.P].Secrets.InRotation);
    }

    [Fact]
    public async Task PromoteAndRetire_WhenReadFromJsonAndNotVerified_ThrowAndChangeNothing()
    {
        using TestKek kek = _kms.Kek();
        Keyset original = Keyset.Create(kek.KeyUri);
        await original.AddDeterministicSecretAsync(new SecretPath("f"), kek);
        KeysetSecretInfo pending = await original.AddDeterministicSecretAsync(new SecretPath("f"), kek);
        Keyset read = Keyset.Parse(original.ToJson());

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => read.Promote(KeysetSection.Deterministic, new SecretPath("f"), pending.Id));

        Assert.Contains("Verify", e.Message, StringComparison.Ordinal);
        Assert.Equal(KeysetSecretState.Pending, read.List()[1].State);
        Assert.Equal(original.ToJson(), read.ToJson());
    }

    [Fact]
    public async Task Add_WhenReadFromJsonAndEdited_RefusesToSignTheEdit()
    {
        using TestKek kek = _kms.Kek();
        JsonNode root = JsonNode.Parse((await RotatedKeysetAsync()).ToJson())!;
        root["vector"]!["p"]!["secrets"]![0]!["state"] = "inRotation";
        Keyset edited = Keyset.Parse(root.ToJsonString());

        await Assert.ThrowsAsync<KeyNotAvailableException>(() => edited.AddDeterministicSecretAsync(new SecretPath("new"), kek));
    }

    [Fact]
    public async Task Unwrap_WhenIntegrityKeyReplacedByAnotherKeysets_Throws()
    {
        JsonNode root = JsonNode.Parse((await RotatedKeysetAsync()).ToJson())!;
        JsonNode other = JsonNode.Parse((await RotatedKeysetAsync()).ToJson())!;
        root["integrity"] = other["integrity"]!.DeepClone();

        await Assert.ThrowsAsync<KeyNotAvailableException>(() => Keyset.Parse(root.ToJsonString()).UnwrapAsync(_kms));
    }

    [Fact]
    public async Task UpgradeFromVersion1_WhenVersion1File_AddsTheTagAndKeepsTheSecrets()
    {
        Keyset keyset = await RotatedKeysetAsync();
        JsonNode root = JsonNode.Parse(keyset.ToJson())!;
        root["format"] = Keyset.Version1FormatName;
        root.AsObject().Remove("integrity");
        string version1 = root.ToJsonString();

        FormatException refused = Assert.Throws<FormatException>(() => Keyset.Parse(version1));
        Keyset upgraded = await Keyset.UpgradeFromVersion1Async(version1, _kms);
        Keyset reread = Keyset.Parse(upgraded.ToJson());

        Assert.Contains("veil keys upgrade", refused.Message, StringComparison.Ordinal);
        using UnwrappedKeyset live = await reread.UnwrapAsync(_kms);
        using UnwrappedKeyset before = await keyset.UnwrapAsync(_kms);
        Assert.True(live.Configuration.Vector[TestIds.P].Secrets.Current!.Secret.Span.SequenceEqual(before.Configuration.Vector[TestIds.P].Secrets.Current!.Secret.Span));
        await Assert.ThrowsAsync<FormatException>(() => Keyset.UpgradeFromVersion1Async(upgraded.ToJson(), _kms));
    }

    /// <summary>Vector path "p": secret 1 retired, secret 2 current.</summary>
    private async Task<Keyset> RotatedKeysetAsync()
    {
        using TestKek kek = _kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddVectorSecretAsync(TestIds.P, kek, 2f);
        KeysetSecretInfo second = await keyset.AddVectorSecretAsync(TestIds.P, kek);
        keyset.Promote(KeysetSection.Vector, TestIds.P, second.Id);
        keyset.Retire(KeysetSection.Vector, TestIds.P, new KeyId(1));
        return keyset;
    }

    private static Keyset Reload(Keyset keyset) => Keyset.Parse(keyset.ToJson());
}
