using System.Net;
using System.Text;
using System.Text.Json;

namespace Veil.Service.Tests;

/// <summary>Issue 14 §3: refusals are throttled before the body is read, and the audit log tells what the caller saw, briefly.</summary>
public sealed class RefusalTests : IDisposable
{
    private readonly TestKeys _keys = new();

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task Refusals_OnceTheBurstIsUsed_Get429WithoutTheBodyBeingRead()
    {
        await using ServiceHost host = await ServiceHost.StartAsync(_keys, refusalBurst: 3);
        string forbidden = Body(tenant: "othertenant");
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await ServiceCalls.PostRawAsync(host, "v1/vector/query", forbidden, ServiceHost.SearchKey)).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await ServiceCalls.PostRawAsync(host, "v1/vector/query", forbidden, null)).Status);
        }

        // Malformed JSON would be 400 if it were read: 429 shows it was not.
        (HttpStatusCode client, JsonElement body) = await ServiceCalls.PostRawAsync(host, "v1/vector/query", "{not json" + new string(' ', 200 * 1024), ServiceHost.SearchKey);
        (HttpStatusCode anonymous, _) = await ServiceCalls.PostRawAsync(host, "v1/vector/query", "{not json", "veil_wrong");
        Assert.Equal(HttpStatusCode.TooManyRequests, client);
        Assert.Equal(HttpStatusCode.TooManyRequests, anonymous);
        Assert.Contains("not read", body.GetProperty("error").GetString(), StringComparison.Ordinal);

        // Others are still served.
        Assert.Equal(HttpStatusCode.OK, (await ServiceCalls.PostRawAsync(host, "v1/vector/encrypt", Body(), ServiceHost.AdminKey)).Status);
    }

    [Fact]
    public async Task AuditLog_CutsEveryCallerChosenString()
    {
        await using ServiceHost host = await ServiceHost.StartAsync(_keys);
        string huge = new('x', 60_000);
        string body = JsonSerializer.Serialize(new { tenant = huge, newTenant = huge, secretPath = huge, derivationPath = huge, items = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.Forbidden, (await ServiceCalls.PostRawAsync(host, "v1/vector/query", body, ServiceHost.SearchKey)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await ServiceCalls.PostRawAsync(host, "v1/vector/encrypt", "{\"tenant\":[" + huge, ServiceHost.AdminKey)).Status);

        string[] lines = host.ReadAudit().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, line => Assert.True(line.Length < 800, $"audit line of {line.Length} characters"));
        JsonElement first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.All(["tenant", "newTenant", "secretPath", "derivationPath"], name => Assert.Equal(new string('x', 64) + "…", first.GetProperty(name).GetString()));
    }

    [Fact]
    public async Task AuditLog_WhenAWriteFails_TheCallerGetsNoResultAndNoLineClaimsOne()
    {
        var writer = new FailingWriter();
        await using ServiceHost host = await ServiceHost.StartAsync(_keys, auditWriter: writer);

        (HttpStatusCode before, _) = await ServiceCalls.PostRawAsync(host, "v1/vector/encrypt", Body(), ServiceHost.AdminKey);
        writer.Failing = true;
        (HttpStatusCode during, JsonElement refused) = await ServiceCalls.PostRawAsync(host, "v1/vector/encrypt", Body(), ServiceHost.AdminKey);
        writer.Failing = false;
        (HttpStatusCode after, _) = await ServiceCalls.PostRawAsync(host, "v1/vector/encrypt", Body(), ServiceHost.AdminKey);

        Assert.Equal(HttpStatusCode.OK, before);
        Assert.Equal(HttpStatusCode.InternalServerError, during);
        Assert.False(refused.TryGetProperty("items", out _));
        Assert.Equal(HttpStatusCode.OK, after);
        JsonElement[] lines = [.. writer.Written.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];
        Assert.Equal(2, lines.Count(l => l.GetProperty("status").GetInt32() == 200));
        Assert.Contains(lines, l => l.GetProperty("operation").GetString() == "audit" && l.GetProperty("outcome").GetString()!.StartsWith("1 audit lines could not be written", StringComparison.Ordinal));
    }

    private static string Body(string tenant = "acme") => JsonSerializer.Serialize(new
    {
        tenant,
        secretPath = TestKeys.SecretPath,
        derivationPath = TestKeys.DerivationPath,
        items = new[] { new { id = 1, vector = TestKeys.Unit([.. Enumerable.Range(0, TestKeys.Dimensions).Select(i => (float)Math.Sin(i))]) } },
    });

    /// <summary>A log whose disk fills on demand: a failed write keeps nothing, as an unbuffered file does.</summary>
    private sealed class FailingWriter : TextWriter
    {
        private readonly StringBuilder _written = new();

        private volatile bool _failing;

        public bool Failing
        {
            get => _failing;
            set => _failing = value;
        }

        public override Encoding Encoding => Encoding.UTF8;

        public string Written
        {
            get
            {
                lock (_written)
                {
                    return _written.ToString();
                }
            }
        }

        public override void Write(string? value)
        {
            if (Failing)
            {
                throw new IOException("No space left on device");
            }

            lock (_written)
            {
                _written.Append(value);
            }
        }

        public override void Write(char value) => Write(value.ToString());
    }
}
