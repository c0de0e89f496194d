using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Veil.Cli.Tests.Support;
using Veil.Service;

namespace Veil.Cli.Tests;

/// <summary><c>veil serve</c> run in-process on a free loopback port, compared with the JSON Lines commands.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly string _apiKey = ServiceClients.GenerateApiKey();

    public ServeCommandTests()
    {
        File.WriteAllText(_directory.File("config.json"), TestKeys.RotatingConfig());
        File.WriteAllText(_directory.File("clients.json"), $$"""
            {"clients":[{"name":"app","keySha256":"{{ServiceClients.HashApiKey(_apiKey)}}","tenants":["t"],"secretPaths":["p"],"operations":["field.encrypt","vector.query"]}]}
            """);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Serve_WithConfig_AnswersLikeTheCliAndStopsOnCancel()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var stop = new CancellationTokenSource();
        Task<int> serving = CliApp.RunAsync(
            ["serve", "--config", _directory.File("config.json"), "--clients", _directory.File("clients.json"), "--audit-log", _directory.File("audit.jsonl")],
            new StringReader(""),
            TextWriter.Synchronized(stdout),
            TextWriter.Synchronized(stderr),
            stop.Token);
        string? address = null;
        for (int i = 0; i < 200 && address is null && !serving.IsCompleted; i++)
        {
            await Task.Delay(50);
            string text;
            lock (stdout)
            {
                text = stdout.ToString();
            }

            if (text.Contains("listening", StringComparison.Ordinal))
            {
                address = JsonDocument.Parse(text).RootElement.GetProperty("listening")[0].GetString();
            }
        }

        Assert.True(address is not null, $"no address; completed {serving.IsCompleted}; stderr: {stderr}");
        Assert.StartsWith("http://127.0.0.1:", address, StringComparison.Ordinal);
        Assert.Contains("insecure", stderr.ToString(), StringComparison.OrdinalIgnoreCase);

        using var http = new HttpClient { BaseAddress = new Uri(address + "/") };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/field/encrypt")
        {
            Content = JsonContent.Create(new { tenant = "t", secretPath = "p", derivationPath = "d", items = new[] { new { id = 7, value = VeilCli.Base64("alice") } } }),
        };
        request.Headers.Add("X-Api-Key", _apiKey);
        using HttpResponseMessage response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement item = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items")[0];

        CliResult cli = await VeilCli.RunAsync(VeilCli.Lines($$"""{"id":7,"value":"{{VeilCli.Base64("alice")}}"}"""), "field", "encrypt", "--config", _directory.File("config.json"), "--tenant", "t", "--secret-path", "p", "--derivation-path", "d");
        Assert.Equal(cli.Lines[0], item.GetRawText());

        using var forbidden = new HttpRequestMessage(HttpMethod.Post, "v1/field/decrypt") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        forbidden.Headers.Add("X-Api-Key", _apiKey);
        using HttpResponseMessage denied = await http.SendAsync(forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);

        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving.WaitAsync(TimeSpan.FromSeconds(30)));
        string audit = File.ReadAllText(_directory.File("audit.jsonl"));
        Assert.Contains("\"client\":\"app\"", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(VeilCli.Base64("alice"), audit, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--urls", "https://127.0.0.1:0")]
    [InlineData("--urls", "http://0.0.0.0:0")]
    [InlineData("--keyset", "x.json")]
    public async Task Serve_WhenOptionsUnsafeOrConflicting_ExitsWithUsageError(string option, string value)
    {
        CliResult result = await VeilCli.RunAsync("", "serve", "--config", _directory.File("config.json"), "--clients", _directory.File("clients.json"), option, value);
        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.NotEmpty(result.Stderr);
    }
}
