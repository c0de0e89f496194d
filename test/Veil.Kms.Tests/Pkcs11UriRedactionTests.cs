using Veil.Kms.Pkcs11;

namespace Veil.Kms.Tests;

/// <summary>
/// A PKCS#11 URI carrying the PIN (<c>pin-value</c>, <c>pin-source</c>) is refused, and no message of the provider
/// echoes the PIN: every path that quotes a URI, an attribute or a label is tried. No token is needed (the URI is
/// checked before the module is loaded).
/// </summary>
public sealed class Pkcs11UriRedactionTests
{
    private const string Pin = "918273";

    public static TheoryData<string> UrisWithThePin => new()
    {
        $"pkcs11:token=veil;object=kek;pin-value={Pin}",
        $"pkcs11:token=veil;object=kek?pin-value={Pin}",
        $"pkcs11:token=veil;object=kek?module-name=softhsm2&pin-value={Pin}",
        $"pkcs11:token=veil;object=kek;PIN-Value={Pin}",
        $"pkcs11:token=veil;object=kek;pin%2Dvalue={Pin}",
        $"pkcs11:token=veil;object=kek;pin-value%3D{Pin}",
        $"pkcs11:token=veil;object=kek;pin-source=file:/run/secrets/{Pin}",
        $"pkcs11:object=kek;pin-value={Pin}",
        $"pkcs11:token=veil;pin-value={Pin}",
        $"pkcs11:token=veil%3Bpin-value%3D{Pin};object=kek;type=private",
    };

    [Theory]
    [MemberData(nameof(UrisWithThePin))]
    public async Task GetKeyAndCreateKey_WhenTheUriCarriesThePin_RefuseWithoutEchoingIt(string uri)
    {
        var client = new Pkcs11KmsClient(new Pkcs11KmsOptions { ModulePath = "/nonexistent/libnothing.so", Pin = () => "unused" });

        Exception get = await Assert.ThrowsAnyAsync<Exception>(() => client.GetKeyAsync(uri).AsTask());
        Exception create = await Assert.ThrowsAnyAsync<Exception>(() => client.CreateKeyAsync(uri).AsTask());

        foreach (Exception e in new[] { get, create })
        {
            Assert.IsType<ArgumentException>(e);
            Assert.DoesNotContain(Pin, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Pin, e.ToString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(UrisWithThePin))]
    public void Redact_HidesEveryPinValueAndKeepsTheRest(string uri)
    {
        string redacted = Pkcs11UriRedaction.Redact(uri);
        Assert.DoesNotContain(Pin, redacted, StringComparison.Ordinal);
        Assert.Contains("***", redacted, StringComparison.Ordinal);
        Assert.StartsWith("pkcs11:", redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_KeepsAUriWithoutAPinAsItIs()
    {
        Assert.Equal("pkcs11:token=veil;object=kek;type=secret-key", Pkcs11UriRedaction.Redact("pkcs11:token=veil;object=kek;type=secret-key"));
        Assert.Equal("pkcs11:token=veil;object=kek;pin-value=***", Pkcs11UriRedaction.Redact($"pkcs11:token=veil;object=kek;pin-value={Pin}"));
        Assert.Equal("local:kek.json", Pkcs11UriRedaction.Redact("local:kek.json"));
    }
}
