using System.Net;
using System.Text;
using Veil.Keys;
using Veil.Service.Client;
using Veil.Vectors;

namespace Veil.Service.Tests;

/// <summary>
/// Request and response bodies live in pooled buffers on both sides: answers carry their Content-Length (no chunked
/// framing), many concurrent calls each get their own results back (a buffer returned to the pool too early would
/// mix them up), and a response larger than the client's HttpClient allows is refused.
/// </summary>
public sealed class PooledBodyTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private const string Tenant = "acme";
    private static readonly SecretPath s_path = new(TestKeys.SecretPath);
    private static readonly DerivationPath s_derivation = new(TestKeys.DerivationPath);

    private ServiceHost Host => fixture.Host;

    [Theory]
    [InlineData(true, HttpStatusCode.OK)]
    [InlineData(false, HttpStatusCode.BadRequest)]
    public async Task Answers_CarryTheirContentLength_AndAreNotChunked(bool wellFormed, HttpStatusCode expected)
    {
        // The second item has no vector: it fails alone inside a 200.
        string body = wellFormed
            ? "{\"tenant\":\"acme\",\"secretPath\":\"docs\",\"derivationPath\":\"embedding\",\"items\":[{\"id\":1,\"vector\":" + System.Text.Json.JsonSerializer.Serialize(Vector(1)) + "},{\"id\":2}]}"
            : "{not json";
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/vector/encrypt") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Api-Key", ServiceHost.AdminKey);
        using HttpResponseMessage response = await Host.Http.SendAsync(request);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(expected, response.StatusCode);
        Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        Assert.Equal((byte)'{', bytes[0]);
        Assert.Equal((byte)'}', bytes[^1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConcurrentCalls_EachGetTheirOwnVectorsBack(bool binary)
    {
        VeilServiceClient client = new(Host.Http, ServiceHost.AdminKey) { UseBinaryBatches = binary, MaxItemsPerRequest = 64 };
        float[][][] batches = [.. Enumerable.Range(0, 16).Select(b => Enumerable.Range(0, 20).Select(i => Vector((b * 100) + i)).ToArray())];

        float[][][] decrypted = await Task.WhenAll(batches.Select(async batch =>
        {
            BatchResult<EncryptedVector> encrypted = await client.EncryptBatchAsync([.. batch.Select(v => (ReadOnlyMemory<float>)v)], s_path, s_derivation, new(Tenant));
            BatchResult<float[]> back = await client.DecryptBatchAsync([.. encrypted.Select(e => e.Value!)], new(Tenant));
            return back.Select(r => r.Value!).ToArray();
        }));

        for (int b = 0; b < batches.Length; b++)
        {
            for (int i = 0; i < batches[b].Length; i++)
            {
                Assert.True(batches[b][i].Zip(decrypted[b][i]).All(p => MathF.Abs(p.First - p.Second) < 1e-3f), $"batch {b}, vector {i} came back different");
            }
        }
    }

    [Fact]
    public async Task Client_WhenTheResponseIsLargerThanHttpClientAllows_Throws()
    {
        using var http = new HttpClient { BaseAddress = Host.BaseAddress, MaxResponseContentBufferSize = 1000 };
        var client = new VeilServiceClient(http, ServiceHost.AdminKey);

        VeilServiceException e = await Assert.ThrowsAsync<VeilServiceException>(() =>
            client.EncryptBatchAsync([.. Enumerable.Range(0, 20).Select(i => (ReadOnlyMemory<float>)Vector(i))], s_path, s_derivation, new(Tenant)));
        Assert.Contains("too large", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_WhenRefusedBeforeTheBodyIsRead_ReportsTheRefusal_AndTheNextCallWorks()
    {
        // An unknown key is refused before the service reads the body: the send may still be under way as the answer
        // arrives, and the pooled request body must outlive it.
        var stranger = new VeilServiceClient(Host.Http, "not-a-key") { MaxItemsPerRequest = 256 };
        ReadOnlyMemory<float>[] many = [.. Enumerable.Range(0, 256).Select(i => (ReadOnlyMemory<float>)Vector(i))];
        VeilServiceException e = await Assert.ThrowsAsync<VeilServiceException>(() => stranger.EncryptBatchAsync(many, s_path, s_derivation, new(Tenant)));
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);

        BatchResult<EncryptedVector> ok = await Host.Client(ServiceHost.AdminKey).EncryptBatchAsync(many[..3], s_path, s_derivation, new(Tenant));
        Assert.Equal(0, ok.FailureCount);
    }

    private static float[] Vector(int seed)
    {
        var random = new Random(seed);
        return TestKeys.Unit([.. Enumerable.Range(0, TestKeys.Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1))]);
    }
}
