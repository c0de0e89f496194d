using System.Net;
using System.Text.Json;
using Veil.Keys;

namespace Veil.Service.Tests;

/// <summary>Issue 14 §2 and §3: the query oracle's norm limit, and one dimension per vector secret path.</summary>
public sealed class InputLimitTests : IDisposable
{
    private readonly TestKeys _keys = new();

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task Query_OfALargeNormVector_IsRefusedPerItem()
    {
        float[] attack = [.. Enumerable.Range(1, 384).Select(i => 10f * i)];
        float[] unit = TestKeys.Unit([.. Enumerable.Range(0, 384).Select(i => (float)Math.Cos(i))]);
        await using ServiceHost host = await ServiceHost.StartAsync(_keys);

        (HttpStatusCode status, JsonElement body) = await ServiceCalls.PostAsync(host, "v1/vector/query", new
        {
            tenant = "acme",
            secretPath = TestKeys.SecretPath,
            derivationPath = TestKeys.DerivationPath,
            items = new[] { new { id = 1, vector = attack }, new { id = 2, vector = unit } },
        }, ServiceHost.SearchKey);

        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement refused = body.GetProperty("items")[0];
        Assert.Contains("L2 norm", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(refused.TryGetProperty("queries", out _));
        Assert.Single(body.GetProperty("items")[1].GetProperty("queries").EnumerateArray());

        // The control: without the service's limit, the keys answer it (the one-query permutation attack).
        using UnwrappedKeyset unwrapped = await _keys.UnwrapAsync();
        using var local = new VeilClient(unwrapped.Configuration);
        Assert.NotEmpty(local.Vector.GenerateQueryVectors(attack, new SecretPath(TestKeys.SecretPath), new DerivationPath(TestKeys.DerivationPath), new TenantId("acme")));
    }

    [Fact]
    public async Task Dimensions_OtherThanTheFirstUsed_AreRefusedPerItemBeforeKeyWork()
    {
        await using ServiceHost host = await ServiceHost.StartAsync(_keys, maxBody: 4 * 1024 * 1024);
        (HttpStatusCode first, JsonElement fixing) = await ServiceCalls.PostAsync(host, "v1/vector/encrypt", Encrypt(TestKeys.Unit([.. Enumerable.Range(0, TestKeys.Dimensions).Select(i => (float)Math.Sin(i))])), ServiceHost.AdminKey);
        Assert.Equal(HttpStatusCode.OK, first);
        Assert.False(fixing.GetProperty("items")[0].TryGetProperty("error", out _));

        // The attack: 40 one-item requests, each with a distinct dimension near 10^6 (zeros: norm 0, within the limit).
        for (int i = 0; i < 40; i++)
        {
            int dimension = 1_000_000 - i;
            string body = $$"""{"tenant":"acme","secretPath":"{{TestKeys.SecretPath}}","derivationPath":"{{TestKeys.DerivationPath}}","items":[{"id":{{i}},"vector":[{{string.Join(',', Enumerable.Repeat('0', dimension))}}]}]}""";
            (HttpStatusCode status, JsonElement answer) = await ServiceCalls.PostRawAsync(host, "v1/vector/query", body, ServiceHost.AdminKey);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal($"The vector has {dimension} coordinates; this secret path holds {TestKeys.Dimensions}-dimensional vectors.", answer.GetProperty("items")[0].GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Dimension_FixedOnFirstUse_IsKeptAcrossRestartsWithLimitsState()
    {
        string limits = Path.Combine(_keys.Directory, "limits.json");
        float[] wider = TestKeys.Unit([.. Enumerable.Range(0, 48).Select(i => (float)Math.Sin(i))]);
        await using (ServiceHost first = await ServiceHost.StartAsync(_keys, limitsPath: limits))
        {
            (HttpStatusCode status, _) = await ServiceCalls.PostAsync(first, "v1/vector/encrypt", Encrypt(TestKeys.Unit([.. Enumerable.Range(0, TestKeys.Dimensions).Select(i => (float)Math.Cos(i))])), ServiceHost.AdminKey);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("\"docs\": 32", File.ReadAllText(limits), StringComparison.Ordinal);
        }

        await using (ServiceHost second = await ServiceHost.StartAsync(_keys, limitsPath: limits))
        {
            (_, JsonElement refused) = await ServiceCalls.PostAsync(second, "v1/vector/encrypt", Encrypt(wider), ServiceHost.AdminKey);
            Assert.Contains("32-dimensional", refused.GetProperty("items")[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        // The control: without the file, a restart forgets the dimension.
        await using ServiceHost forgetful = await ServiceHost.StartAsync(_keys);
        (_, JsonElement accepted) = await ServiceCalls.PostAsync(forgetful, "v1/vector/encrypt", Encrypt(wider), ServiceHost.AdminKey);
        Assert.False(accepted.GetProperty("items")[0].TryGetProperty("error", out _));
    }

    [Fact]
    public async Task RateLimit_OfVectorFloats_CountsItemsTimesDimension()
    {
        string key = ServiceClients.GenerateApiKey();
        ClientPolicy floats = ServiceCalls.Client("floats", key, ["acme"], ["*"]);
        floats.RateLimit = new RateLimitPolicy { FloatsPerSecond = 0, FloatBurst = 10 * TestKeys.Dimensions };
        await using ServiceHost host = await ServiceHost.StartAsync(_keys, clients: ServiceClients.Create([floats]));
        float[] vector = TestKeys.Unit([.. Enumerable.Range(0, TestKeys.Dimensions).Select(i => (float)Math.Sin(i))]);

        (HttpStatusCode nine, _) = await ServiceCalls.PostAsync(host, "v1/vector/encrypt", Encrypt([.. Enumerable.Repeat(vector, 9)]), key);
        (HttpStatusCode two, JsonElement refused) = await ServiceCalls.PostAsync(host, "v1/vector/encrypt", Encrypt(vector, vector), key);
        (HttpStatusCode one, _) = await ServiceCalls.PostAsync(host, "v1/vector/encrypt", Encrypt(vector), key);
        (HttpStatusCode fields, _) = await ServiceCalls.PostAsync(host, "v1/field/encrypt", new { tenant = "acme", secretPath = TestKeys.SecretPath, derivationPath = "d", items = new[] { new { value = "x"u8.ToArray() } } }, key);

        Assert.Equal(HttpStatusCode.OK, nine);
        Assert.Equal(HttpStatusCode.TooManyRequests, two);
        Assert.Contains("floats", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, one);
        Assert.Equal(HttpStatusCode.OK, fields);
    }

    private static object Encrypt(params float[][] vectors) => new
    {
        tenant = "acme",
        secretPath = TestKeys.SecretPath,
        derivationPath = TestKeys.DerivationPath,
        items = vectors.Select((v, i) => new { id = i, vector = v }).ToArray(),
    };
}
