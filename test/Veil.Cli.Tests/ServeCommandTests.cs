using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using System.Text;
using Veil.Cli.Tests.Support;
using Veil.Service;
using Veil.Testing;

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
        TextWriter output = TextWriter.Synchronized(stdout);
        using var stop = new CancellationTokenSource();
        Task<int> serving = CliApp.RunAsync(
            ["serve", "--config", _directory.File("config.json"), "--clients", _directory.File("clients.json"), "--audit-log", _directory.File("audit.jsonl")],
            new StringReader(""),
            output,
            TextWriter.Synchronized(stderr),
            stop.Token);
        string address = await WaitForAddressAsync(output, stdout, stderr, serving);
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

    [Fact]
    public async Task Serve_WithKeyset_UnwrapsThroughTheKmsAndServes()
    {
        string variable = $"VEIL_TEST_SERVE_PASSPHRASE_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, "serve test passphrase");
        Commands.KeysCommand.LocalOptionsForTests = new Kms.LocalFile.LocalFileKmsOptions { MemorySizeKiB = 8 * 1024, Iterations = 1 };
        try
        {
            string keyset = _directory.File("keyset.json");
            CliResult created = await VeilCli.RunAsync("", "keys", "--keyset", keyset, "--passphrase-env", variable, "create", "--kms", "local:" + _directory.File("kek.json"), "--create-kek", "--deterministic", "p");
            Assert.Equal(ExitCodes.Success, created.ExitCode);

            var stdout = new StringWriter();
            var stderr = new StringWriter();
            using var stop = new CancellationTokenSource();
            TextWriter output = TextWriter.Synchronized(stdout);
            Task<int> serving = CliApp.RunAsync(
                ["serve", "--keyset", keyset, "--passphrase-env", variable, "--clients", _directory.File("clients.json")],
                new StringReader(""),
                output,
                TextWriter.Synchronized(stderr),
                stop.Token);
            string address = await WaitForAddressAsync(output, stdout, stderr, serving);
            Assert.DoesNotContain("INSECURE", stderr.ToString(), StringComparison.Ordinal);

            using var http = new HttpClient { BaseAddress = new Uri(address + "/") };
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/field/encrypt")
            {
                Content = JsonContent.Create(new { tenant = "t", secretPath = "p", derivationPath = "d", items = new[] { new { id = 1, value = VeilCli.Base64("bob") } } }),
            };
            request.Headers.Add("X-Api-Key", _apiKey);
            using HttpResponseMessage response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items")[0].TryGetProperty("encryptedValue", out _));

            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await serving.WaitAsync(TimeSpan.FromSeconds(30)));

            Environment.SetEnvironmentVariable(variable, "the wrong passphrase");
            CliResult refused = await VeilCli.RunAsync("", "serve", "--keyset", keyset, "--passphrase-env", variable, "--clients", _directory.File("clients.json"));
            Assert.Equal(ExitCodes.Failed, refused.ExitCode);
            Assert.DoesNotContain("wrong passphrase", refused.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    /// <summary>Polls stdout for the listening line (<paramref name="output"/> is the synchronized wrapper the command writes through; it locks on itself).</summary>
    private static async Task<string> WaitForAddressAsync(TextWriter output, StringWriter stdout, StringWriter stderr, Task<int> serving)
    {
        for (int i = 0; i < 400 && !serving.IsCompleted; i++)
        {
            await Task.Delay(50);
            string text;
            lock (output)
            {
                text = stdout.ToString();
            }

            if (text.Contains("listening", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(text).RootElement.GetProperty("listening")[0].GetString()!;
            }
        }

        Assert.Fail($"veil serve did not start; completed {serving.IsCompleted}; stderr: {stderr}");
        return "";
    }

    [Theory]
    [InlineData("--urls", "https://127.0.0.1:0")]
    [InlineData("--urls", "http://0.0.0.0:0")]
    [InlineData("--urls", "http://127.0.0.1:8713/;http://192.0.2.1:8712")]
    [InlineData("--urls", "http://127.0.0.1:8713/,http://192.0.2.1:8712")]
    [InlineData("--max-norm", "p=-1")]
    [InlineData("--max-norm", "nosuchpath=2")]
    [InlineData("--keyset", "x.json")]
    [InlineData("--limits-redis-unreachable", "open")]
    public async Task Serve_WhenOptionsUnsafeOrConflicting_ExitsWithUsageError(string option, string value)
    {
        CliResult result = await VeilCli.RunAsync("", "serve", "--config", _directory.File("config.json"), "--clients", _directory.File("clients.json"), option, value);
        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.NotEmpty(result.Stderr);
    }

    [Fact]
    public async Task Serve_LimitsRedisThatCannotBeParsed_ExitsWithUsageError_WithoutEchoingThePassword()
    {
        CliResult result = await VeilCli.RunAsync("", "serve", "--config", _directory.File("config.json"), "--clients", _directory.File("clients.json"), "--limits-redis", "127.0.0.1:1,password=hunter2,ssl=maybe");
        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("--limits-redis", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.Stderr + result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithHyphenatedIdsAllowed_RefusesAClientWithoutListedDerivationPaths()
    {
        CliResult result = await VeilCli.RunAsync("", "serve", "--config", _directory.File("config.json"), "--clients", _directory.File("clients.json"), "--allow-hyphenated-ids");
        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("'app'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("derivationPaths", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_MaxNorm_SetsThePathsLimitOverTheDefault()
    {
        float[] large = [1f, 2f, 3f];
        Assert.Contains("L2 norm", await QueryItemAsync(large), StringComparison.Ordinal);
        Assert.Contains("queries", await QueryItemAsync(large, "--max-norm", "p=4"), StringComparison.Ordinal);
    }

    /// <summary>Runs veil serve with <paramref name="options"/>, makes one query vector for tenant t, path p and returns the item's JSON.</summary>
    private async Task<string> QueryItemAsync(float[] vector, params string[] options)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        TextWriter output = TextWriter.Synchronized(stdout);
        using var stop = new CancellationTokenSource();
        Task<int> serving = CliApp.RunAsync(
            ["serve", "--config", _directory.File("config.json"), "--clients", _directory.File("clients.json"), .. options],
            new StringReader(""),
            output,
            TextWriter.Synchronized(stderr),
            stop.Token);
        string address = await WaitForAddressAsync(output, stdout, stderr, serving);
        using var http = new HttpClient { BaseAddress = new Uri(address + "/") };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/vector/query")
        {
            Content = JsonContent.Create(new { tenant = "t", secretPath = "p", derivationPath = "d", items = new[] { new { id = 1, vector } } }),
        };
        request.Headers.Add("X-Api-Key", _apiKey);
        using HttpResponseMessage response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string item = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items")[0].GetRawText();
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving.WaitAsync(TimeSpan.FromSeconds(30)));
        return item;
    }
}
