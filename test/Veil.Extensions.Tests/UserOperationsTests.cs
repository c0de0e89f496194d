using Veil.Extensions.Tests.Support;
using Veil.Vectors;
using Veil.Keys;

namespace Veil.Extensions.Tests;

/// <summary><see cref="IVeilOperations"/> implemented outside Veil, with only its public API.</summary>
public sealed class UserOperationsTests(RotatingClients keys) : IClassFixture<RotatingClients>
{
    [Fact]
    public async Task UserWrittenOperations_WhenOneItemFails_OthersRoundTripAndTheFailureIsCounted()
    {
        var remote = new RemoteLikeOperations(new LocalVeilOperations(keys.Client));
        remote.FailIndexes.Add(1);
        float[][] vectors = Synthetic.Clustered(3, 1, 0.5f, seed: 5);

        BatchResult<EncryptedVector> encrypted = await remote.Vector.EncryptBatchAsync(
            [.. vectors.Select(v => (ReadOnlyMemory<float>)v)], new SecretPath(RotatingClients.VectorPath), new DerivationPath("minilm"), new TenantId(RotatingClients.Tenant));
        remote.FailIndexes.Clear();
        BatchResult<float[]> decrypted = await remote.Vector.DecryptBatchAsync([encrypted[0].Value!, encrypted[2].Value!], new TenantId(RotatingClients.Tenant));

        Assert.Equal((2, 1), (encrypted.SuccessCount, encrypted.FailureCount));
        Assert.False(encrypted[1].IsSuccess);
        Assert.IsType<InvalidOperationException>(encrypted[1].Error);
        Assert.Equal(vectors[0], decrypted[0].Value!, (a, b) => Math.Abs(a - b) < 1e-4f);
        Assert.Equal(vectors[2], decrypted[1].Value!, (a, b) => Math.Abs(a - b) < 1e-4f);
        Assert.Equal(["EncryptBatchAsync", "Vector.DecryptBatchAsync"], remote.Calls);
    }
}
