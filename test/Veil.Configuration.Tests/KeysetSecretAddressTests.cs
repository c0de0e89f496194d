using Veil.Keys;

namespace Veil.Configuration.Tests;

/// <summary><see cref="KeysetSecretAddress.Of"/>: exactly one of a vector path, a deterministic path and the standard section.</summary>
public sealed class KeysetSecretAddressTests
{
    [Fact]
    public void Of_WhenExactlyOneIsGiven_AddressesIt()
    {
        Assert.Equal(new KeysetSecretAddress(KeysetSection.Vector, new SecretPath("v")), KeysetSecretAddress.Of("v", null, false));
        Assert.Equal(new KeysetSecretAddress(KeysetSection.Deterministic, new SecretPath("")), KeysetSecretAddress.Of(null, "", false));
        Assert.Equal(new KeysetSecretAddress(KeysetSection.Standard, new SecretPath("")), KeysetSecretAddress.Of(null, null, true));
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData("v", "d", false)]
    [InlineData("v", null, true)]
    [InlineData(null, "d", true)]
    public void Of_WhenNotExactlyOneIsGiven_Refuses(string? vector, string? deterministic, bool standard)
    {
        Assert.Throws<ArgumentException>(() => KeysetSecretAddress.Of(vector, deterministic, standard));
    }
}
