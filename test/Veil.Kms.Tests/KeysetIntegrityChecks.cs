using System.Text.Json.Nodes;
using Veil.Keys;

namespace Veil.Kms.Tests;

/// <summary>The keyset authentication checks every provider must pass: the lifecycle keeps the tag valid, edits fail.</summary>
internal static class KeysetIntegrityChecks
{
    /// <summary>Walks add → promote → retire (each saved and read back, verified through <paramref name="kms"/>), then edits the file three ways.</summary>
    public static async Task LifecycleKeepsTheTagAndEditsFailAsync(IKmsClient kms, IKeyEncryptionKey kek)
    {
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddVectorSecretAsync(TestIds.P, kek, 2f);
        keyset = Keyset.Parse(keyset.ToJson());
        KeysetSecretInfo second = await keyset.AddVectorSecretAsync(TestIds.P, kek);
        keyset = Keyset.Parse(keyset.ToJson());
        await keyset.VerifyAsync(kms);
        keyset.Promote(KeysetSection.Vector, TestIds.P, second.Id);
        keyset.Retire(KeysetSection.Vector, TestIds.P, new KeyId(1));
        string json = keyset.ToJson();
        using (UnwrappedKeyset live = await Keyset.Parse(json).UnwrapAsync(kms))
        {
            Assert.Equal(second.Id, live.Configuration.Vector[TestIds.P].Secrets.Current!.Id);
        }

        foreach (Action<JsonNode> edit in new Action<JsonNode>[]
        {
            root => root["vector"]!["p"]!["secrets"]![0]!["state"] = "inRotation",
            root => root["vector"]!["p"]!["secrets"]!.AsArray().RemoveAt(0),
            root => root["vector"]!["p"]!["approximationFactor"] = 2.5,
        })
        {
            JsonNode root = JsonNode.Parse(json)!;
            edit(root);
            KeyNotAvailableException e = await Assert.ThrowsAsync<KeyNotAvailableException>(() => Keyset.Parse(root.ToJsonString()).UnwrapAsync(kms));
            Assert.Contains("altered", e.Message, StringComparison.Ordinal);
        }
    }
}
