using System.CommandLine;
using Veil.Keys;
using Veil.Protocol;

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

    internal readonly Option<bool> OneWayOption = Opt<bool>("--one-way", "Encrypt without paired ICL info (EncryptOneWay): the output can be searched but never decrypted.");

    protected override bool HasSecretPath(VeilConfiguration configuration, SecretPath secretPath) =>
        configuration.Vector.ContainsKey(secretPath);

    protected override IItemOperation Operation(PipelineMode mode, ParseResult parseResult) => mode switch
    {
        PipelineMode.Encrypt when parseResult.GetValue(OneWayOption) => ItemOperations.VectorEncryptOneWay,
        PipelineMode.Encrypt => ItemOperations.VectorEncrypt,
        PipelineMode.Decrypt => ItemOperations.VectorDecrypt,
        PipelineMode.Query => ItemOperations.VectorQuery,
        _ => ItemOperations.VectorRotate,
    };
}
