using System.Text;
using Veil.Documents;
using Veil.Insecure;
using Veil.Keys;
using Veil.Tests.Support;

namespace Veil.Tests.Documents;

/// <summary>
/// Document batches share one KEK cache across items of several secrets and tenants; each item must come out exactly
/// as the single-item call makes it, failures included.
/// </summary>
public class DocumentBatchTests
{
    private static readonly TenantId s_tenant = TestIds.TenantA;

    [Fact]
    public void AttachedEncryptBatchAndRekey_WhenSeeded_EqualOneAtATimeInInputOrder()
    {
        var config = new VeilConfiguration(standard: DocumentTestKeys.Secrets(2, 1, 2));
        byte[][] texts = Texts(200);
        using VeilClient batchClient = InsecureSeededClient.Create(config, 5);
        using VeilClient serialClient = InsecureSeededClient.Create(config, 5);

        BatchResult<byte[]> batch = batchClient.StandardAttached.EncryptBatch(texts, s_tenant);
        BatchAssert.EqualsOneAtATime(texts, batch, t => serialClient.StandardAttached.Encrypt(t, s_tenant), Assert.Equal);

        byte[][] documents = batch.Select(r => r.Value!).ToArray();
        BatchResult<byte[]> rekeyed = batchClient.StandardAttached.RekeyDocuments(documents, s_tenant, TestIds.TenantB);
        BatchAssert.EqualsOneAtATime(
            documents, rekeyed, d => serialClient.StandardAttached.RekeyDocuments([d], s_tenant, TestIds.TenantB)[0].Value!, Assert.Equal);
        Assert.Equal(
            texts.Select(Encoding.UTF8.GetString),
            batchClient.StandardAttached.DecryptBatch(rekeyed.Select(r => r.Value!).ToArray(), TestIds.TenantB).Select(r => Encoding.UTF8.GetString(r.Value!)));
    }

    [Fact]
    public void StandardEncryptWithExistingEdekBatch_WhenSeeded_EqualsOneAtATimeInInputOrder()
    {
        var config = new VeilConfiguration(standard: DocumentTestKeys.Secrets(1, 1, 2));
        using VeilClient client = InsecureSeededClient.Create(config, 8);
        byte[][] edeks = client.Standard.EncryptBatch(Documents(20), s_tenant).Select(r => r.Value!.Edek).ToArray();
        (IReadOnlyDictionary<string, byte[]> Fields, byte[] Edek)[] requests =
            Documents(100).Select((d, i) => (d, edeks[i % edeks.Length])).ToArray();
        using VeilClient batchClient = InsecureSeededClient.Create(config, 9);
        using VeilClient serialClient = InsecureSeededClient.Create(config, 9);

        BatchResult<EncryptedDocument> batch = batchClient.Standard.EncryptWithExistingEdekBatch(requests, s_tenant);

        BatchAssert.EqualsOneAtATime(requests, batch, r => serialClient.Standard.EncryptWithExistingEdek(r.Fields, r.Edek, s_tenant), AssertSame);
    }

    [Fact]
    public void AttachedDecryptBatch_WhenDocumentsMixSecretsFormatsTenantsAndTampering_FailsOnlyTheBadOnesAsSingleItemsDo()
    {
        AttachedDocumentOperations operations = DocumentTestKeys.Attached(null, 1, 2);
        byte[][] texts = Texts(300);
        byte[][] underOne = DocumentTestKeys.Attached(1, 1, 2).EncryptBatch(texts, s_tenant).Select(r => r.Value!).ToArray();
        byte[][] underTwo = DocumentTestKeys.Attached(2, 1, 2).EncryptBatch(texts, s_tenant).Select(r => r.Value!).ToArray();
        byte[][] otherTenant = DocumentTestKeys.Attached(2, 1, 2).EncryptBatch(texts, TestIds.TenantB).Select(r => r.Value!).ToArray();
        byte[][] documents = Enumerable.Range(0, texts.Length).Select(i => (i % 6) switch
        {
            0 => underOne[i],
            1 => underTwo[i],
            2 => DocumentBuilders.ToCloakedSearchFormat(underTwo[i]),
            3 => otherTenant[i],
            4 => Flipped(underOne[i], underOne[i].Length - 1 - (i % 40)),
            _ => Flipped(underTwo[i], 9),
        }).ToArray();

        BatchResult<byte[]> batch = operations.DecryptBatch(documents, s_tenant);

        int failures = BatchAssert.EqualsOneAtATime(documents, batch, d => operations.Decrypt(d, s_tenant), Assert.Equal);
        Assert.Equal(150, failures);
        Assert.All(
            Enumerable.Range(0, texts.Length).Where(i => i % 6 < 3),
            i => Assert.Equal(texts[i], batch[i].Value));
    }

    [Fact]
    public void StandardDecryptBatch_WhenDocumentsMixSecretsTenantsAndTampering_FailsOnlyTheBadOnesAsSingleItemsDo()
    {
        StandardDocumentOperations operations = DocumentTestKeys.Standard(null, 1, 2);
        IReadOnlyDictionary<string, byte[]>[] plaintexts = Documents(240);
        EncryptedDocument[] underOne = DocumentTestKeys.Standard(1, 1, 2).EncryptBatch(plaintexts, s_tenant).Select(r => r.Value!).ToArray();
        EncryptedDocument[] underTwo = DocumentTestKeys.Standard(2, 1, 2).EncryptBatch(plaintexts, TestIds.TenantB).Select(r => r.Value!).ToArray();
        EncryptedDocument[] documents = Enumerable.Range(0, plaintexts.Length).Select(i => (i % 4) switch
        {
            0 => underOne[i],
            1 => underTwo[i],
            2 => new EncryptedDocument(underOne[i].Edek, new Dictionary<string, byte[]>(underOne[i].Fields) { ["text"] = Flipped(underOne[i].Fields["text"], 20) }),
            _ => new EncryptedDocument(Flipped(underOne[i].Edek, 30), underOne[i].Fields),
        }).ToArray();

        BatchResult<IReadOnlyDictionary<string, byte[]>> batch = operations.DecryptBatch(documents, s_tenant);

        int failures = BatchAssert.EqualsOneAtATime(
            documents,
            batch,
            d => operations.Decrypt(d, s_tenant),
            (expected, actual) => Assert.Equal(expected.OrderBy(f => f.Key), actual.OrderBy(f => f.Key)));
        Assert.Equal(180, failures);
        Assert.All(
            Enumerable.Range(0, plaintexts.Length).Where(i => i % 4 == 0),
            i => Assert.Equal(plaintexts[i]["text"], batch[i].Value!["text"]));
    }

    private static byte[][] Texts(int count) =>
        Enumerable.Range(0, count).Select(i => Encoding.UTF8.GetBytes($"{{\"text\":\"record {i:D6} of the batch\"}}")).ToArray();

    private static IReadOnlyDictionary<string, byte[]>[] Documents(int count) =>
        Texts(count).Select(t => (IReadOnlyDictionary<string, byte[]>)new Dictionary<string, byte[]> { ["text"] = t, ["tag"] = [1, 2] }).ToArray();

    private static byte[] Flipped(byte[] bytes, int index)
    {
        byte[] copy = bytes.ToArray();
        copy[index] ^= 0x01;
        return copy;
    }

    private static void AssertSame(EncryptedDocument expected, EncryptedDocument actual)
    {
        Assert.Equal(expected.Edek, actual.Edek);
        Assert.Equal(expected.Fields.OrderBy(f => f.Key), actual.Fields.OrderBy(f => f.Key));
    }
}
