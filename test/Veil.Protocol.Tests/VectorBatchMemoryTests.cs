using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Veil.Vectors;

namespace Veil.Protocol.Tests;

/// <summary>
/// The core's batch overloads that write into memory the caller owns, which the JSON Lines pipeline's chunk memory
/// uses: the same results as the array forms, written where asked, one bad item failing alone.
/// </summary>
public sealed class VectorBatchMemoryTests
{
    private static readonly float[][] s_vectors = [[1f, 2f, 3f], [0.5f, -0.25f, 4f, 8f]];

    [Fact]
    public void EncryptBatch_IntoMemory_WritesTheArrayFormsCiphertextsThere()
    {
        float[] memory = new float[7];
        Memory<float>[] destinations = [memory.AsMemory(0, 3), memory.AsMemory(3, 4)];
        using VeilClient client = TestClients.Seeded();
        using VeilClient reference = TestClients.Seeded();
        OperationScope s = TestClients.Scope;

        BatchResult<EncryptedVector> written = client.Vector.EncryptBatch(Inputs(), destinations, s.SecretPath, s.DerivationPath, s.Tenant);
        BatchResult<EncryptedVector> expected = reference.Vector.EncryptBatch(Inputs(), s.SecretPath, s.DerivationPath, s.Tenant);

        for (int i = 0; i < s_vectors.Length; i++)
        {
            Assert.Equal(expected[i].Value!.Ciphertext.ToArray(), destinations[i].ToArray());
            Assert.True(MemoryMarshal.TryGetArray(written[i].Value!.Ciphertext, out ArraySegment<float> segment) && segment.Array == memory);
            Assert.Equal(expected[i].Value!.PairedIclInfo.ToArray(), written[i].Value!.PairedIclInfo.ToArray());
        }
    }

    [Fact]
    public void DecryptBatch_IntoMemory_DecryptsThereAndFailsATamperedItemAloneWithItsMemoryCleared()
    {
        using VeilClient client = TestClients.Seeded();
        OperationScope s = TestClients.Scope;
        BatchResult<EncryptedVector> encrypted = client.Vector.EncryptBatch(Inputs(), s.SecretPath, s.DerivationPath, s.Tenant);
        float[] tampered = encrypted[1].Value!.Ciphertext.ToArray();
        tampered[2] += 1f;
        EncryptedVector bad = new(tampered, encrypted[1].Value!.PairedIclInfo, s.SecretPath, s.DerivationPath);
        float[] memory = [.. Enumerable.Repeat(9f, 7)];
        Memory<float>[] destinations = [memory.AsMemory(0, 3), memory.AsMemory(3, 4)];

        BatchResult<Memory<float>> decrypted = client.Vector.DecryptBatch([encrypted[0].Value!, bad], destinations, s.Tenant);

        Assert.Equal(client.Vector.Decrypt(encrypted[0].Value!, s.Tenant), destinations[0].ToArray());
        Assert.True(decrypted[0].IsSuccess);
        Assert.IsType<AuthenticationTagMismatchException>(decrypted[1].Error);
        Assert.All(memory[3..], value => Assert.Equal(0f, value));
    }

    [Fact]
    public void Batches_IntoMemory_WhenTheDestinationsAreTooFewOrTooShort_RefuseTheBatchOrTheItem()
    {
        using VeilClient client = TestClients.Seeded();
        OperationScope s = TestClients.Scope;

        Assert.Throws<ArgumentException>(() => client.Vector.EncryptBatch(Inputs(), [new float[3]], s.SecretPath, s.DerivationPath, s.Tenant));
        BatchResult<EncryptedVector> result = client.Vector.EncryptBatch(Inputs(), [new float[3], new float[3]], s.SecretPath, s.DerivationPath, s.Tenant);
        Assert.True(result[0].IsSuccess);
        Assert.IsType<ArgumentException>(result[1].Error, exactMatch: false);
        Assert.Throws<ArgumentException>(() => client.Vector.DecryptBatch([result[0].Value!], [], s.Tenant));
    }

    private static ReadOnlyMemory<float>[] Inputs() => [.. s_vectors.Select(v => (ReadOnlyMemory<float>)v)];
}
