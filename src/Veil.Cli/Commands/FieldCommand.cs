using System.CommandLine;
using Veil.Cli.JsonLines;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil field encrypt|decrypt|query|rotate</c>: deterministic field encryption over JSON Lines
/// (stdin → stdout).
/// </summary>
internal sealed class FieldCommand : Command
{
    private readonly CliConsole _console;

    public FieldCommand(CliConsole console)
        : base("field", "Deterministic (AES-SIV) field encryption (filterable by equality; leaks equality), JSON Lines from stdin to stdout.")
    {
        _console = console;
        Options.Add(ConfigOption);
        Options.Add(TenantOption);
        Options.Add(SecretPathOption);
        Options.Add(DerivationPathOption);
        Options.Add(InsecureSeedOption);

        EncryptCommand = new Command("encrypt", "Encrypt {\"id\",\"value\":\"<base64>\"} lines deterministically to {\"id\",\"encryptedValue\":\"<base64>\"}.");
        DecryptCommand = new Command("decrypt", "Decrypt {\"id\",\"encryptedValue\"} lines to {\"id\",\"value\"}.");
        QueryCommand = new Command("query", "Encrypt {\"id\",\"value\"} lines for equality filters: {\"id\",\"queries\":[{\"keyId\",\"encryptedValue\"},…]}, one per live key, current first.");
        RotateCommand = new Command("rotate", "Re-encrypt {\"id\",\"encryptedValue\"} lines with the current key, optionally for --new-tenant.")
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
                if (!configuration.Deterministic.ContainsKey(secretPath))
                {
                    throw new CliUsageException($"Invalid options: --secret-path \"{secretPath}\" is not in the configuration's deterministic section.");
                }
            },
            client =>
            {
                var context = new FieldContext(
                    client,
                    secretPath,
                    parseResult.GetRequiredValue(DerivationPathOption),
                    parseResult.GetRequiredValue(TenantOption),
                    client.Configuration.Deterministic[secretPath].Live.Select(s => s.Id).ToArray());
                TenantId? newTenant = parseResult.GetValue(NewTenantOption) is { } t ? new TenantId(t) : default(TenantId?);
                return mode switch
                {
                    Mode.Encrypt => JsonLinesPipeline.Run(_console.Input, _console.Output, new FieldEncryptHandler(context), cancellationToken: cancellationToken),
                    Mode.Decrypt => JsonLinesPipeline.Run(_console.Input, _console.Output, new FieldDecryptHandler(context), cancellationToken: cancellationToken),
                    Mode.Query => JsonLinesPipeline.Run(_console.Input, _console.Output, new FieldQueryHandler(context), cancellationToken: cancellationToken),
                    _ => JsonLinesPipeline.Run(_console.Input, _console.Output, new FieldRotateHandler(context, newTenant), cancellationToken: cancellationToken),
                };
            });
    }
}
