using System.Net;
using System.Text;
using System.Text.Json;

namespace Veil.Service.Tests;

/// <summary>Raw HTTP calls to a test service, as an attacker would make them.</summary>
internal static class ServiceCalls
{
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(ServiceHost host, string route, object body, string? apiKey) =>
        await PostRawAsync(host, route, JsonSerializer.Serialize(body), apiKey);

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostRawAsync(ServiceHost host, string route, string body, string? apiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        using HttpResponseMessage response = await host.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The audit log's lines, parsed.</summary>
    public static JsonElement[] AuditLines(ServiceHost host) =>
        [.. host.ReadAudit().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    public static ClientPolicy Client(string name, string apiKey, string[] tenants, string[] operations, string[]? derivationPaths = null) => new()
    {
        Name = name,
        KeySha256 = ServiceClients.HashApiKey(apiKey),
        Tenants = tenants,
        SecretPaths = [TestKeys.SecretPath],
        DerivationPaths = derivationPaths ?? ["*"],
        Operations = operations,
    };
}
