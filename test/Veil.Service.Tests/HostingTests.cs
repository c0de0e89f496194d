using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Veil.Keys;
using Veil.Service.Client;

namespace Veil.Service.Tests;

/// <summary>The key service mounted in an ordinary ASP.NET Core app: AddVeilKeyService + MapVeilKeyService, bound from configuration.</summary>
public sealed class HostingTests : IDisposable
{
    private const string Tenant = "hostingtenant";
    private static readonly string s_apiKey = ServiceClients.GenerateApiKey();
    private readonly TestKeys _keys = new();
    private readonly string _passphraseVariable = "VEIL_TEST_PASSPHRASE_" + Guid.NewGuid().ToString("N");

    public HostingTests()
    {
        Environment.SetEnvironmentVariable(_passphraseVariable, TestKeys.Passphrase);
        File.WriteAllText(KeysetPath, _keys.KeysetJson);
        File.WriteAllText(ClientsPath, $$"""{"clients":[{"name":"app","keySha256":"{{ServiceClients.HashApiKey(s_apiKey)}}","tenants":["*"],"secretPaths":["*"],"operations":["*"]}]}""");
    }

    private string KeysetPath => Path.Combine(_keys.Directory, "keyset.json");

    private string ClientsPath => Path.Combine(_keys.Directory, "clients.json");

    private string AuditPath => Path.Combine(_keys.Directory, "hosted-audit.jsonl");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_passphraseVariable, null);
        _keys.Dispose();
    }

    [Fact]
    public async Task MapVeilKeyService_InAUsersApp_ServesUnderItsPrefix_WithKeysAndClientsFromConfiguration()
    {
        await using WebApplication app = BuildApp(Settings(), prefix: "/keys");
        app.MapGet("/hello", () => "the user's own endpoint");
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(Address(app) + "/keys/") };
        var client = new VeilServiceClient(http, s_apiKey);

        BatchResult<Veil.Vectors.EncryptedVector> encrypted = await client.Vector.EncryptBatchAsync([Vector()], new SecretPath(TestKeys.SecretPath), new DerivationPath(TestKeys.DerivationPath), new TenantId(Tenant));
        BatchResult<float[]> decrypted = await client.Vector.DecryptBatchAsync([encrypted[0].Value!], new TenantId(Tenant));

        Assert.Equal(Vector().ToArray(), decrypted[0].Value!, (a, b) => Math.Abs(a - b) < 1e-4);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
        using var root = new HttpClient { BaseAddress = new Uri(Address(app) + "/") };
        Assert.Equal(HttpStatusCode.NotFound, (await root.GetAsync("health")).StatusCode);
        Assert.Equal("the user's own endpoint", await root.GetStringAsync("hello"));
        await app.StopAsync();
        Assert.Contains("\"operation\":\"vector.encrypt\"", ReadAudit(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithoutKeysOrClients_FailsWithMessagesNamingTheSettings()
    {
        await using WebApplication app = BuildApp(new Dictionary<string, string?>());
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("VeilKeyService:ClientsPath", e.Message, StringComparison.Ordinal);
        Assert.Contains("VeilKeyService:Keys: KeysetPath", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAMissingKeysetOrAZeroLimit_FailsNamingTheFileAndTheSetting()
    {
        Dictionary<string, string?> settings = Settings();
        settings["VeilKeyService:Keys:KeysetPath"] = Path.Combine(_keys.Directory, "no-such-keyset.json");
        settings["VeilKeyService:MaxItemsPerRequest"] = "0";
        await using WebApplication app = BuildApp(settings);
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("no-such-keyset.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("VeilKeyService:MaxItemsPerRequest must be greater than zero", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WhenTheKmsPassphraseIsNotSet_FailsAtStartNotAtTheFirstRequest()
    {
        Dictionary<string, string?> settings = Settings();
        settings["VeilKeyService:Keys:PassphraseVariable"] = "VEIL_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        await using WebApplication app = BuildApp(settings);
        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        Assert.Contains("VEIL_TEST_UNSET_", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapVeilKeyService_WithoutAddVeilKeyService_SaysWhatIsMissing()
    {
        await using WebApplication app = WebApplication.CreateSlimBuilder().Build();
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => app.MapVeilKeyService());
        Assert.Contains("AddVeilKeyService", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The attack: the host app listens on every interface in plain http; the key service refuses to start there.</summary>
    [Fact]
    public async Task Start_WhenTheHostAppBindsPlainHttpOffLoopback_IsRefused()
    {
        await using WebApplication app = BuildApp(Settings(), url: "http://0.0.0.0:0");
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => app.StartAsync());
        Assert.Contains("cleartext", e.Message, StringComparison.Ordinal);

        // The control: the same app allowed remote http (behind a TLS proxy) starts.
        Dictionary<string, string?> allowed = Settings();
        allowed["VeilKeyService:AllowRemoteHttp"] = "true";
        await using WebApplication proxied = BuildApp(allowed, url: "http://0.0.0.0:0");
        await proxied.StartAsync();
        await proxied.StopAsync();
    }

    /// <summary>The attack: a body over the service's limit, sent to a host app whose own Kestrel limit is larger.</summary>
    [Fact]
    public async Task OversizedBody_InAHostAppWithALargerServerLimit_IsRefused()
    {
        Dictionary<string, string?> settings = Settings();
        settings["VeilKeyService:MaxRequestBodyBytes"] = "2048";
        await using WebApplication app = BuildApp(settings);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(Address(app) + "/") };
        string padding = new(' ', 8192);
        using var big = new StringContent($$"""{"tenant":"{{Tenant}}","secretPath":"docs","derivationPath":"embedding",{{padding}}"items":[]}""", Encoding.UTF8, "application/json");
        big.Headers.Add("X-Api-Key", s_apiKey);
        using HttpResponseMessage refused = await http.PostAsync("v1/vector/encrypt", big);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        using var small = new StringContent($$"""{"tenant":"{{Tenant}}","secretPath":"docs","derivationPath":"embedding","items":[]}""", Encoding.UTF8, "application/json");
        small.Headers.Add("X-Api-Key", s_apiKey);
        using HttpResponseMessage accepted = await http.PostAsync("v1/vector/encrypt", small);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Telemetry_LogsMetersAndSpans_NameOperationsButNeverTenantsKeysOrValues()
    {
        var logs = new ConcurrentQueue<string>();
        var tags = new ConcurrentQueue<(string Instrument, string Tags)>();
        var spans = new ConcurrentQueue<Activity>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Veil.Service")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((i, v, t, s) => tags.Enqueue((i.Name, string.Join(",", t.ToArray().Select(p => $"{p.Key}={p.Value}")))));
        meters.Start();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Veil.Service",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(activities);

        await using WebApplication app = BuildApp(Settings(), logs: logs);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(Address(app) + "/") };
        var client = new VeilServiceClient(http, s_apiKey);
        const string Marker = "plaintextmarker";
        await client.Standard.EncryptBatchAsync([new Dictionary<string, byte[]> { [Marker] = Encoding.UTF8.GetBytes(Marker) }], new TenantId(Tenant));
        await client.Vector.EncryptBatchAsync([Vector()], new SecretPath(TestKeys.SecretPath), new DerivationPath(TestKeys.DerivationPath), new TenantId(Tenant));
        await app.StopAsync();

        string logText = string.Join("\n", logs);
        Assert.Contains("vector.encrypt answered 200", logText, StringComparison.Ordinal);
        Assert.Contains(tags, t => t.Instrument == "veil.service.requests" && t.Tags.Contains("veil.operation=document.encrypt", StringComparison.Ordinal));
        Assert.Contains(spans, s => s.DisplayName == "veil.service vector.encrypt" && Equals(s.GetTagItem("http.response.status_code"), 200));
        string everything = logText + string.Join("\n", tags.Select(t => t.Tags)) + string.Join("\n", spans.SelectMany(s => s.Tags).Select(t => t.Value));
        Assert.DoesNotContain(Tenant, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(s_apiKey, everything, StringComparison.Ordinal);
    }

    private static ReadOnlyMemory<float> Vector() => TestKeys.Unit([.. Enumerable.Range(1, TestKeys.Dimensions).Select(i => (float)i)]);

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private Dictionary<string, string?> Settings() => new()
    {
        ["VeilKeyService:Keys:KeysetPath"] = KeysetPath,
        ["VeilKeyService:Keys:PassphraseVariable"] = _passphraseVariable,
        ["VeilKeyService:ClientsPath"] = ClientsPath,
        ["VeilKeyService:AuditLogPath"] = AuditPath,
    };

    private static WebApplication BuildApp(Dictionary<string, string?> settings, string prefix = "", string url = "http://127.0.0.1:0", ConcurrentQueue<string>? logs = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new QueueLoggerProvider(logs));
        }

        builder.WebHost.UseUrls(url);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddVeilKeyService(builder.Configuration.GetSection(VeilKeyServiceOptions.SectionName));
        WebApplication app = builder.Build();
        app.MapVeilKeyService(prefix);
        return app;
    }

    private string ReadAudit()
    {
        using var stream = new FileStream(AuditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed class QueueLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class QueueLogger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
        }
    }
}
