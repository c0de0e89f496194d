using System.Text.Json;
using Veil.Cli.Tests.Support;

namespace Veil.Cli.Tests;

/// <summary>Per-line failures, exit codes and option errors.</summary>
public sealed class ErrorHandlingTests : IDisposable
{
    private readonly TempConfig _config = new(TestKeys.RotatingConfig());

    public void Dispose() => _config.Dispose();

    [Fact]
    public async Task VectorDecrypt_WhenOneLineTampered_WritesErrorLineOthersSucceedAndExits3()
    {
        CliResult encrypted = await Vector("encrypt", VeilCli.Lines(
            """{"id":"a","vector":[1,2,3]}""", """{"id":"b","vector":[4,5,6]}""", """{"id":"c","vector":[7,8,9]}"""));
        string[] lines = encrypted.Lines;
        JsonElement b = JsonDocument.Parse(lines[1]).RootElement;
        float[] ciphertext = VeilCli.Floats(b.GetProperty("encryptedVector"));
        ciphertext[1] += 1f;
        lines[1] = JsonSerializer.Serialize(new { id = "b", encryptedVector = ciphertext, pairedIclInfo = b.GetProperty("pairedIclInfo").GetString() });

        CliResult decrypted = await Vector("decrypt", VeilCli.Lines(lines));

        Assert.Equal(ExitCodes.IntegrityFailure, decrypted.ExitCode);
        JsonElement[] output = decrypted.Json;
        Assert.Equal(3, output.Length);
        Assert.True(output[0].TryGetProperty("vector", out _));
        Assert.Equal("b", output[1].GetProperty("id").GetString());
        Assert.Contains("authentication", output[1].GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.False(output[1].TryGetProperty("vector", out _));
        Assert.True(output[2].TryGetProperty("vector", out _));
    }

    [Fact]
    public async Task FieldDecrypt_WhenTampered_ExitsWithIntegrityFailure()
    {
        CliResult encrypted = await Field("encrypt", VeilCli.Lines($$"""{"id":"a","value":"{{VeilCli.Base64("v")}}"}"""));
        byte[] bytes = Convert.FromBase64String(encrypted.Json[0].GetProperty("encryptedValue").GetString()!);
        bytes[^1] ^= 1;

        CliResult decrypted = await Field("decrypt", VeilCli.Lines($$"""{"id":"a","encryptedValue":"{{Convert.ToBase64String(bytes)}}"}"""));

        Assert.Equal(ExitCodes.IntegrityFailure, decrypted.ExitCode);
        Assert.True(decrypted.Json[0].TryGetProperty("error", out _));
    }

    [Fact]
    public async Task DocumentDecrypt_WhenFieldTampered_ExitsWithIntegrityFailure()
    {
        CliResult encrypted = await VeilCli.RunAsync(
            VeilCli.Lines($$"""{"id":"d","fields":{"f":"{{VeilCli.Base64("text")}}"} }"""), "document", "encrypt", "--config", _config.Path, "--tenant", "t");
        JsonElement document = encrypted.Json[0];
        byte[] field = Convert.FromBase64String(document.GetProperty("fields").GetProperty("f").GetString()!);
        field[^1] ^= 1;
        string line = JsonSerializer.Serialize(new { id = "d", edek = document.GetProperty("edek").GetString(), fields = new { f = Convert.ToBase64String(field) } });

        CliResult decrypted = await VeilCli.RunAsync(line + "\n", "document", "decrypt", "--config", _config.Path, "--tenant", "t");

        Assert.Equal(ExitCodes.IntegrityFailure, decrypted.ExitCode);
        Assert.Equal("d", decrypted.Json[0].GetProperty("id").GetString());
        Assert.True(decrypted.Json[0].TryGetProperty("error", out _));
    }

    [Fact]
    public async Task VectorEncrypt_WhenLineIsMalformedJson_WritesErrorLineAndExits2()
    {
        CliResult result = await Vector("encrypt", VeilCli.Lines(
            """{"id":"a","vector":[1,2]}""",
            """{"id":"b","vector":[1,2""",
            "",
            "   ",
            """{"id":"c","vector":[3,4]}"""));

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        JsonElement[] lines = result.Json;
        Assert.Equal(3, lines.Length);
        Assert.True(lines[0].TryGetProperty("encryptedVector", out _));
        Assert.StartsWith("Malformed JSON", lines[1].GetProperty("error").GetString());
        Assert.Equal("b", lines[1].GetProperty("id").GetString());
        Assert.Equal("c", lines[2].GetProperty("id").GetString());
        Assert.True(lines[2].TryGetProperty("encryptedVector", out _));
    }

    [Fact]
    public async Task FieldDecrypt_WhenKeyIdUnknown_WritesErrorAndExits2()
    {
        byte[] foreign = [0, 0, 0, 9, 128, 0, .. new byte[16], 1, 2, 3];

        CliResult result = await Field("decrypt", VeilCli.Lines($$"""{"id":"a","encryptedValue":"{{Convert.ToBase64String(foreign)}}"}"""));

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Contains("key ID 9", result.Json[0].GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("vector", "encrypt", "--config")]
    [InlineData("vector", "encrypt", "--tenant")]
    [InlineData("vector", "decrypt", "--secret-path")]
    [InlineData("field", "query", "--derivation-path")]
    public async Task Command_WhenRequiredOptionMissing_Exits1AndNamesTheOption(string group, string verb, string omitted)
    {
        var options = new Dictionary<string, string>
        {
            ["--config"] = _config.Path,
            ["--tenant"] = "t",
            ["--secret-path"] = "p",
            ["--derivation-path"] = "d",
        };
        options.Remove(omitted);

        CliResult result = await VeilCli.RunAsync(string.Empty, [group, verb, .. options.SelectMany(o => new[] { o.Key, o.Value })]);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains(omitted, result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task VectorEncrypt_WhenSecretPathNotConfigured_Exits1()
    {
        CliResult result = await VeilCli.RunAsync(
            VeilCli.Lines("""{"vector":[1]}"""), "vector", "encrypt", "--config", _config.Path, "--tenant", "t", "--secret-path", "nope", "--derivation-path", "d");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("\"nope\"", result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task DocumentEncrypt_WhenNoStandardSection_Exits1()
    {
        using var config = new TempConfig($$"""{"deterministic": {"p": {"current": {"id": 1, "secret": "{{TestKeys.Kat56Base64}}"} } } }""");

        CliResult result = await VeilCli.RunAsync(VeilCli.Lines("""{"fields":{}}"""), "document", "encrypt", "--config", config.Path, "--tenant", "t");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("no standard section", result.Stderr);
    }

    [Fact]
    public async Task Help_WhenRequestedForEachCommand_Exits0AndDescribesOptions()
    {
        foreach (string[] args in new[] { ["--help"], ["vector", "encrypt", "--help"], ["field", "rotate", "--help"], ["document", "rekey", "--help"], new[] { "demo", "--help" } })
        {
            CliResult result = await VeilCli.RunAsync(string.Empty, args);
            Assert.Equal(ExitCodes.Success, result.ExitCode);
            Assert.Contains("Usage:", result.Stdout);
        }
    }

    [Fact]
    public async Task Help_NamesTheInstalledCommandVeil_NotTheAssembly()
    {
        // The installed command is "veil"; the assembly (and the in-process test host) has another name.
        CliResult root = await VeilCli.RunAsync(string.Empty, "--help");
        CliResult sub = await VeilCli.RunAsync(string.Empty, "vector", "encrypt", "--help");
        CliResult version = await VeilCli.RunAsync(string.Empty, "--version");

        Assert.Contains("Usage:\n  veil [command] [options]", root.Stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("veil vector encrypt [options]", sub.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Veil.Cli", root.Stdout + sub.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("testhost", root.Stdout + sub.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout);
    }

    private Task<CliResult> Vector(string verb, string input) =>
        VeilCli.RunAsync(input, "vector", verb, "--config", _config.Path, "--tenant", "t", "--secret-path", "p", "--derivation-path", "d");

    private Task<CliResult> Field(string verb, string input) =>
        VeilCli.RunAsync(input, "field", verb, "--config", _config.Path, "--tenant", "t", "--secret-path", "p", "--derivation-path", "d");
}
