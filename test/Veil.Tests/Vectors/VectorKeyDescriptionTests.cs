using Veil.Keys;
using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Vectors;

/// <summary>
/// <see cref="VectorKeyDescription"/>: which key one-way ciphertexts (and the models trained on them) belong to, with a
/// key check that only the same secret and β verify, and no key bytes.
/// </summary>
public class VectorKeyDescriptionTests
{
    [Fact]
    public void Of_NamesTheKeyAndItsCheckVerifiesOnlyUnderTheSameSecretAndBeta()
    {
        using var fixture = new VectorFixture(beta: 2.5f);
        using var otherBeta = new VectorFixture(beta: 3f);
        var tenant = new TenantId("acme");
        VectorEncryptor encryptor = fixture.Client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, tenant);

        VectorKeyDescription description = VectorKeyDescription.Of(encryptor, tenant);

        Assert.Equal((2u, "vec", "model", "acme", 2.5f), (description.KeyId, description.SecretPath, description.DerivationPath, description.Tenant, description.Beta));
        byte[] check = Convert.FromBase64String(description.KeyCheck);
        Assert.True(encryptor.TryDecrypt(ReadOnlySpan<float>.Empty, check, Span<float>.Empty));
        Assert.False(otherBeta.Client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, tenant).TryDecrypt(ReadOnlySpan<float>.Empty, check, Span<float>.Empty));
        Assert.False(fixture.OldOnlyClient().Vector.GetEncryptor(TestIds.Vec, TestIds.Model, tenant).TryDecrypt(ReadOnlySpan<float>.Empty, check, Span<float>.Empty));
    }
}
