using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Veil.Keys;
using Veil.Service.Client;

namespace Veil.Service.Tests;

public sealed class TlsTests
{
    [Fact]
    public async Task Https_WithCertificate_ServesOverTls()
    {
        using var keys = new TestKeys();
        using UnwrappedKeyset unwrapped = await keys.UnwrapAsync();
        using RSA rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // A PKCS#12 round trip, as --certificate loads it (an ephemeral key cannot serve TLS on every platform).
        using X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12, "p"), "p");

        await using VeilKeyService service = await VeilKeyService.StartAsync(new VeilKeyServiceOptions
        {
            Configuration = unwrapped.Configuration,
            Clients = ServiceHost.Clients(),
            Urls = ["https://127.0.0.1:0"],
            Certificate = certificate,
        });
        string address = service.Addresses.Single();
        Assert.StartsWith("https://127.0.0.1:", address, StringComparison.Ordinal);

        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
        };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(address + "/") };
        var client = new VeilServiceClient(http, ServiceHost.AdminKey);
        Assert.True(await client.IsHealthyAsync());
        BatchResult<Veil.Fields.EncryptedField> encrypted = await client.EncryptDeterministicallyBatchAsync(
            [new Veil.Fields.PlaintextField("x"u8.ToArray(), new SecretPath(TestKeys.SecretPath), new DerivationPath(TestKeys.DerivationPath))], new TenantId("acme"));
        Assert.Equal(0, encrypted.FailureCount);
    }
}
