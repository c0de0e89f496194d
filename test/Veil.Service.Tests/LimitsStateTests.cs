using System.Net;
using Veil.Service.Client;
using Veil.Keys;

namespace Veil.Service.Tests;

/// <summary>With a limits state file, a restart neither resets quotas nor refills rate-limit buckets.</summary>
public sealed class LimitsStateTests
{
    [Fact]
    public async Task Restart_WithLimitsState_KeepsTheQuotaUsedAndTheEmptiedBucket()
    {
        using var keys = new TestKeys();
        string limits = Path.Combine(keys.Directory, "limits.json");

        // "quota": 5 items in all; "limited": burst 20 items, refilled at 1 item per second.
        await using (ServiceHost first = await ServiceHost.StartAsync(keys, limitsPath: limits))
        {
            await EncryptAsync(first, ServiceHost.QuotaKey, 3);
            await EncryptAsync(first, ServiceHost.LimitedKey, 20);
        }

        await using (ServiceHost second = await ServiceHost.StartAsync(keys, limitsPath: limits))
        {
            VeilServiceException quota = await Assert.ThrowsAsync<VeilServiceException>(() => EncryptAsync(second, ServiceHost.QuotaKey, 3));
            VeilServiceException rate = await Assert.ThrowsAsync<VeilServiceException>(() => EncryptAsync(second, ServiceHost.LimitedKey, 15));
            Assert.Equal(HttpStatusCode.TooManyRequests, quota.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, rate.StatusCode);
            await EncryptAsync(second, ServiceHost.QuotaKey, 2);
        }

        await using (ServiceHost third = await ServiceHost.StartAsync(keys, limitsPath: limits))
        {
            await Assert.ThrowsAsync<VeilServiceException>(() => EncryptAsync(third, ServiceHost.QuotaKey, 1));
        }

        // Without the file (the control), a restart forgets: the quota is whole again.
        await using ServiceHost forgetful = await ServiceHost.StartAsync(keys);
        await EncryptAsync(forgetful, ServiceHost.QuotaKey, 5);
    }

    [Fact]
    public async Task KeyQuota_BoundsTheOracleCallsPerDerivedKey_AcrossRestarts()
    {
        using var keys = new TestKeys();
        string limits = Path.Combine(keys.Directory, "limits.json");
        string apiKey = ServiceClients.GenerateApiKey();
        ClientPolicy oracle = ServiceCalls.Client("oracle", apiKey, ["acme", "beta"], [ServiceOperations.FieldQuery]);
        oracle.KeyQuota = new KeyQuotaPolicy { MaxItems = 3 };
        ServiceClients clients = ServiceClients.Create([oracle]);

        await using (ServiceHost first = await ServiceHost.StartAsync(keys, limitsPath: limits, clients: clients))
        {
            Assert.Equal(HttpStatusCode.OK, (await QueryAsync(first, apiKey, "acme", "body", 2)).Status);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await QueryAsync(first, apiKey, "acme", "body", 2)).Status);
            Assert.Equal(HttpStatusCode.OK, (await QueryAsync(first, apiKey, "acme", "title", 3)).Status);
        }

        await using ServiceHost second = await ServiceHost.StartAsync(keys, limitsPath: limits, clients: clients);
        (HttpStatusCode status, System.Text.Json.JsonElement body) = await QueryAsync(second, apiKey, "acme", "body", 2);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.StartsWith("key quota", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await QueryAsync(second, apiKey, "acme", "body", 1)).Status);
        Assert.Equal(HttpStatusCode.OK, (await QueryAsync(second, apiKey, "beta", "body", 3)).Status);
    }

    [Fact]
    public async Task Start_WhenLimitsStateFileIsNotOne_RefusesToStart()
    {
        using var keys = new TestKeys();
        string limits = Path.Combine(keys.Directory, "limits.json");
        File.WriteAllText(limits, """{"format":"veil-serve-limits/1","clients":{"quota":{"tokens":1}}}""");

        FormatException e = await Assert.ThrowsAsync<FormatException>(() => ServiceHost.StartAsync(keys, limitsPath: limits));

        Assert.Contains("removing resets", e.Message, StringComparison.Ordinal);
    }

    private static Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body)> QueryAsync(ServiceHost host, string apiKey, string tenant, string derivationPath, int count) =>
        ServiceCalls.PostAsync(host, "v1/field/query", new { tenant, secretPath = TestKeys.SecretPath, derivationPath, items = Enumerable.Range(0, count).Select(i => new { id = i, value = new[] { (byte)i } }).ToArray() }, apiKey);

    private static async Task EncryptAsync(ServiceHost host, string apiKey, int count)
    {
        float[][] vectors = [.. Enumerable.Range(0, count).Select(i => TestKeys.Unit([.. Enumerable.Range(0, TestKeys.Dimensions).Select(j => (float)Math.Cos(i + j))]))];
        BatchResult<Vectors.EncryptedVector> result = await host.Client(apiKey).EncryptBatchAsync([.. vectors.Select(v => (ReadOnlyMemory<float>)v)], new SecretPath(TestKeys.SecretPath), new DerivationPath(TestKeys.DerivationPath), new TenantId("acme"));
        Assert.Equal(count, result.SuccessCount);
    }
}
