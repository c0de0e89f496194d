using System.Text;
using System.Text.Json;

namespace Veil.Cli.Tests.Support;

/// <summary>The result of one in-process run of the CLI.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public JsonElement[] Json => Lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
}

/// <summary>Runs <c>veil</c> in-process with given stdin and captured stdout/stderr.</summary>
internal static class VeilCli
{
    public static Task<CliResult> RunAsync(string stdin, params string[] args) => RunAsync(new StringReader(stdin), args);

    public static async Task<CliResult> RunAsync(TextReader stdin, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exitCode = await CliApp.RunAsync(args, stdin, stdout, stderr);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    public static string Lines(params string[] lines) => string.Join('\n', lines) + "\n";

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    public static string Base64(params byte[] bytes) => Convert.ToBase64String(bytes);

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
}

/// <summary>A configuration file in a temporary directory, deleted on dispose.</summary>
internal sealed class TempConfig : IDisposable
{
    public TempConfig(string json)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"veil-cli-test-{Guid.NewGuid():N}.json");
        File.WriteAllText(Path, json);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}

/// <summary>Secrets and configurations used across the tests.</summary>
internal static class TestKeys
{
    /// <summary>The 32-byte key of ALLOY-COMPAT §5.6.</summary>
    public static readonly byte[] Kat56Key =
        [69, 96, 99, 158, 198, 112, 183, 161, 125, 73, 43, 39, 62, 7, 123, 10, 150, 190, 245, 139, 167, 118, 7, 121, 229, 68, 84, 110, 0, 14, 254, 200];

    /// <summary>The ASCII secret of ALLOY-COMPAT §5.7 (its bytes are the secret).</summary>
    public const string Kat57Ascii = "hJdwvEeg5mxTu9qWcWrljfKs1ga4MpQ9MzXgLxtlkwX//yA=";

    public static string Kat56Base64 => Convert.ToBase64String(Kat56Key);

    public static string Kat57Base64 => VeilCli.Base64(Kat57Ascii);

    /// <summary>
    /// Vector and deterministic path "p" (current 2, in rotation 1), vector path "old" (current 1 only, same bytes
    /// as "p"'s id 1) and standard secrets 10 (primary) and 11.
    /// </summary>
    public static string RotatingConfig(double beta = 1.1) => $$"""
        {
          "vector": {
            "p": {"approximationFactor": {{beta.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "current": {"id": 2, "secret": "{{Kat57Base64}}"}, "inRotation": {"id": 1, "secret": "{{Kat56Base64}}"} },
            "old": {"approximationFactor": {{beta.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "current": {"id": 1, "secret": "{{Kat56Base64}}"} }
          },
          "deterministic": {
            "p": {"current": {"id": 2, "secret": "{{Kat57Base64}}"}, "inRotation": {"id": 1, "secret": "{{Kat56Base64}}"} },
            "old": {"current": {"id": 1, "secret": "{{Kat56Base64}}"} }
          },
          "standard": {"primaryId": 10, "secrets": [{"id": 10, "secret": "{{Kat57Base64}}"}, {"id": 11, "secret": "{{Kat56Base64}}"}]}
        }
        """;
}

/// <summary>Files shipped with the tests.</summary>
internal static class TestFiles
{
    public static string TinyModel => Path.Combine(AppContext.BaseDirectory, "TestData", "tiny-bert.onnx");

    public static string TinyVocabulary => Path.Combine(AppContext.BaseDirectory, "TestData", "vocab.txt");

    public static string Corpus(string file) => Path.Combine(AppContext.BaseDirectory, "corpus", "fiori-minilm", file);
}
