using System.CommandLine;
using Veil.Cli.JsonLines;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil field encrypt|decrypt|query|rotate</c>: deterministic field encryption over JSON Lines
/// (stdin → stdout).
/// </summary>
internal sealed class FieldCommand : KeyedPipelineCommand
{
    public FieldCommand(CliConsole console)
        : base(
            console,
            "field",
            "Deterministic (AES-SIV) field encryption (filterable by equality; leaks equality), JSON Lines from stdin to stdout.",
            "deterministic",
            new SubcommandDescriptions(
                Encrypt: "Encrypt {\"id\",\"value\":\"<base64>\"} lines deterministically to {\"id\",\"encryptedValue\":\"<base64>\"}.",
                Decrypt: "Decrypt {\"id\",\"encryptedValue\"} lines to {\"id\",\"value\"}.",
                Query: "Encrypt {\"id\",\"value\"} lines for equality filters: {\"id\",\"queries\":[{\"keyId\",\"encryptedValue\"},…]}, one per live key, current first.",
                Rotate: "Re-encrypt {\"id\",\"encryptedValue\"} lines with the current key, optionally for --new-tenant."))
    {
    }

    protected override bool HasSecretPath(VeilConfiguration configuration, SecretPath secretPath) =>
        configuration.Deterministic.ContainsKey(secretPath);

    protected override int RunPipeline(PipelineMode mode, ParseResult parseResult, PipelineScope scope, CancellationToken cancellationToken)
    {
        var context = new FieldContext(
            scope.Client,
            scope.SecretPath,
            scope.DerivationPath,
            scope.Tenant,
            scope.Client.Configuration.Deterministic[scope.SecretPath].Live.Select(s => s.Id).ToArray());
        return mode switch
        {
            PipelineMode.Encrypt => Run(new FieldEncryptHandler(context)),
            PipelineMode.Decrypt => Run(new FieldDecryptHandler(context)),
            PipelineMode.Query => Run(new FieldQueryHandler(context)),
            _ => Run(new FieldRotateHandler(context, scope.NewTenant)),
        };

        int Run<TRequest, TResult>(LineHandler<TRequest, TResult> handler)
            where TRequest : LineRequest, new() =>
            JsonLinesPipeline.Run(Terminal.Input, Terminal.Output, handler, cancellationToken: cancellationToken);
    }
}
