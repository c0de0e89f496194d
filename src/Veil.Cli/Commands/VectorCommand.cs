using System.CommandLine;
using Veil.Cli.JsonLines;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil vector encrypt|decrypt|query|rotate</c>: Scale-And-Perturb vector encryption over JSON Lines
/// (stdin → stdout).
/// </summary>
internal sealed class VectorCommand : KeyedPipelineCommand
{
    public VectorCommand(CliConsole console)
        : base(
            console,
            "vector",
            "Scale-And-Perturb vector encryption (searchable; leaks approximate distances), JSON Lines from stdin to stdout.",
            "vector",
            new SubcommandDescriptions(
                Encrypt: "Encrypt {\"id\",\"vector\":[…]} lines to {\"id\",\"encryptedVector\":[…],\"pairedIclInfo\":\"<base64>\"}.",
                Decrypt: "Decrypt {\"id\",\"encryptedVector\",\"pairedIclInfo\"} lines to {\"id\",\"vector\":[…]}.",
                Query: "Encrypt {\"id\",\"vector\"} query lines for search: {\"id\",\"queries\":[{\"keyId\",\"encryptedVector\"},…]}, one per live key, current first.",
                Rotate: "Re-encrypt encrypt-shaped lines with the current key (lossy: adds drift each time), optionally for --new-tenant.")) =>
        EncryptCommand.Options.Add(OneWayOption);

    internal Option<bool> OneWayOption { get; } = new("--one-way")
    {
        Description = "Encrypt without paired ICL info (EncryptOneWay): the output can be searched but never decrypted.",
    };

    protected override bool HasSecretPath(VeilConfiguration configuration, SecretPath secretPath) =>
        configuration.Vector.ContainsKey(secretPath);

    protected override int RunPipeline(PipelineMode mode, ParseResult parseResult, PipelineScope scope, CancellationToken cancellationToken)
    {
        var context = new VectorContext(scope.Client, scope.SecretPath, scope.DerivationPath, scope.Tenant);
        return mode switch
        {
            PipelineMode.Encrypt when parseResult.GetValue(OneWayOption) => Run(new VectorEncryptOneWayHandler(context)),
            PipelineMode.Encrypt => Run(new VectorEncryptHandler(context)),
            PipelineMode.Decrypt => Run(new VectorDecryptHandler(context)),
            PipelineMode.Query => Run(new VectorQueryHandler(context)),
            _ => Run(new VectorRotateHandler(context, scope.NewTenant)),
        };

        int Run<TRequest, TResult>(LineHandler<TRequest, TResult> handler)
            where TRequest : LineRequest, new() =>
            JsonLinesPipeline.Run(Terminal.Input, Terminal.Output, handler, cancellationToken: cancellationToken);
    }
}
