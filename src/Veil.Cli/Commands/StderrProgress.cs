namespace Veil.Cli.Commands;

/// <summary>Progress lines on stderr, prefixed with the command ("veil train: …").</summary>
internal sealed class StderrProgress(TextWriter error, string command) : IProgress<string>
{
    public void Report(string value) => error.WriteLine($"veil {command}: {value}");
}
