using Veil.Cli.Keysets;
using Veil.Configuration;
using Veil.Insecure;
using Veil.Protocol;

namespace Veil.Cli.Commands;

/// <summary>What the keyed commands do around their work: load the keys, check them, build the (possibly seeded) client, run JSON Lines.</summary>
internal static class CommandSupport
{
    public const string InsecureSeedWarning =
        "warning: --insecure-seed makes every ciphertext predictable from the seed. Use it only to reproduce test vectors; the output must not be used in production.";

    /// <summary>
    /// Loads the keys (from --config or --keyset), checks them with <paramref name="check"/>, builds the (possibly
    /// seeded) client and runs <paramref name="run"/>. What fails is mapped to an exit code by <see cref="ExitCodes.For"/>.
    /// </summary>
    public static int Run(CliConsole console, KeySource keys, ParseResult parseResult, int? insecureSeed, Action<VeilConfiguration> check, Func<VeilClient, int> run)
    {
        using LoadedVeilKeys loaded = keys.Load(parseResult, console);
        check(loaded.Configuration);
        using VeilClient client = CreateClient(loaded.Configuration, insecureSeed, console.Error);
        return run(client);
    }

    private static VeilClient CreateClient(VeilConfiguration configuration, int? insecureSeed, TextWriter error)
    {
        if (insecureSeed is { } seed)
        {
            error.WriteLine(InsecureSeedWarning);
            return InsecureSeededClient.Create(configuration, seed);
        }

        return new VeilClient(configuration);
    }
}

/// <summary>The input and output format of a pipeline command.</summary>
internal enum PipelineFormat
{
    /// <summary>JSON Lines (<see cref="JsonLinesProcessor"/>).</summary>
    Jsonl,

    /// <summary>Length-prefixed binary item batches (<see cref="BinaryBatchFrames"/>).</summary>
    Binary,
}

/// <summary>Runs a protocol operation over JSON Lines (or binary frames) from stdin to stdout; the most severe item failure decides the exit code.</summary>
internal static class LinePipeline
{
    /// <summary>
    /// Runs <paramref name="operation"/> over the console's lines. When the console is the process's byte streams (a
    /// reader and writer over streams, as <c>Program</c> makes them) the lines go through as UTF-8 bytes, never decoded
    /// to text and back (the same output bytes, faster); nothing reads standard input before these commands (their
    /// keys never take a passphrase from it), so the reader has buffered nothing. The binary format needs those streams;
    /// a frame that does not read stops the run with a message and <see cref="ExitCodes.Failed"/>.
    /// </summary>
    public static int Run(CliConsole console, PipelineFormat format, IItemOperation operation, VeilClient client, OperationScope scope, CancellationToken cancellationToken)
    {
        ItemErrorCode result;
        if (format == PipelineFormat.Binary)
        {
            if (console.Input is not StreamReader binaryIn || console.Output is not StreamWriter binaryOut)
            {
                throw new CliUsageException("Invalid options: --format binary needs standard input and output as byte streams.");
            }

            binaryOut.Flush();
            try
            {
                result = BinaryBatchFrames.Run(binaryIn.BaseStream, binaryOut.BaseStream, operation, client, scope, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                console.Error.WriteLine($"veil: invalid binary input: {e.Message}");
                return ExitCodes.Failed;
            }
        }
        else if (console.Input is StreamReader reader && console.Output is StreamWriter writer)
        {
            writer.Flush();
            result = JsonLinesProcessor.Run(reader.BaseStream, writer.BaseStream, operation, client, scope, cancellationToken: cancellationToken);
        }
        else
        {
            result = JsonLinesProcessor.Run(console.Input, console.Output, operation, client, scope, cancellationToken: cancellationToken);
        }

        return result switch
        {
            ItemErrorCode.None => ExitCodes.Success,
            ItemErrorCode.Integrity => ExitCodes.IntegrityFailure,
            _ => ExitCodes.Failed,
        };
    }
}
