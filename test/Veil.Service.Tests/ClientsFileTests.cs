namespace Veil.Service.Tests;

/// <summary>Issue 14 §4 and §5: the clients file and the listening URLs are checked before anything is served.</summary>
public sealed class ClientsFileTests
{
    private static readonly string s_hash = ServiceClients.HashApiKey(ServiceClients.GenerateApiKey());

    [Fact]
    public void Clients_WithTheSameKeyHashTwice_AreRefused()
    {
        string json = $$"""
            {"clients":[
              {"name":"reader","keySha256":"{{s_hash}}","tenants":["acme"],"secretPaths":["docs"],"operations":["vector.query"]},
              {"name":"admin","keySha256":"{{s_hash.ToUpperInvariant()}}","tenants":["*"],"secretPaths":["*"],"operations":["*"]}]}
            """;

        FormatException e = Assert.Throws<FormatException>(() => ServiceClients.Parse(json));

        Assert.Contains("'reader'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'admin'", e.Message, StringComparison.Ordinal);

        // The control: each with its own key, both load.
        string other = ServiceClients.HashApiKey(ServiceClients.GenerateApiKey());
        Assert.Equal(2, ServiceClients.Parse(json.Replace(s_hash.ToUpperInvariant(), other, StringComparison.Ordinal)).Policies.Count);
    }

    [Fact]
    public void Clients_WithLimitsOfTheOldShape_StillLoad()
    {
        ServiceClients clients = ServiceClients.Parse($$$"""
            {"clients":[{"name":"old","keySha256":"{{{s_hash}}}","tenants":["acme"],"secretPaths":["docs"],"operations":["vector.query"],
              "rateLimit":{"itemsPerSecond":50,"burst":100},"quota":{"maxItems":1000}}]}
            """);
        ClientPolicy policy = clients.Policies.Single();
        Assert.Equal(100, policy.RateLimit!.Burst);
        Assert.Null(policy.RateLimit.FloatBurst);
        Assert.Equal(["*"], policy.DerivationPaths);
    }

    [Theory]
    [InlineData("http://127.0.0.1:0/;http://192.0.2.1:8712")]
    [InlineData("http://127.0.0.1:0/,http://192.0.2.1:8712")]
    [InlineData("http://127.0.0.1:0 ; http://[2001:db8::1]:8712")]
    [InlineData("https://127.0.0.1:0")]
    public async Task Start_WhenAnyUrlKestrelWouldBindIsNotAllowed_RefusesBeforeBinding(string urls)
    {
        using var keys = new TestKeys();
        using Keys.UnwrappedKeyset unwrapped = await keys.UnwrapAsync();
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => VeilKeyService.StartAsync(new VeilKeyServiceOptions
        {
            Configuration = unwrapped.Configuration,
            Clients = ServiceHost.Clients(),
            Urls = [urls],
        }));
        Assert.Contains("http", e.Message, StringComparison.Ordinal);

        // The control: loopback pieces alone pass.
        ServiceUrls.Check(["http://127.0.0.1:8713/;http://[::1]:8712", "http://localhost:8711"], hasCertificate: false, allowRemoteHttp: false);
    }
}
