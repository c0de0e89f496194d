using Veil.Documents;
using Veil.Insecure;
using Veil.Keys;

namespace Veil.Tests.Documents;

public class SeededBatchTests
{
    [Fact]
    public void EncryptBatchAndRekey_WhenSeeded_EqualOneAtATimeInInputOrder()
    {
        using var secret = new Secret(new byte[40]);
        var config = new VeilConfiguration(standard: new StandardSecrets(new KeyId(3), [new IdentifiedSecret(new KeyId(3), secret)]));
        IReadOnlyDictionary<string, byte[]>[] documents = Enumerable.Range(0, 50)
            .Select(i => (IReadOnlyDictionary<string, byte[]>)new Dictionary<string, byte[]> { ["a"] = [(byte)i], ["b"] = [1, 2, 3] })
            .ToArray();
        using VeilClient batchClient = InsecureSeededClient.Create(config, 11);
        using VeilClient serialClient = InsecureSeededClient.Create(config, 11);

        BatchResult<EncryptedDocument> batch = batchClient.Standard.EncryptBatch(documents, new TenantId("t"));
        EncryptedDocument[] serial = documents.Select(d => serialClient.Standard.Encrypt(d, new TenantId("t"))).ToArray();
        for (int i = 0; i < documents.Length; i++)
        {
            Assert.Equal(serial[i].Edek, batch[i].Value!.Edek);
            Assert.Equal(serial[i].Fields["a"], batch[i].Value!.Fields["a"]);
        }

        BatchResult<byte[]> rekeyed = batchClient.Standard.RekeyEdeks(serial.Select(d => d.Edek).ToArray(), new TenantId("t"), new TenantId("u"));
        byte[][] rekeyedSerial = serial.Select(d => serialClient.Standard.RekeyEdeks([d.Edek], new TenantId("t"), new TenantId("u"))[0].Value!).ToArray();
        Assert.Equal(rekeyedSerial, rekeyed.Select(r => r.Value!));
    }
}
