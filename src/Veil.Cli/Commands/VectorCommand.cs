using System.CommandLine;
using Veil.Cli.JsonLines;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil vector encrypt|decrypt|query|rotate</c>: Scale-And-Perturb vector encryption over JSON Lines
/// (stdin → stdout).
/// </summary>
internal sealed class VectorCommand : Command
{
    private readonly CliConsole _console;

    public VectorCommand(CliConsole console)
        : base("vector", "Scale-And-Perturb vector encryption (searchable; leaks approximate distances), JSON Lines from stdin to stdout.")
    {
        _console = console;
        Options.Add(ConfigOption);
        Options.Add(TenantOption);
        Options.Add(SecretPathOption);
        Options.Add(DerivationPathOption);
        Options.Add(InsecureSeedOption);

        EncryptCommand = new Command("encrypt", "Encrypt {\"id\",\"vector\":[…]} lines to {\"id\",\"encryptedVector\":[…],\"pairedIclInfo\":\"<base64>\"}.")
        {
            OneWayOption,
        };
        DecryptCommand = new Command("decrypt", "Decrypt {\"id\",\"encryptedVector\",\"pairedIclInfo\"} lines to {\"id\",\"vector\":[…]}.");
        QueryCommand = new Command("query", "Encrypt {\"id\",\"vector\"} query lines for search: {\"id\",\"queries\":[{\"keyId\",\"encryptedVector\"},…]}, one per live key, current first.");
        RotateCommand = new Command("rotate", "Re-encrypt encrypt-shaped lines with the current key (lossy: adds drift each time), optionally for --new-tenant.")
        {
            NewTenantOption,
        };

        CommandSupport.SetPipelineAction(EncryptCommand, (parseResult, cancellationToken) => Run(parseResult, Mode.Encrypt, cancellationToken));
        CommandSupport.SetPipelineAction(DecryptCommand, (parseResult, cancellationToken) => Run(parseResult, Mode.Decrypt, cancellationToken));
        CommandSupport.SetPipelineAction(QueryCommand, (parseResult, cancellationToken) => Run(parseResult, Mode.Query, cancellationToken));
        CommandSupport.SetPipelineAction(RotateCommand, (parseResult, cancellationToken) => Run(parseResult, Mode.Rotate, cancellationToken));
        Subcommands.Add(EncryptCommand);
        Subcommands.Add(DecryptCommand);
        Subcommands.Add(QueryCommand);
        Subcommands.Add(RotateCommand);
    }

    private enum Mode
    {
        Encrypt,
        Decrypt,
        Query,
        Rotate,
    }

    internal Option<string> ConfigOption { get; } = CommonOptions.Config();

    internal Option<string> TenantOption { get; } = CommonOptions.Tenant();

    internal Option<string> SecretPathOption { get; } = CommonOptions.SecretPath();

    internal Option<string> DerivationPathOption { get; } = CommonOptions.DerivationPath();

    internal Option<int?> InsecureSeedOption { get; } = CommonOptions.InsecureSeed();

    internal Option<bool> OneWayOption { get; } = new("--one-way")
    {
        Description = "Encrypt without paired ICL info (EncryptOneWay): the output can be searched but never decrypted.",
    };

    internal Option<string> NewTenantOption { get; } = CommonOptions.NewTenant();

    internal Command EncryptCommand { get; }

    internal Command DecryptCommand { get; }

    internal Command QueryCommand { get; }

    internal Command RotateCommand { get; }

    private int Run(ParseResult parseResult, Mode mode, CancellationToken cancellationToken)
    {
        string secretPath = parseResult.GetRequiredValue(SecretPathOption);
        int? seed = parseResult.GetValue(InsecureSeedOption);
        return CommandSupport.Run(
            _console,
            parseResult.GetRequiredValue(ConfigOption),
            seed,
            configuration =>
            {
                if (!configuration.Vector.ContainsKey(secretPath))
                {
                    throw new CliUsageException($"Invalid options: --secret-path \"{secretPath}\" is not in the configuration's vector section.");
                }
            },
            client =>
            {
                var context = new VectorContext(
                    client,
                    secretPath,
                    parseResult.GetRequiredValue(DerivationPathOption),
                    parseResult.GetRequiredValue(TenantOption));
                TenantId? newTenant = parseResult.GetValue(NewTenantOption) is { } t ? new TenantId(t) : default(TenantId?);
                return mode switch
                {
                    Mode.Encrypt when parseResult.GetValue(OneWayOption) =>
                        JsonLinesPipeline.Run(_console.Input, _console.Output, new VectorEncryptOneWayHandler(context), cancellationToken: cancellationToken),
                    Mode.Encrypt => JsonLinesPipeline.Run(_console.Input, _console.Output, new VectorEncryptHandler(context), cancellationToken: cancellationToken),
                    Mode.Decrypt => JsonLinesPipeline.Run(_console.Input, _console.Output, new VectorDecryptHandler(context), cancellationToken: cancellationToken),
                    Mode.Query => JsonLinesPipeline.Run(_console.Input, _console.Output, new VectorQueryHandler(context), cancellationToken: cancellationToken),
                    _ => JsonLinesPipeline.Run(_console.Input, _console.Output, new VectorRotateHandler(context, newTenant), cancellationToken: cancellationToken),
                };
            });
    }
}
