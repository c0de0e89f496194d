using Veil.Keys;
using Veil.Vectors;

namespace Veil.Tests.Examples;

/// <summary>The README's library quickstart, kept compiling and working.</summary>
public class ReadmeQuickstartTests
{
    [Fact]
    public void Quickstart_WhenRunAsWritten_EncryptsQueriesAndDecrypts()
    {
        using var secret = Secret.Generate();                  // 64 bytes from the OS CSPRNG; store it in your KMS
        var config = new VeilConfiguration(vector: new Dictionary<SecretPath, VectorSecret>
        {
            [new SecretPath("embeddings")] = new VectorSecret(approximationFactor: 2.5f,
                new RotatableSecret(current: new IdentifiedSecret(new KeyId(1), secret))),
        });
        using var client = new VeilClient(config);

        float[] embedding = Enumerable.Range(0, 384).Select(i => MathF.Sin(i) / 14f).ToArray();
        var (embeddings, minilm, tenant) = (new SecretPath("embeddings"), new DerivationPath("minilm"), new TenantId("tenant-42"));
        EncryptedVector encrypted = client.Vector.Encrypt(embedding, embeddings, minilm, tenant);
        IReadOnlyList<QueryVector> queries = client.Vector.GenerateQueryVectors(embedding, embeddings, minilm, tenant);
        float[] decrypted = client.Vector.Decrypt(encrypted, tenant);

        Assert.Equal(54, encrypted.PairedIclInfo.Length);
        Assert.Single(queries);
        Assert.All(embedding.Zip(decrypted), p => Support.TestData.AssertClose(p.First, p.Second));
    }
}
