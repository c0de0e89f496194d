using System.CommandLine;
using Veil.Cli.Commands;

namespace Veil.Cli;

/// <summary>The <c>veil</c> command line, runnable in-process (tests pass their own streams).</summary>
internal static class CliApp
{
    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var console = new CliConsole(stdin, stdout, stderr);
        RootCommand root = CreateRootCommand(console);
        ParseResult parseResult = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // Program.Main holds the one catch-all.
            EnableDefaultExceptionHandler = false,
        };
        return parseResult.InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>The root command and the list of commands (new commands, such as <c>bench</c>, are added here).</summary>
    internal static RootCommand CreateRootCommand(CliConsole console) =>
        new("veil: searchable encryption for AI embeddings, wire-compatible with IronCore Labs' Alloy. Commands read JSON Lines on stdin and write JSON Lines on stdout.")
        {
            new VectorCommand(console),
            new FieldCommand(console),
            new DocumentCommand(console),
            new DemoCommand(console),
        };
}
