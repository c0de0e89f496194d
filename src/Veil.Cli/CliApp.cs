using System.CommandLine;
using Veil.Cli.Commands;

namespace Veil.Cli;

/// <summary>The <c>veil</c> command line, runnable in-process (tests pass their own streams).</summary>
internal static class CliApp
{
    /// <summary>
    /// Parses <paramref name="args"/> and runs the command; returns the exit code. The one mapping of the exceptions a
    /// command lets through (<see cref="ExitCodes.For"/>): the command's path, the kind of failure and the message on
    /// stderr (library messages never hold secrets or plaintext).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var console = new CliConsole(stdin, stdout, stderr);
        Command root = CreateRootCommand(console);
        ParseResult parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            // stdout carries data only: report parse errors on stderr (System.CommandLine would also print help to stdout).
            foreach (System.CommandLine.Parsing.ParseError error in parseResult.Errors)
            {
                stderr.WriteLine(error.Message);
            }

            foreach (string suggestion in TypoSuggestions.For(parseResult))
            {
                stderr.WriteLine(suggestion);
            }

            stderr.WriteLine($"Run '{parseResult.CommandPath()} --help' for usage.");
            return ExitCodes.InvalidOptions;
        }

        if (KdfInputWarning.For(parseResult) is { } warning)
        {
            stderr.WriteLine(warning);
        }

        var configuration = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // Program.Main holds the one catch-all.
            EnableDefaultExceptionHandler = false,
        };

        try
        {
            return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ExitCodes.For(e) is (int code, string kind))
        {
            stderr.WriteLine($"{parseResult.CommandPath()}: {kind}{e.Message}");
            return code;
        }
    }

    /// <summary>The root command and the list of commands (new commands, such as <c>bench</c>, are added here).</summary>
    /// <remarks>
    /// A plain <see cref="Command"/> named <c>veil</c>, the installed command: a <see cref="RootCommand"/> takes the
    /// executable's name (<c>Veil.Cli</c>) for its help, so the help and version options it would add are added here.
    /// </remarks>
    internal static Command CreateRootCommand(CliConsole console) =>
        new("veil", "veil: searchable encryption for AI embeddings, wire-compatible with IronCore Labs' Alloy. Commands read JSON Lines on stdin and write JSON Lines on stdout.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
            PipelineCommand.Vector(console),
            PipelineCommand.Field(console),
            PipelineCommand.Document(console),
            new DemoCommand(console),
            new ModelsCommand(console),
            new IngestCommand(console),
            new SearchCommand(console),
            new ExportCommand(console),
            new RotateCommand(console),
            new RebuildIndexCommand(console),
            new DeleteCommand(console),
            new BenchCommand(console),
            new KeysCommand(console),
            new EvaluateCommand(console),
            new EmbedCommand(console),
            new EncryptDatasetCommand(console),
            new TrainCommand(console),
            new PredictCommand(console),
            new ServeCommand(console),
        };
}
