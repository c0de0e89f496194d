namespace Veil.Cli;

/// <summary>The standard streams a command reads and writes, so that tests can run the CLI in-process.</summary>
internal sealed class CliConsole(TextReader input, TextWriter output, TextWriter error)
{
    /// <summary>Standard input (JSON Lines for the pipeline commands).</summary>
    public TextReader Input { get; } = input;

    /// <summary>Standard output (results only).</summary>
    public TextWriter Output { get; } = output;

    /// <summary>Standard error (warnings, progress and error messages).</summary>
    public TextWriter Error { get; } = error;
}
