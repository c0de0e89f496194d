using Veil.Keys;
using Veil.Service.Client;

namespace Veil.Service.Tests;

/// <summary>A real Kestrel key service on 127.0.0.1 with a free port, and API keys for a few client policies.</summary>
internal sealed class ServiceHost : IAsyncDisposable
{
    private readonly UnwrappedKeyset _keys;
    private readonly TextWriter _audit;

    private ServiceHost(UnwrappedKeyset keys, TextWriter audit, VeilKeyService service, string auditPath)
    {
        _keys = keys;
        _audit = audit;
        Service = service;
        AuditPath = auditPath;
        BaseAddress = new Uri(service.Addresses.Single() + "/");
        Http = new HttpClient { BaseAddress = BaseAddress };
    }

    public static string AdminKey { get; } = ServiceClients.GenerateApiKey();

    public static string SearchKey { get; } = ServiceClients.GenerateApiKey();

    public static string LimitedKey { get; } = ServiceClients.GenerateApiKey();

    public static string QuotaKey { get; } = ServiceClients.GenerateApiKey();

    public VeilKeyService Service { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public string AuditPath { get; }

    public static ServiceClients Clients(double limitedItemsPerSecond = 1, double limitedBurst = 20) => ServiceClients.Create(
    [
        new ClientPolicy { Name = "admin", KeySha256 = ServiceClients.HashApiKey(AdminKey), Tenants = ["*"], SecretPaths = ["*"], Operations = ["*"] },
        new ClientPolicy
        {
            Name = "search-frontend",
            KeySha256 = ServiceClients.HashApiKey(SearchKey),
            Tenants = ["acme"],
            SecretPaths = [TestKeys.SecretPath],
            Operations = [ServiceOperations.VectorQuery, ServiceOperations.FieldQuery],
        },
        new ClientPolicy
        {
            Name = "limited",
            KeySha256 = ServiceClients.HashApiKey(LimitedKey),
            Tenants = ["*"],
            SecretPaths = ["*"],
            Operations = ["*"],
            RateLimit = new RateLimitPolicy { ItemsPerSecond = limitedItemsPerSecond, Burst = limitedBurst },
        },
        new ClientPolicy
        {
            Name = "quota",
            KeySha256 = ServiceClients.HashApiKey(QuotaKey),
            Tenants = ["*"],
            SecretPaths = ["*"],
            Operations = ["*"],
            Quota = new QuotaPolicy { MaxItems = 5 },
        },
    ]);

    public static async Task<ServiceHost> StartAsync(
        TestKeys keys,
        string auditName = "audit.jsonl",
        long maxBody = 256 * 1024,
        string? limitsPath = null,
        ServiceClients? clients = null,
        bool allowHyphenatedIds = false,
        int refusalBurst = 10_000,
        TextWriter? auditWriter = null,
        TimeProvider? time = null,
        LimitsStore? limitsStore = null)
    {
        UnwrappedKeyset unwrapped = await keys.UnwrapAsync();
        string auditPath = Path.Combine(keys.Directory, auditName);
        TextWriter audit = auditWriter ?? VeilKeyService.OpenAuditFile(auditPath);
        try
        {
            VeilKeyService service = await VeilKeyService.StartAsync(new VeilKeyServiceOptions
            {
                Configuration = unwrapped.Configuration,
                Clients = clients ?? Clients(),
                AuditLog = audit,
                MaxRequestBodyBytes = maxBody,
                MaxItemsPerRequest = 64,
                LimitsStatePath = limitsPath,
                AllowHyphenatedIds = allowHyphenatedIds,
                RefusalBurst = refusalBurst,
                RefusalInterval = TimeSpan.FromHours(1),
                TimeProvider = time ?? TimeProvider.System,
                LimitsStore = limitsStore,
            });
            return new ServiceHost(unwrapped, audit, service, auditPath);
        }
        catch
        {
            unwrapped.Dispose();
            await audit.DisposeAsync();
            throw;
        }
    }

    public VeilServiceClient Client(string apiKey) => new(Http, apiKey) { MaxItemsPerRequest = 64 };

    public string ReadAudit()
    {
        using var stream = new FileStream(AuditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Service.DisposeAsync();
        await _audit.DisposeAsync();
        _keys.Dispose();
    }
}
