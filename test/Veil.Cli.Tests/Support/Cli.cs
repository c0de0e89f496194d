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

/// <summary>Files shipped with the tests.</summary>
internal static class TestFiles
{
    public static string TinyModel => Path.Combine(AppContext.BaseDirectory, "TestData", "tiny-bert.onnx");

    public static string TinyVocabulary => Path.Combine(AppContext.BaseDirectory, "TestData", "vocab.txt");

    public static string Corpus(string file) => Path.Combine(AppContext.BaseDirectory, "corpus", "fiori-minilm", file);
}
