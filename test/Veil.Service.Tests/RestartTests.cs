using Veil.Documents;
using Veil.Fields;
using Veil.Keys;
using Veil.Service.Client;
using Veil.Vectors;

namespace Veil.Service.Tests;

public sealed class RestartTests
{
    private static readonly TenantId s_acme = new("acme");

    [Fact]
    public async Task Restart_WithTheSameKeysetAndLocalKms_DecryptsWhatTheFirstRunEncrypted()
    {
        using var keys = new TestKeys();
        await RestartRoundTripAsync(keys);
    }

    [SoftHsmFact]
    public async Task Restart_WithTheSameKeysetAndHsm_DecryptsWhatTheFirstRunEncrypted()
    {
        using var keys = new TestKeys(() => SoftHsm.Client(), uri => SoftHsm.Client().CreateKeyAsync(uri), SoftHsm.NewKeyUri());
        Assert.StartsWith("pkcs11:", Keyset.Parse(keys.KeysetJson).KekUri, StringComparison.Ordinal);
        await RestartRoundTripAsync(keys);
    }

    private static async Task RestartRoundTripAsync(TestKeys keys)
    {
        float[] vector = TestKeys.Unit([.. Enumerable.Range(0, TestKeys.Dimensions).Select(i => (float)Math.Sin(i))]);
        var field = new PlaintextField("4111-1111"u8.ToArray(), new SecretPath(TestKeys.SecretPath), new DerivationPath(TestKeys.DerivationPath));
        var document = new Dictionary<string, byte[]> { ["note"] = "hello"u8.ToArray() };
        EncryptedVector encryptedVector;
        EncryptedField encryptedField;
        EncryptedDocument encryptedDocument;
        await using (ServiceHost first = await ServiceHost.StartAsync(keys))
        {
            VeilServiceClient client = first.Client(ServiceHost.AdminKey);
            encryptedVector = (await client.EncryptBatchAsync([vector], new SecretPath(TestKeys.SecretPath), new DerivationPath(TestKeys.DerivationPath), s_acme))[0].Value!;
            encryptedField = (await client.EncryptDeterministicallyBatchAsync([field], s_acme))[0].Value!;
            encryptedDocument = (await client.Standard.EncryptBatchAsync([document], s_acme))[0].Value!;
        }

        await using ServiceHost second = await ServiceHost.StartAsync(keys);
        VeilServiceClient again = second.Client(ServiceHost.AdminKey);
        float[] decrypted = (await again.DecryptBatchAsync([encryptedVector], s_acme))[0].Value!;
        Assert.All(Enumerable.Range(0, vector.Length), i => Assert.True(Math.Abs(vector[i] - decrypted[i]) < 1e-3));
        Assert.Equal("4111-1111"u8.ToArray(), (await again.Deterministic.DecryptBatchAsync([encryptedField], s_acme))[0].Value);
        Assert.Equal(encryptedField.Ciphertext, (await again.EncryptDeterministicallyBatchAsync([field], s_acme))[0].Value!.Ciphertext);
        Assert.Equal("hello"u8.ToArray(), (await again.Standard.DecryptBatchAsync([encryptedDocument], s_acme))[0].Value!["note"]);
    }
}
