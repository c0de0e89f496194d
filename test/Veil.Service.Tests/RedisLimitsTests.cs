using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;
using Veil.Service.Redis;

namespace Veil.Service.Tests;

/// <summary>
/// Rate limits and quotas shared through a real Redis by several limiter instances (as several <c>veil serve</c>
/// processes would share them): the attacks are a client spreading its requests over instances, racing them, and
/// an instance dying between requests.
/// </summary>
public sealed class RedisLimitsTests
{
    private static readonly DerivedKey Key = new("acme", "docs", "embedding");

    [RedisFact]
    public async Task Quota_RacedOverTwoInstances_GrantsExactlyTheQuota()
    {
        string prefix = NewPrefix();
        await using RedisLimitsStore first = await ConnectAsync(prefix);
        await using RedisLimitsStore second = await ConnectAsync(prefix);
        ClientPolicy client = Policy(quota: 500);

        // 16 tasks, 8 per instance, 1 600 one-item requests for a quota of 500.
        long granted = await RaceAsync([first, second], client, tasksPerStore: 8, attemptsPerTask: 100);

        Assert.Equal(500, granted);
        Assert.Equal(429, (await first.AcquireAsync(client, Charge(1), default)).Status);
    }

    [RedisFact]
    public async Task KeyQuota_RacedOverTwoInstances_GrantsExactlyTheKeyQuota()
    {
        string prefix = NewPrefix();
        await using RedisLimitsStore first = await ConnectAsync(prefix);
        await using RedisLimitsStore second = await ConnectAsync(prefix);
        ClientPolicy client = Policy(keyQuota: 300);

        long granted = await RaceAsync([first, second], client, tasksPerStore: 8, attemptsPerTask: 60);

        Assert.Equal(300, granted);

        // Another derived key of the same client has its own count.
        Assert.Equal(200, (await second.AcquireAsync(client, new Charge(1, 0, [Key with { DerivationPath = "title" }]), default)).Status);
    }

    [RedisFact]
    public async Task RateLimit_RacedOverTwoInstances_StaysWithinBurstPlusRateTimesElapsed()
    {
        string prefix = NewPrefix();
        await using RedisLimitsStore first = await ConnectAsync(prefix);
        await using RedisLimitsStore second = await ConnectAsync(prefix);
        const double Burst = 200;
        const double Rate = 5;
        ClientPolicy client = Policy(rate: new RateLimitPolicy { ItemsPerSecond = Rate, Burst = Burst });

        var clock = Stopwatch.StartNew();
        long granted = await RaceAsync([first, second], client, tasksPerStore: 8, attemptsPerTask: 50);
        double elapsed = clock.Elapsed.TotalSeconds;

        // Every script ran inside this interval, so Redis's clock cannot have refilled more than Rate × elapsed.
        Assert.InRange(granted, (long)Burst, (long)Math.Floor(Burst + (Rate * elapsed)));
    }

    [RedisFact]
    public async Task Quota_AfterAnInstanceDiesMidway_IsNotOverrun()
    {
        string prefix = NewPrefix();
        ClientPolicy client = Policy(quota: 500, keyQuota: 400);
        long granted = 0;

        // The "crash": the first instance is dropped after its requests, saving nothing (it holds nothing to save).
        RedisLimitsStore dying = await ConnectAsync(prefix);
        for (int i = 0; i < 30; i++)
        {
            granted += (await dying.AcquireAsync(client, Charge(10), default)).Status == 200 ? 10 : 0;
        }

        await dying.DisposeAsync();
        await using RedisLimitsStore next = await ConnectAsync(prefix);
        for (int i = 0; i < 300; i++)
        {
            granted += (await next.AcquireAsync(client, Charge(1), default)).Status == 200 ? 1 : 0;
        }

        // The key quota (400) binds before the quota (500), across the crash.
        Assert.Equal(400, granted);
        LimitDecision refused = await next.AcquireAsync(client, Charge(1), default);
        Assert.Equal(429, refused.Status);
        Assert.StartsWith("key quota", refused.Reason, StringComparison.Ordinal);
    }

    [RedisFact]
    public async Task Prefixes_KeepSeparateLimits()
    {
        await using RedisLimitsStore first = await ConnectAsync(NewPrefix());
        await using RedisLimitsStore other = await ConnectAsync(NewPrefix());
        ClientPolicy client = Policy(quota: 10);

        Assert.Equal(200, (await first.AcquireAsync(client, Charge(10), default)).Status);
        Assert.Equal(429, (await first.AcquireAsync(client, Charge(1), default)).Status);
        Assert.Equal(200, (await other.AcquireAsync(client, Charge(10), default)).Status);
    }

    [RedisFact]
    public async Task ClientNames_ThatLookLikeKeyPatterns_DoNotShareLimits()
    {
        await using RedisLimitsStore store = await ConnectAsync(NewPrefix());
        ClientPolicy braces = Policy(quota: 1, name: "a}:keys{");
        ClientPolicy plain = Policy(quota: 1, name: "a");

        Assert.Equal(200, (await store.AcquireAsync(braces, Charge(1), default)).Status);
        Assert.Equal(200, (await store.AcquireAsync(plain, Charge(1), default)).Status);
        Assert.Equal(429, (await store.AcquireAsync(braces, Charge(1), default)).Status);
    }

    [RedisFact]
    public async Task Script_RunsByItsSha_AndIsLoadedAgainAfterTheServerForgetsIt()
    {
        await using RedisLimitsStore store = await ConnectAsync(NewPrefix());
        await using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync(RedisFactAttribute.Connection + ",allowAdmin=true");
        IServer server = admin.GetServers().Single();
        ClientPolicy client = Policy(quota: 2);
        Assert.Equal(200, (await store.AcquireAsync(client, Charge(1), default)).Status);
        long evalSha = EvalShaCalls(server);

        await server.ScriptFlushAsync();
        Assert.Equal(200, (await store.AcquireAsync(client, Charge(1), default)).Status);
        Assert.Equal(429, (await store.AcquireAsync(client, Charge(1), default)).Status);

        // Both calls after the flush went by EVALSHA (the first one answered NOSCRIPT, then EVAL loaded the script again).
        Assert.Equal(evalSha + 2, EvalShaCalls(server));
    }

    [Fact]
    public async Task UnreachableRedis_FailsClosed_ByDefault()
    {
        await using RedisLimitsStore store = await RedisLimitsStore.ConnectAsync(new RedisLimitsOptions { Configuration = ClosedPort(), Prefix = NewPrefix() });

        LimitDecision decision = await store.AcquireAsync(Policy(quota: 1000), Charge(1), default);

        Assert.Equal(503, decision.Status);
        Assert.Contains("unreachable", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableRedis_DoesNotRefuseAClientWithoutLimits()
    {
        await using RedisLimitsStore store = await RedisLimitsStore.ConnectAsync(new RedisLimitsOptions { Configuration = ClosedPort(), Prefix = NewPrefix() });

        Assert.Equal(200, (await store.AcquireAsync(Policy(), Charge(1), default)).Status);
        Assert.Equal(503, (await store.AcquireAsync(Policy(quota: 1000), Charge(1), default)).Status);
    }

    [Fact]
    public async Task UnreachableRedis_WithLocalLimits_StillEnforcesThemInProcess()
    {
        await using RedisLimitsStore store = await RedisLimitsStore.ConnectAsync(new RedisLimitsOptions
        {
            Configuration = ClosedPort(),
            Prefix = NewPrefix(),
            WhenUnreachable = RedisUnreachable.UseLocalLimits,
        });
        ClientPolicy client = Policy(quota: 3);

        Assert.Equal(200, (await store.AcquireAsync(client, Charge(3), default)).Status);
        Assert.Equal(429, (await store.AcquireAsync(client, Charge(1), default)).Status);
    }

    [Fact]
    public async Task UnreachableRedis_ThroughTheService_Answers503AndAuditsIt()
    {
        using var keys = new TestKeys();
        await using RedisLimitsStore store = await RedisLimitsStore.ConnectAsync(new RedisLimitsOptions { Configuration = ClosedPort(), Prefix = NewPrefix() });
        await using ServiceHost host = await ServiceHost.StartAsync(keys, limitsStore: store);

        (HttpStatusCode status, _) = await ServiceCalls.PostAsync(host, "v1/field/query", new
        {
            tenant = "acme",
            secretPath = TestKeys.SecretPath,
            derivationPath = TestKeys.DerivationPath,
            items = new[] { new { id = "1", value = "YQ==" } },
        }, ServiceHost.QuotaKey);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains(ServiceCalls.AuditLines(host), l => l.GetProperty("status").GetInt32() == 503 && l.GetProperty("client").GetString() == "quota");
    }

    [Fact]
    public async Task Configuration_ThatCannotBeParsed_IsRefusedWithoutEchoingIt()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => RedisLimitsStore.ConnectAsync(new RedisLimitsOptions { Configuration = "127.0.0.1:1,password=hunter2,ssl=maybe" }));
        Assert.DoesNotContain("hunter2", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PasswordVariable_ThatIsNotSet_IsRefusedNamingTheVariable()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => RedisLimitsStore.ConnectAsync(new RedisLimitsOptions { Configuration = ClosedPort(), PasswordVariable = "VEIL_TEST_NO_SUCH_REDIS_PASSWORD" }));
        Assert.Contains("VEIL_TEST_NO_SUCH_REDIS_PASSWORD", e.Message, StringComparison.Ordinal);
    }

    private static async Task<long> RaceAsync(RedisLimitsStore[] stores, ClientPolicy client, int tasksPerStore, int attemptsPerTask)
    {
        long granted = 0;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task[] tasks = [.. stores.SelectMany(store => Enumerable.Range(0, tasksPerStore).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            for (int i = 0; i < attemptsPerTask; i++)
            {
                LimitDecision decision = await store.AcquireAsync(client, Charge(1), default);
                Assert.NotEqual(503, decision.Status);
                if (decision.Status == 200)
                {
                    Interlocked.Increment(ref granted);
                }
            }
        })))];
        start.SetResult();
        await Task.WhenAll(tasks);
        return granted;
    }

    private static long EvalShaCalls(IServer server)
    {
        string line = (server.InfoRaw("commandstats") ?? "").Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal)) ?? "cmdstat_evalsha:calls=0,";
        return long.Parse(line.Split("calls=")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Task<RedisLimitsStore> ConnectAsync(string prefix) =>
        RedisLimitsStore.ConnectAsync(new RedisLimitsOptions { Configuration = RedisFactAttribute.Connection!, Prefix = prefix });

    private static string NewPrefix() => $"veil-test:{Guid.NewGuid():N}:";

    private static Charge Charge(int items) => new(items, 0, [Key]);

    private static ClientPolicy Policy(long? quota = null, long? keyQuota = null, RateLimitPolicy? rate = null, string name = "racer") => new()
    {
        Name = name,
        KeySha256 = new string('0', 64),
        Tenants = ["*"],
        SecretPaths = ["*"],
        Operations = ["*"],
        RateLimit = rate,
        Quota = quota is { } q ? new QuotaPolicy { MaxItems = q } : null,
        KeyQuota = keyQuota is { } k ? new KeyQuotaPolicy { MaxItems = k } : null,
    };

    /// <summary>A loopback port nothing listens on (bound, then released), with short timeouts.</summary>
    private static string ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port},connectTimeout=500,asyncTimeout=500,connectRetry=0";
    }
}
