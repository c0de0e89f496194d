using Veil.Keys;
using Veil.Tests.Support;

namespace Veil.Tests.Keysets;

/// <summary><see cref="VeilConfiguration.EnsureConfigured"/>: what an operation needs is checked before any input is read.</summary>
public class ConfigurationRequirementTests
{
    [Fact]
    public void EnsureConfigured_AcceptsWhatIsConfiguredAndRefusesTheRestNamingPathAndSection()
    {
        using var fixture = new VectorFixture();
        using var secret = new Secret(new byte[32]);
        var noPrimary = new VeilConfiguration(standard: new StandardSecrets(null, [new IdentifiedSecret(new KeyId(1), secret)]));

        fixture.Configuration.EnsureConfigured(KeysetSection.Vector, TestIds.Vec);
        noPrimary.EnsureConfigured(KeysetSection.Standard, new SecretPath(""));

        Assert.Contains("\"p\" is not in the configuration's vector section", Assert.Throws<ArgumentException>(() => fixture.Configuration.EnsureConfigured(KeysetSection.Vector, TestIds.P)).Message, StringComparison.Ordinal);
        Assert.Contains("deterministic section", Assert.Throws<ArgumentException>(() => fixture.Configuration.EnsureConfigured(KeysetSection.Deterministic, TestIds.Vec)).Message, StringComparison.Ordinal);
        Assert.Contains("no standard section", Assert.Throws<ArgumentException>(() => fixture.Configuration.EnsureConfigured(KeysetSection.Standard, new SecretPath(""))).Message, StringComparison.Ordinal);
        Assert.Contains("primaryId", Assert.Throws<ArgumentException>(() => noPrimary.EnsureConfigured(KeysetSection.Standard, new SecretPath(""), encrypts: true)).Message, StringComparison.Ordinal);
    }
}
