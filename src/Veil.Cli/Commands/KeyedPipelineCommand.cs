using System.CommandLine;
using Veil.Cli.Keysets;
using Veil.Keys;
using Veil.Protocol;

namespace Veil.Cli.Commands;

/// <summary>
/// The shape shared by <c>veil vector</c> and <c>veil field</c>: options for the configuration, tenant, secret path,
/// derivation path and insecure seed, and four JSON Lines subcommands (encrypt, decrypt, query, rotate) that each
/// run one handler over stdin → stdout.
/// </summary>
internal abstract class KeyedPipelineCommand : Command
{
    protected KeyedPipelineCommand(CliConsole console, string name, string description, string section, SubcommandDescriptions descriptions)
        : base(name, description)
    {
        Terminal = console;
        Section = section;
        Keys.AddTo(this);
        this.Add(TenantOption, SecretPathOption, DerivationPathOption, InsecureSeedOption, FormatOption);

        EncryptCommand = new Command("encrypt", descriptions.Encrypt);
        DecryptCommand = new Command("decrypt", descriptions.Decrypt);
        QueryCommand = new Command("query", descriptions.Query);
        RotateCommand = new Command("rotate", descriptions.Rotate) { NewTenantOption };
        AddMode(EncryptCommand, PipelineMode.Encrypt);
        AddMode(DecryptCommand, PipelineMode.Decrypt);
        AddMode(QueryCommand, PipelineMode.Query);
        AddMode(RotateCommand, PipelineMode.Rotate);
    }

    internal readonly KeySource Keys = CommonOptions.Keys();
    internal readonly Option<string> TenantOption = CommonOptions.Tenant();
    internal readonly Option<string> SecretPathOption = CommonOptions.SecretPath();
    internal readonly Option<string> DerivationPathOption = CommonOptions.DerivationPath();
    internal readonly Option<int?> InsecureSeedOption = CommonOptions.InsecureSeed();
    internal readonly Option<string> NewTenantOption = CommonOptions.NewTenant();
    internal readonly Option<PipelineFormat> FormatOption = CommonOptions.Format();

    internal Command EncryptCommand { get; }

    internal Command DecryptCommand { get; }

    internal Command QueryCommand { get; }

    internal Command RotateCommand { get; }

    protected CliConsole Terminal { get; }

    /// <summary>The configuration section the secret path must be in ("vector" or "deterministic").</summary>
    private string Section { get; }

    /// <summary>Whether the configuration has <paramref name="secretPath"/> in this command's section.</summary>
    protected abstract bool HasSecretPath(VeilConfiguration configuration, SecretPath secretPath);

    /// <summary>The protocol operation of <paramref name="mode"/>.</summary>
    protected abstract IItemOperation Operation(PipelineMode mode, ParseResult parseResult);

    private void AddMode(Command command, PipelineMode mode)
    {
        CommandSupport.SetPipelineAction(command, (parseResult, cancellationToken) => Run(parseResult, mode, cancellationToken));
        Subcommands.Add(command);
    }

    private int Run(ParseResult parseResult, PipelineMode mode, CancellationToken cancellationToken)
    {
        var secretPath = new SecretPath(parseResult.GetRequiredValue(SecretPathOption));
        return CommandSupport.Run(
            Terminal,
            Keys,
            parseResult,
            parseResult.GetValue(InsecureSeedOption),
            configuration =>
            {
                if (!HasSecretPath(configuration, secretPath))
                {
                    throw new CliUsageException($"Invalid options: --secret-path \"{secretPath}\" is not in the configuration's {Section} section.");
                }
            },
            client => LinePipeline.Run(
                Terminal,
                parseResult.GetValue(FormatOption),
                Operation(mode, parseResult),
                client,
                new OperationScope(
                    new TenantId(parseResult.GetRequiredValue(TenantOption)),
                    secretPath,
                    new DerivationPath(parseResult.GetRequiredValue(DerivationPathOption)),
                    parseResult.GetValue(NewTenantOption) is { } newTenant ? new TenantId(newTenant) : default(TenantId?)),
                cancellationToken));
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

/// <summary>The four subcommands of a <see cref="KeyedPipelineCommand"/>.</summary>
internal enum PipelineMode
{
    Encrypt,
    Decrypt,
    Query,
    Rotate,
}

/// <summary>The help text of each subcommand.</summary>
internal sealed record SubcommandDescriptions(string Encrypt, string Decrypt, string Query, string Rotate);

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
