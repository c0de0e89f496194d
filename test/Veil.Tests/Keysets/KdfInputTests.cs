using Veil.Keys;
using Veil.Tests.Support;

namespace Veil.Tests.Keysets;

/// <summary><see cref="KdfInput"/>: tenant ‖ "-" ‖ derivation path splits more than one way once either contains '-'.</summary>
public class KdfInputTests
{
    [Fact]
    public void AmbiguityWarning_NamesEachValueWithADash_AndTheCollisionIsReal()
    {
        Assert.Null(KdfInput.AmbiguityWarning([("--tenant", "acme"), ("--derivation-path", "body")]));
        string one = KdfInput.AmbiguityWarning([("--tenant", "acme"), ("--derivation-path", "eu-body")])!;
        string two = KdfInput.AmbiguityWarning([("tenant", "acme-eu"), ("derivationPath", "eu-body")])!;

        Assert.Contains("--derivation-path \"eu-body\" contains '-'", one, StringComparison.Ordinal);
        Assert.DoesNotContain("--tenant", one, StringComparison.Ordinal);
        Assert.Contains("tenant \"acme-eu\", derivationPath \"eu-body\" contain '-'", two, StringComparison.Ordinal);
        Assert.False(KdfInput.IsAmbiguous(null));

        // What the warning is about: both splits derive the same key.
        using var fixture = new VectorFixture(seed: 7);
        float[] vector = [0.5f, -0.25f, 1f];
        float[] acmeEu = fixture.Client.Vector.Encrypt(vector, TestIds.Vec, new DerivationPath("body"), new TenantId("acme-eu")).Ciphertext.ToArray();
        using var again = new VectorFixture(seed: 7);
        float[] acme = again.Client.Vector.Encrypt(vector, TestIds.Vec, new DerivationPath("eu-body"), new TenantId("acme")).Ciphertext.ToArray();
        Assert.Equal(acmeEu, acme);
    }
}
