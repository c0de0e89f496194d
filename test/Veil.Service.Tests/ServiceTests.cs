using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Veil.Fields;
using Veil.Keys;
using Veil.Service.Client;
using Veil.Vectors;

namespace Veil.Service.Tests;

public sealed class ServiceTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private const string Tenant = "acme";
    private static readonly SecretPath s_path = new SecretPath(TestKeys.SecretPath);
    private static readonly DerivationPath s_derivation = new DerivationPath(TestKeys.DerivationPath);

    private ServiceHost Host => fixture.Host;

    private static float[] RandomVector(int seed)
    {
        var random = new Random(seed);
        return TestKeys.Unit([.. Enumerable.Range(0, TestKeys.Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1))]);
    }

    private static string VectorBody(int count, string tenant = Tenant, string secretPath = TestKeys.SecretPath) => JsonSerializer.Serialize(new
    {
        tenant,
        secretPath,
        derivationPath = TestKeys.DerivationPath,
        items = Enumerable.Range(0, count).Select(i => new { id = i, vector = RandomVector(i) }).ToArray(),
    });

    private async Task<HttpResponseMessage> PostAsync(string route, string body, string? apiKey, bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = expectContinue;
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        return await Host.Http.SendAsync(request);
    }

    private async Task AssertStillServingAsync()
    {
        using HttpResponseMessage health = await Host.Http.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using HttpResponseMessage ok = await PostAsync("v1/vector/encrypt", VectorBody(2), ServiceHost.AdminKey);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Health_WithoutKey_IsOk()
    {
        using HttpResponseMessage response = await Host.Http.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(await Host.Client(ServiceHost.AdminKey).IsHealthyAsync());
        Assert.StartsWith("http://127.0.0.1:", Host.BaseAddress.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("veil_not-a-real-key")]
    public async Task Post_WhenUnauthenticated_Returns401(string? apiKey)
    {
        using HttpResponseMessage response = await PostAsync("v1/vector/encrypt", VectorBody(1), apiKey);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using HttpResponseMessage metrics = await Host.Http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
    }

    [Fact]
    public async Task Post_WithBearerHeader_Authenticates()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/vector/query") { Content = new StringContent(VectorBody(1), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServiceHost.SearchKey);
        using HttpResponseMessage response = await Host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("v1/vector/encrypt", Tenant, TestKeys.SecretPath)]
    [InlineData("v1/vector/decrypt", Tenant, TestKeys.SecretPath)]
    [InlineData("v1/vector/rotate", Tenant, TestKeys.SecretPath)]
    [InlineData("v1/field/decrypt", Tenant, TestKeys.SecretPath)]
    [InlineData("v1/document/decrypt", Tenant, TestKeys.SecretPath)]
    [InlineData("v1/vector/query", "othertenant", TestKeys.SecretPath)]
    [InlineData("v1/vector/query", Tenant, "other-path")]
    public async Task SearchFrontend_WhenOperationTenantOrPathNotAllowed_Returns403(string route, string tenant, string secretPath)
    {
        using HttpResponseMessage response = await PostAsync(route, VectorBody(1, tenant, secretPath), ServiceHost.SearchKey);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task SearchFrontend_MayQueryButNeverDecrypt()
    {
        VeilServiceClient search = Host.Client(ServiceHost.SearchKey);
        BatchResult<IReadOnlyList<QueryVector>> queries = await search.GenerateQueryVectorsBatchAsync([RandomVector(1)], s_path, s_derivation, new TenantId(Tenant));
        Assert.Equal(0, queries.FailureCount);
        Assert.Single(queries[0].Value!);

        EncryptedVector encrypted = (await Host.Client(ServiceHost.AdminKey).EncryptBatchAsync([RandomVector(1)], s_path, s_derivation, new TenantId(Tenant)))[0].Value!;
        VeilServiceException e = await Assert.ThrowsAsync<VeilServiceException>(() => search.DecryptBatchAsync([encrypted], new TenantId(Tenant)));
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("null")]
    [InlineData("{\"tenant\":\"acme\",\"secretPath\":\"docs\",\"derivationPath\":\"embedding\",\"items\":[{\"vector\":\"abc\"}]}")]
    [InlineData("{\"secretPath\":\"docs\",\"derivationPath\":\"embedding\",\"items\":[]}")]
    [InlineData("{\"tenant\":\"acme\",\"derivationPath\":\"embedding\",\"items\":[]}")]
    [InlineData("{\"tenant\":\"acme\",\"secretPath\":\"docs\",\"derivationPath\":\"embedding\"}")]
    [InlineData("{\"tenant\":\"acme\",\"secretPath\":\"docs\",\"derivationPath\":\"embedding\",\"items\":[null]}")]
    [InlineData("{\"tenant\":\"acme\",\"secretPath\":\"unknown\",\"derivationPath\":\"embedding\",\"items\":[{\"vector\":[1,2]}]}")]
    public async Task Post_WhenBodyMalformed_Returns400AndKeepsServing(string body)
    {
        using HttpResponseMessage response = await PostAsync("v1/vector/encrypt", body, ServiceHost.AdminKey);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Post_WhenBodyOversized_Returns400AndKeepsServing()
    {
        // 256 KiB limit in the test host; 400 000 floats is several MiB.
        // Expect: 100-continue lets the service refuse on the Content-Length alone, before the client sends the body;
        // without it, a loaded machine can see the connection closed while the client is still writing the body.
        string body = "{\"tenant\":\"acme\",\"secretPath\":\"docs\",\"derivationPath\":\"e\",\"items\":[{\"vector\":[" + string.Join(',', Enumerable.Repeat("0.125", 400_000)) + "]}]}";
        using HttpResponseMessage response = await PostAsync("v1/vector/encrypt", body, ServiceHost.AdminKey, expectContinue: true);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Post_WhenTooManyItems_Returns400()
    {
        using HttpResponseMessage response = await PostAsync("v1/vector/encrypt", VectorBody(65), ServiceHost.AdminKey);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Post_WhenOneItemBad_FailsThatItemAlone()
    {
        string body = "{\"tenant\":\"acme\",\"secretPath\":\"docs\",\"derivationPath\":\"embedding\",\"items\":[{\"id\":\"a\",\"vector\":" + JsonSerializer.Serialize(RandomVector(3)) + "},{\"id\":\"b\"},{\"id\":\"c\",\"value\":\"AAAA\"}]}";
        using HttpResponseMessage response = await PostAsync("v1/vector/encrypt", body, ServiceHost.AdminKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement[] items = [.. json.RootElement.GetProperty("items").EnumerateArray()];
        Assert.Equal(3, items.Length);
        Assert.Equal("a", items[0].GetProperty("id").GetString());
        Assert.True(items[0].TryGetProperty("encryptedVector", out _));
        Assert.True(items[0].TryGetProperty("pairedIclInfo", out _));
        Assert.Equal("b", items[1].GetProperty("id").GetString());
        Assert.Contains("vector", items[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(items[2].TryGetProperty("error", out _));
    }

    [Fact]
    public async Task RateLimit_CountsItems_Returns429AndLeavesOtherClientsAlone()
    {
        // "limited": burst 20 items, refilled at 1 item per second.
        using HttpResponseMessage first = await PostAsync("v1/vector/encrypt", VectorBody(20), ServiceHost.LimitedKey);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using HttpResponseMessage second = await PostAsync("v1/vector/encrypt", VectorBody(10), ServiceHost.LimitedKey);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.True(second.Headers.Contains("Retry-After"));
        using HttpResponseMessage other = await PostAsync("v1/vector/encrypt", VectorBody(30), ServiceHost.AdminKey);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Quota_WhenUsedUp_Returns429()
    {
        using HttpResponseMessage first = await PostAsync("v1/vector/encrypt", VectorBody(5), ServiceHost.QuotaKey);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using HttpResponseMessage second = await PostAsync("v1/vector/encrypt", VectorBody(1), ServiceHost.QuotaKey);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
    }

    [Fact]
    public async Task Vectors_ServiceAndLocalKeys_AreInterchangeable()
    {
        using UnwrappedKeyset keys = await fixture.Keys.UnwrapAsync();
        using var local = new VeilClient(keys.Configuration);
#pragma warning disable CA1859 // The point: both behind the one interface an app codes against.
        IVeilOperations service = Host.Client(ServiceHost.AdminKey);
        IVeilOperations localOps = new LocalVeilOperations(local);
#pragma warning restore CA1859
        float[][] plaintexts = [RandomVector(10), RandomVector(11), RandomVector(12)];
        ReadOnlyMemory<float>[] inputs = [.. plaintexts.Select(p => (ReadOnlyMemory<float>)p)];

        BatchResult<EncryptedVector> fromService = await service.Vector.EncryptBatchAsync(inputs, s_path, s_derivation, new TenantId(Tenant));
        BatchResult<float[]> decryptedLocally = await localOps.Vector.DecryptBatchAsync([.. fromService.Select(r => r.Value!)], new TenantId(Tenant));
        BatchResult<EncryptedVector> fromLocal = await localOps.Vector.EncryptBatchAsync(inputs, s_path, s_derivation, new TenantId(Tenant));
        BatchResult<float[]> decryptedByService = await service.Vector.DecryptBatchAsync([.. fromLocal.Select(r => r.Value!)], new TenantId(Tenant));
        for (int i = 0; i < plaintexts.Length; i++)
        {
            AssertClose(plaintexts[i], decryptedLocally[i].Value!);
            AssertClose(plaintexts[i], decryptedByService[i].Value!);
        }

        BatchResult<EncryptedVector> rotated = await service.Vector.RotateBatchAsync([.. fromLocal.Select(r => r.Value!)], new TenantId(Tenant), new TenantId("acme2"));
        float[] back = local.Vector.Decrypt(rotated[0].Value!, new TenantId("acme2"));
        Assert.Equal(TestKeys.Dimensions, back.Length);

        BatchResult<IReadOnlyList<QueryVector>> queries = await service.Vector.GenerateQueryVectorsBatchAsync(inputs, s_path, s_derivation, new TenantId(Tenant));
        Assert.Equal(local.Vector.GenerateQueryVectors(plaintexts[0], s_path, s_derivation, new TenantId(Tenant))[0].KeyId, queries[0].Value![0].KeyId);
    }

    [Fact]
    public async Task Fields_ServiceAndLocalKeys_GiveTheSameCiphertexts()
    {
        using UnwrappedKeyset keys = await fixture.Keys.UnwrapAsync();
        using var local = new VeilClient(keys.Configuration);
        VeilServiceClient service = Host.Client(ServiceHost.AdminKey);
        PlaintextField[] fields = [new("alice@example.com"u8.ToArray(), s_path, s_derivation), new("bob"u8.ToArray(), s_path, s_derivation)];

        BatchResult<EncryptedField> fromService = await service.EncryptDeterministicallyBatchAsync(fields, new TenantId(Tenant));
        BatchResult<EncryptedField> fromLocal = local.Deterministic.EncryptDeterministicallyBatch(fields, new TenantId(Tenant));
        Assert.Equal(fromLocal[0].Value!.Ciphertext, fromService[0].Value!.Ciphertext);
        Assert.Equal(fromLocal[1].Value!.Ciphertext, fromService[1].Value!.Ciphertext);

        BatchResult<byte[]> decrypted = await service.Deterministic.DecryptBatchAsync([fromLocal[0].Value!], new TenantId(Tenant));
        Assert.Equal("alice@example.com"u8.ToArray(), decrypted[0].Value);

        BatchResult<IReadOnlyList<EncryptedField>> queries = await Host.Client(ServiceHost.SearchKey).GenerateQueryFieldValuesBatchAsync(fields, new TenantId(Tenant));
        Assert.Equal(fromLocal[0].Value!.Ciphertext, queries[0].Value![0].Ciphertext);

        BatchResult<byte[]> tampered = await service.Deterministic.DecryptBatchAsync([new EncryptedField([.. fromLocal[0].Value!.Ciphertext.Select(b => (byte)(b ^ 1))], s_path, s_derivation)], new TenantId(Tenant));
        Assert.IsType<VeilServiceItemException>(tampered[0].Error);
    }

    [Fact]
    public async Task Documents_ServiceAndLocalKeys_AreInterchangeable()
    {
        using UnwrappedKeyset keys = await fixture.Keys.UnwrapAsync();
        using var local = new VeilClient(keys.Configuration);
        VeilServiceClient service = Host.Client(ServiceHost.AdminKey);
        var document = new Dictionary<string, byte[]> { ["title"] = "secret title"u8.ToArray(), ["body"] = "secret body"u8.ToArray() };

        BatchResult<Veil.Documents.EncryptedDocument> fromService = await service.Standard.EncryptBatchAsync([document], new TenantId(Tenant));
        Assert.Equal(document["body"], local.Standard.Decrypt(fromService[0].Value!, new TenantId(Tenant))["body"]);
        Veil.Documents.EncryptedDocument fromLocal = local.Standard.Encrypt(document, new TenantId(Tenant));
        BatchResult<IReadOnlyDictionary<string, byte[]>> decrypted = await service.Standard.DecryptBatchAsync([fromLocal], new TenantId(Tenant));
        Assert.Equal(document["title"], decrypted[0].Value!["title"]);
    }

    [Fact]
    public async Task Metrics_NeedTheMetricsOperation_AndCountRequests()
    {
        await AssertStillServingAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        request.Headers.Add("X-Api-Key", ServiceHost.AdminKey);
        using HttpResponseMessage response = await Host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains("veil_requests_total{operation=\"vector.encrypt\",status=\"200\"}", text, StringComparison.Ordinal);
        Assert.Contains("veil_items_total{operation=\"vector.encrypt\"}", text, StringComparison.Ordinal);

        using var forbidden = new HttpRequestMessage(HttpMethod.Get, "metrics");
        forbidden.Headers.Add("X-Api-Key", ServiceHost.SearchKey);
        using HttpResponseMessage denied = await Host.Http.SendAsync(forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }

    [Fact]
    public async Task AuditLog_HasEveryOutcome_AndNoPlaintextOrKeys()
    {
        const string Marker = "very-private-plaintext-marker";
        VeilServiceClient admin = Host.Client(ServiceHost.AdminKey);
        await admin.EncryptDeterministicallyBatchAsync([new PlaintextField(Encoding.UTF8.GetBytes(Marker), s_path, s_derivation)], new TenantId(Tenant));
        await admin.Standard.EncryptBatchAsync([new Dictionary<string, byte[]> { [Marker] = Encoding.UTF8.GetBytes(Marker) }], new TenantId(Tenant));
        using (await PostAsync("v1/vector/encrypt", VectorBody(1), null))
        {
        }

        using (await PostAsync("v1/vector/decrypt", VectorBody(1), ServiceHost.SearchKey))
        {
        }

        string audit = Host.ReadAudit();
        string[] lines = audit.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => JsonDocument.Parse(line).Dispose());
        Assert.Contains(lines, l => l.Contains("\"client\":\"admin\"", StringComparison.Ordinal) && l.Contains("\"operation\":\"field.encrypt\"", StringComparison.Ordinal) && l.Contains("\"status\":200", StringComparison.Ordinal) && l.Contains("\"tenant\":\"acme\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"status\":401", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"client\":\"search-frontend\"", StringComparison.Ordinal) && l.Contains("\"status\":403", StringComparison.Ordinal));
        Assert.DoesNotContain(Marker, audit, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Marker)), audit, StringComparison.Ordinal);
        Assert.DoesNotContain(ServiceHost.AdminKey, audit, StringComparison.Ordinal);
        Assert.DoesNotContain(ServiceClients.HashApiKey(ServiceHost.AdminKey), audit, StringComparison.Ordinal);
        Assert.DoesNotContain("encryptedVector", audit, StringComparison.Ordinal);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-3, $"index {i}: {expected[i]} vs {actual[i]}");
        }
    }
}
