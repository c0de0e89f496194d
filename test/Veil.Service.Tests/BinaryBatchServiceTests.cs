using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Veil.Fields;
using Veil.Keys;
using Veil.Service.Client;
using Veil.Vectors;

namespace Veil.Service.Tests;

/// <summary>The binary batch form through the running service: negotiated by Content-Type, the same answers as JSON.</summary>
public sealed class BinaryBatchServiceTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private const string Tenant = "acme";
    private static readonly SecretPath s_path = new(TestKeys.SecretPath);
    private static readonly DerivationPath s_derivation = new(TestKeys.DerivationPath);

    private ServiceHost Host => fixture.Host;

    [Fact]
    public async Task BinaryClient_EncryptsDecryptsAndQueries_LikeTheJsonClient()
    {
        VeilServiceClient binary = new(Host.Http, ServiceHost.AdminKey) { UseBinaryBatches = true, MaxItemsPerRequest = 64 };
        VeilServiceClient json = Host.Client(ServiceHost.AdminKey);
        ReadOnlyMemory<float>[] vectors = [.. Enumerable.Range(0, 100).Select(i => (ReadOnlyMemory<float>)Vector(i))];

        BatchResult<EncryptedVector> encrypted = await binary.EncryptBatchAsync(vectors, s_path, s_derivation, new(Tenant));
        BatchResult<float[]> decryptedByJson = await json.DecryptBatchAsync([.. encrypted.Select(e => e.Value!)], new(Tenant));
        BatchResult<float[]> decryptedByBinary = await binary.DecryptBatchAsync([.. encrypted.Select(e => e.Value!)], new(Tenant));

        Assert.Equal(0, encrypted.FailureCount + decryptedByJson.FailureCount + decryptedByBinary.FailureCount);
        for (int i = 0; i < vectors.Length; i++)
        {
            Assert.Equal(decryptedByJson[i].Value, decryptedByBinary[i].Value);
            Assert.Equal(vectors[i].Span[0], decryptedByBinary[i].Value![0], 1e-3f);
        }

        PlaintextField[] fields = [new("alice"u8.ToArray(), s_path, s_derivation)];
        BatchResult<EncryptedField> fieldsByBinary = await binary.EncryptDeterministicallyBatchAsync(fields, new(Tenant));
        BatchResult<EncryptedField> fieldsByJson = await json.EncryptDeterministicallyBatchAsync(fields, new(Tenant));
        Assert.Equal(fieldsByJson[0].Value!.Ciphertext, fieldsByBinary[0].Value!.Ciphertext);

        BatchResult<IReadOnlyList<QueryVector>> queries = await binary.GenerateQueryVectorsBatchAsync([vectors[0]], s_path, s_derivation, new(Tenant));
        Assert.NotEmpty(queries[0].Value!);
    }

    [Fact]
    public async Task BinaryClient_WhenOneCiphertextIsTampered_FailsItAloneWithTheIntegrityCode()
    {
        VeilServiceClient binary = new(Host.Http, ServiceHost.AdminKey) { UseBinaryBatches = true };
        EncryptedField good = (await binary.EncryptDeterministicallyBatchAsync([new("v"u8.ToArray(), s_path, s_derivation)], new(Tenant)))[0].Value!;
        var tampered = new EncryptedField([.. good.Ciphertext.Select(b => (byte)(b ^ 1))], s_path, s_derivation);

        BatchResult<byte[]> decrypted = await binary.DecryptBatchAsync([good, tampered], new(Tenant));

        Assert.Equal("v"u8.ToArray(), decrypted[0].Value);
        Assert.Equal(ItemErrorCode.Integrity, Assert.IsType<VeilServiceItemException>(decrypted[1].Error).Code);
    }

    [Fact]
    public async Task Post_WhenBinaryBodyIsMalformed_Returns400AndKeepsServing()
    {
        var buffer = new ArrayBufferWriter<byte>();
        BinaryBatch.WriteRequest(buffer, new BatchRequest { Tenant = Tenant, SecretPath = TestKeys.SecretPath, DerivationPath = TestKeys.DerivationPath, Items = [new() { Vector = Vector(1) }] });
        byte[] truncated = buffer.WrittenSpan[..^3].ToArray();

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/vector/encrypt") { Content = new ByteArrayContent(truncated) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(BinaryBatch.ContentType);
        request.Headers.Add("X-Api-Key", ServiceHost.AdminKey);
        using HttpResponseMessage response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(await Host.Client(ServiceHost.AdminKey).IsHealthyAsync());
    }

    [Fact]
    public async Task Post_WhenAVectorIsEmpty_RefusesItAloneAsInvalidInput_InJsonAndBinaryAlike()
    {
        var request = new BatchRequest { Tenant = Tenant, SecretPath = TestKeys.SecretPath, DerivationPath = TestKeys.DerivationPath, Items = [new() { Id = "1"u8.ToArray(), Vector = Array.Empty<float>() }, new() { Id = "2"u8.ToArray(), Vector = Vector(2) }] };
        var binary = new ArrayBufferWriter<byte>();
        BinaryBatch.WriteRequest(binary, request);
        byte[] json = ProtocolJson.ToUtf8(writer => ProtocolJson.WriteRequest(writer, request));
        Assert.Contains("\"vector\":[]", System.Text.Encoding.UTF8.GetString(json), StringComparison.Ordinal);

        foreach ((byte[] body, string contentType) in new[] { (binary.WrittenSpan.ToArray(), BinaryBatch.ContentType), (json, "application/json") })
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "v1/vector/encrypt") { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            message.Headers.Add("X-Api-Key", ServiceHost.AdminKey);
            using HttpResponseMessage response = await Host.Http.SendAsync(message);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            byte[] answer = await response.Content.ReadAsByteArrayAsync();
            IReadOnlyList<ProtocolItem> items = contentType == BinaryBatch.ContentType
                ? BinaryBatch.ReadResponse(answer, ItemMembers.All)
                : ProtocolJson.ReadResponse(answer, ItemMembers.All);

            Assert.Equal(ItemErrorCode.InvalidInput, items[0].ErrorCode);
            Assert.Contains("empty", items[0].Error, StringComparison.Ordinal);
            Assert.Null(items[0].EncryptedVector);
            Assert.Null(items[1].Error);
            Assert.Equal(TestKeys.Dimensions, items[1].EncryptedVector!.Value.Length);
        }
    }

    private static float[] Vector(int seed)
    {
        var random = new Random(seed);
        return TestKeys.Unit([.. Enumerable.Range(0, TestKeys.Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1))]);
    }
}
