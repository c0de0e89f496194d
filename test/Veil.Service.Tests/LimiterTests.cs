namespace Veil.Service.Tests;

/// <summary>The limiter alone, on a fake clock: buckets, quotas per client and per key, and crashes.</summary>
public sealed class LimiterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("veil-limiter-").FullName;
    private readonly FakeTime _time = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Quota_AfterRepeatedCrashes_NeverGrantsMoreThanTheQuota()
    {
        // Issue 14 §3: five kill -9 restarts turned a quota of 600 into 1 105 accepted items.
        string path = Path.Combine(_directory, "limits.json");
        var client = new ClientPolicy { Name = "q", Quota = new QuotaPolicy { MaxItems = 600 } };
        long accepted = 0;
        for (int life = 0; life < 10; life++)
        {
            var limiter = new ClientLimiter(_time);
            limiter.Restore(LimiterStateFile.Load(path).Clients);
            for (int request = 0; request < 150; request++)
            {
                Acquired acquired = limiter.TryAcquire(client, new Charge(1, 0, []));
                if (acquired.Refusal is null)
                {
                    // What the service does before answering.
                    if (acquired.MustPersist)
                    {
                        LimiterStateFile.Save(path, new ServiceState(limiter.Snapshot(), []));
                    }

                    accepted++;
                }
            }

            // kill -9: no final save.
        }

        Assert.InRange(accepted, 600 - (10 * (600 / 64)), 600);
    }

    [Fact]
    public void Quota_AfterACleanStop_KeepsWhatWasNotUsed()
    {
        string path = Path.Combine(_directory, "limits.json");
        var client = new ClientPolicy { Name = "q", Quota = new QuotaPolicy { MaxItems = 600 } };
        var first = new ClientLimiter(_time);
        Assert.Null(first.TryAcquire(client, new Charge(100, 0, [])).Refusal);
        LimiterStateFile.Save(path, new ServiceState(first.Snapshot(final: true), []));

        var second = new ClientLimiter(_time);
        second.Restore(LimiterStateFile.Load(path).Clients);
        Assert.Null(second.TryAcquire(client, new Charge(500, 0, [])).Refusal);
        Assert.NotNull(second.TryAcquire(client, new Charge(1, 0, [])).Refusal);
    }

    [Fact]
    public void RateLimit_RefillsByTheTimeProvider()
    {
        var client = new ClientPolicy { Name = "r", RateLimit = new RateLimitPolicy { ItemsPerSecond = 10, Burst = 20 } };
        var limiter = new ClientLimiter(_time);
        Assert.Null(limiter.TryAcquire(client, new Charge(20, 0, [])).Refusal);
        Assert.NotNull(limiter.TryAcquire(client, new Charge(1, 0, [])).Refusal);
        Assert.NotNull(limiter.RefusalBeforeBody(client, vector: false));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(limiter.RefusalBeforeBody(client, vector: false));
        Assert.Null(limiter.TryAcquire(client, new Charge(10, 0, [])).Refusal);
        Assert.NotNull(limiter.TryAcquire(client, new Charge(1, 0, [])).Refusal);

        // A restart an hour later refills up to the burst, not beyond.
        Dictionary<string, LimiterEntry> saved = limiter.Snapshot();
        _time.Advance(TimeSpan.FromHours(1));
        var restarted = new ClientLimiter(_time);
        restarted.Restore(saved);
        Assert.Null(restarted.TryAcquire(client, new Charge(20, 0, [])).Refusal);
        Assert.NotNull(restarted.TryAcquire(client, new Charge(1, 0, [])).Refusal);
    }

    [Fact]
    public void KeyQuota_CountsItemsPerDerivedKey_AndSurvivesACrash()
    {
        string path = Path.Combine(_directory, "limits.json");
        var client = new ClientPolicy { Name = "k", KeyQuota = new KeyQuotaPolicy { MaxItems = 5 } };
        var acme = new DerivedKey("acme", "docs", "body");
        var beta = new DerivedKey("beta", "docs", "body");
        var limiter = new ClientLimiter(_time);
        Acquired first = limiter.TryAcquire(client, new Charge(3, 0, [acme]));
        Assert.True(first.MustPersist);
        LimiterStateFile.Save(path, new ServiceState(limiter.Snapshot(), []));
        Assert.Null(limiter.TryAcquire(client, new Charge(2, 0, [acme])).Refusal);
        Assert.StartsWith("key quota", limiter.TryAcquire(client, new Charge(1, 0, [acme])).Refusal, StringComparison.Ordinal);
        Assert.Null(limiter.TryAcquire(client, new Charge(5, 0, [beta])).Refusal);

        // A rotation to another tenant counts against both keys.
        var rotating = new ClientLimiter(_time);
        Assert.Null(rotating.TryAcquire(client, new Charge(4, 0, [acme, beta])).Refusal);
        Assert.NotNull(rotating.TryAcquire(client, new Charge(2, 0, [beta])).Refusal);

        // Crashed after the first request: what was reserved then counts as used.
        var restarted = new ClientLimiter(_time);
        restarted.Restore(LimiterStateFile.Load(path).Clients);
        Assert.NotNull(restarted.TryAcquire(client, new Charge(3, 0, [acme])).Refusal);
    }

    [Fact]
    public void StateFile_OfVersion1_IsRead()
    {
        string path = Path.Combine(_directory, "limits.json");
        File.WriteAllText(path, """{"format":"veil-serve-limits/1","clients":{"quota":{"tokens":3,"refilledAt":"2026-01-01T00:00:00Z","used":4}}}""");
        ServiceState state = LimiterStateFile.Load(path);
        Assert.Equal(4, state.Clients["quota"].Used);
        Assert.Empty(state.Dimensions);
    }
}
