using System.CommandLine;
using Veil.Protocol;
using Veil.Cli.Keysets;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil document encrypt|decrypt|rekey</c>: standard (AES-256-GCM, randomised) document encryption over JSON
/// Lines (stdin → stdout).
/// </summary>
internal sealed class DocumentCommand : Command
{
    private readonly CliConsole _console;

    public DocumentCommand(CliConsole console)
        : base("document", "Standard (AES-256-GCM, randomised) document encryption with a per-document data key, JSON Lines from stdin to stdout.")
    {
        _console = console;
        Keys.AddTo(this);
        this.Add(TenantOption, InsecureSeedOption, FormatOption);

        EncryptCommand = new Command("encrypt", "Encrypt {\"id\",\"fields\":{\"name\":\"<base64>\"}} lines to {\"id\",\"edek\":\"<base64>\",\"fields\":{…}}.");
        DecryptCommand = new Command("decrypt", "Decrypt {\"id\",\"edek\",\"fields\"} lines to {\"id\",\"fields\"}.");
        RekeyCommand = new Command("rekey", "Re-wrap {\"id\",\"edek\"} lines with the primary secret, optionally for --new-tenant: {\"id\",\"edek\"}.")
        {
            NewTenantOption,
        };

        CommandSupport.SetPipelineAction(EncryptCommand, (parseResult, cancellationToken) => Run(parseResult, Mode.Encrypt, cancellationToken));
        CommandSupport.SetPipelineAction(DecryptCommand, (parseResult, cancellationToken) => Run(parseResult, Mode.Decrypt, cancellationToken));
        CommandSupport.SetPipelineAction(RekeyCommand, (parseResult, cancellationToken) => Run(parseResult, Mode.Rekey, cancellationToken));
        Subcommands.Add(EncryptCommand);
        Subcommands.Add(DecryptCommand);
        Subcommands.Add(RekeyCommand);
    }

    private enum Mode
    {
        Encrypt,
        Decrypt,
        Rekey,
    }

    internal readonly KeySource Keys = CommonOptions.Keys();
    internal readonly Option<string> TenantOption = CommonOptions.Tenant();
    internal readonly Option<int?> InsecureSeedOption = CommonOptions.InsecureSeed();
    internal readonly Option<string> NewTenantOption = CommonOptions.NewTenant();
    internal readonly Option<PipelineFormat> FormatOption = CommonOptions.Format();

    internal Command EncryptCommand { get; }

    internal Command DecryptCommand { get; }

    internal Command RekeyCommand { get; }

    private int Run(ParseResult parseResult, Mode mode, CancellationToken cancellationToken)
    {
        int? seed = parseResult.GetValue(InsecureSeedOption);
        return CommandSupport.Run(
            _console,
            Keys,
            parseResult,
            seed,
            configuration =>
            {
                if (configuration.Standard is null)
                {
                    throw new CliUsageException("Invalid options: the configuration has no standard section.");
                }

                if (mode != Mode.Decrypt && configuration.Standard.Primary is null)
                {
                    throw new CliUsageException($"Invalid options: document {(mode == Mode.Encrypt ? "encrypt" : "rekey")} needs standard.primaryId in the configuration.");
                }
            },
            client =>
            {
                TenantId? newTenant = parseResult.GetValue(NewTenantOption) is { } t ? new TenantId(t) : default(TenantId?);
                IItemOperation operation = mode switch
                {
                    Mode.Encrypt => ItemOperations.DocumentEncrypt,
                    Mode.Decrypt => ItemOperations.DocumentDecrypt,
                    _ => ItemOperations.DocumentRekey,
                };
                return LinePipeline.Run(_console, parseResult.GetValue(FormatOption), operation, client, OperationScope.ForDocuments(new TenantId(parseResult.GetRequiredValue(TenantOption)), newTenant), cancellationToken);
            });
    }
}
