using System.Text.Json;
using Veil.Cli.Tests.Support;
using Veil.Configuration;
using Veil.Insecure;
using Veil.Vectors;
using Veil.Keys;

namespace Veil.Cli.Tests;

/// <summary>Large inputs stream chunk by chunk, in order; seeded runs match one-at-a-time encryption.</summary>
public sealed class StreamingTests : IDisposable
{
    private readonly TempConfig _config = new(TestKeys.RotatingConfig());

    public void Dispose() => _config.Dispose();

    [Fact]
    public async Task FieldEncrypt_When20000LinesReadLazily_WritesAllInOrderBeforeInputIsExhausted()
    {
        const int count = 20_000;
        var input = new LazyLineReader(count, i => $$"""{"id":{{i}},"value":"{{Convert.ToBase64String(BitConverter.GetBytes(i))}}"}""");
        var output = new RecordingWriter(() => input.LinesProduced);
        using var stderr = new StringWriter();

        int exitCode = await CliApp.RunAsync(
            ["field", "encrypt", "--config", _config.Path, "--tenant", "t", "--secret-path", "p", "--derivation-path", "d"], input, output, stderr);

        Assert.Equal(ExitCodes.Success, exitCode);
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(count, lines.Length);
        for (int i = 0; i < count; i++)
        {
            Assert.StartsWith($$"""{"id":{{i}},"encryptedValue":""", lines[i]);
        }

        Assert.NotNull(output.LinesProducedAtFirstWrite);
        Assert.True(output.LinesProducedAtFirstWrite < count, $"first output after {output.LinesProducedAtFirstWrite} input lines");

        foreach (int i in new[] { 0, 4097, count - 1 })
        {
            CliResult single = await VeilCli.RunAsync(
                VeilCli.Lines($$"""{"id":{{i}},"value":"{{Convert.ToBase64String(BitConverter.GetBytes(i))}}"}"""),
                "field", "encrypt", "--config", _config.Path, "--tenant", "t", "--secret-path", "p", "--derivation-path", "d");
            Assert.Equal(single.Lines[0], lines[i]);
        }
    }

    [Fact]
    public async Task VectorEncrypt_WhenSeededAcrossChunks_MatchesOneAtATimeEncryptionInOrder()
    {
        const int count = 2500; // more than one chunk
        float[][] vectors = Enumerable.Range(0, count).Select(i => new[] { i * 0.001f, -i * 0.002f, 0.5f }).ToArray();
        string input = string.Concat(vectors.Select((v, i) => JsonSerializer.Serialize(new { id = i, vector = v }) + "\n"));

        CliResult result = await VeilCli.RunAsync(input, VectorArgs("encrypt"));

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using VeilClient client = InsecureSeededClient.Create(ConfigFile.Parse(TestKeys.RotatingConfig()), 99);
        JsonElement[] lines = result.Json;
        for (int i = 0; i < count; i++)
        {
            EncryptedVector expected = client.Vector.Encrypt(vectors[i], new SecretPath("p"), new DerivationPath("d"), new TenantId("t"));
            Assert.Equal(expected.Ciphertext.ToArray(), VeilCli.Floats(lines[i].GetProperty("encryptedVector")));
            Assert.Equal(Convert.ToBase64String(expected.PairedIclInfo.Span), lines[i].GetProperty("pairedIclInfo").GetString());
        }
    }

    [Fact]
    public async Task VectorEncryptOneWayAndQuery_WhenSeeded_MatchOneAtATimeInOrder()
    {
        float[][] vectors = Enumerable.Range(0, 50).Select(i => new[] { i * 0.1f, 1f, -0.5f, 2f }).ToArray();
        string input = string.Concat(vectors.Select((v, i) => JsonSerializer.Serialize(new { id = i, vector = v }) + "\n"));

        CliResult oneWay = await VeilCli.RunAsync(input, [.. VectorArgs("encrypt"), "--one-way"]);
        CliResult query = await VeilCli.RunAsync(input, VectorArgs("query"));

        using VeilClient oneWayClient = InsecureSeededClient.Create(ConfigFile.Parse(TestKeys.RotatingConfig()), 99);
        using VeilClient queryClient = InsecureSeededClient.Create(ConfigFile.Parse(TestKeys.RotatingConfig()), 99);
        for (int i = 0; i < vectors.Length; i++)
        {
            Assert.Equal(oneWayClient.Vector.EncryptOneWay(vectors[i], new SecretPath("p"), new DerivationPath("d"), new TenantId("t")), VeilCli.Floats(oneWay.Json[i].GetProperty("encryptedVector")));
            IReadOnlyList<QueryVector> expected = queryClient.Vector.GenerateQueryVectors(vectors[i], new SecretPath("p"), new DerivationPath("d"), new TenantId("t"));
            JsonElement[] actual = query.Json[i].GetProperty("queries").EnumerateArray().ToArray();
            Assert.Equal(expected.Select(q => q.Ciphertext.ToArray()), actual.Select(q => VeilCli.Floats(q.GetProperty("encryptedVector"))));
        }
    }

    [Fact]
    public async Task DocumentEncrypt_WhenSeeded_MatchesOneAtATimeInOrder()
    {
        string[] texts = Enumerable.Range(0, 40).Select(i => $"document {i}").ToArray();
        string input = string.Concat(texts.Select((t, i) => JsonSerializer.Serialize(new { id = i, fields = new { a = VeilCli.Base64(t), b = VeilCli.Base64("b") } }) + "\n"));

        CliResult result = await VeilCli.RunAsync(input, "document", "encrypt", "--config", _config.Path, "--tenant", "t", "--insecure-seed", "5");

        using VeilClient client = InsecureSeededClient.Create(ConfigFile.Parse(TestKeys.RotatingConfig()), 5);
        for (int i = 0; i < texts.Length; i++)
        {
            Documents.EncryptedDocument expected = client.Standard.Encrypt(
                new Dictionary<string, byte[]> { ["a"] = System.Text.Encoding.UTF8.GetBytes(texts[i]), ["b"] = "b"u8.ToArray() }, new TenantId("t"));
            Assert.Equal(Convert.ToBase64String(expected.Edek), result.Json[i].GetProperty("edek").GetString());
            Assert.Equal(Convert.ToBase64String(expected.Fields["a"]), result.Json[i].GetProperty("fields").GetProperty("a").GetString());
        }
    }

    [Theory]
    [InlineData("encrypt")]
    [InlineData("decrypt")]
    public async Task VectorPipeline_OnTheProcesssByteStreams_WritesTheSameBytesAsOnText(string verb)
    {
        // What Program hands the CLI: a reader and a writer over streams; the pipeline then runs on UTF-8 bytes.
        float[][] vectors = Enumerable.Range(0, 2500).Select(i => new[] { i * 0.001f, -i * 0.002f, 0.5f }).ToArray();
        string input = string.Concat(vectors.Select((v, i) => JsonSerializer.Serialize(new { id = i, vector = v }) + (i % 3 == 0 ? "\r\n" : "\n")))
            + "{\"id\":\"bad\",\"vector\":[1,\"x\"]}\n\n";
        if (verb == "decrypt")
        {
            input = (await VeilCli.RunAsync(input, VectorArgs("encrypt"))).Stdout;
        }

        CliResult onText = await VeilCli.RunAsync(input, VectorArgs(verb));
        var encoding = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        using var stdin = new StreamReader(new MemoryStream(encoding.GetBytes(input)), encoding);
        var stdoutBytes = new MemoryStream();
        using var stdout = new StreamWriter(stdoutBytes, encoding, leaveOpen: true);
        using var stderr = new StringWriter();

        int exitCode = await CliApp.RunAsync(VectorArgs(verb), stdin, stdout, stderr);
        await stdout.FlushAsync();

        Assert.Equal(onText.ExitCode, exitCode);
        Assert.Equal(ExitCodes.Failed, exitCode); // the bad line fails alone, in both forms
        Assert.Equal(onText.Stdout, encoding.GetString(stdoutBytes.ToArray()));
    }

    private string[] VectorArgs(string verb) =>
        ["vector", verb, "--config", _config.Path, "--tenant", "t", "--secret-path", "p", "--derivation-path", "d", "--insecure-seed", "99"];

    /// <summary>Produces its lines only when asked, and counts them.</summary>
    private sealed class LazyLineReader(int count, Func<int, string> line) : TextReader
    {
        public int LinesProduced { get; private set; }

        public override string? ReadLine() => LinesProduced < count ? line(LinesProduced++) : null;
    }

    /// <summary>Records how much input had been produced when output first arrived.</summary>
    private sealed class RecordingWriter(Func<int> linesProduced) : StringWriter
    {
        public int? LinesProducedAtFirstWrite { get; private set; }

        public override void Write(char[] buffer, int index, int count)
        {
            LinesProducedAtFirstWrite ??= linesProduced();
            base.Write(buffer, index, count);
        }
    }
}
