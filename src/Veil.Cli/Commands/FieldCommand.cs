using System.CommandLine;
using Veil.Protocol;
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

    protected override IItemOperation Operation(PipelineMode mode, ParseResult parseResult) => mode switch
    {
        PipelineMode.Encrypt => ItemOperations.FieldEncrypt,
        PipelineMode.Decrypt => ItemOperations.FieldDecrypt,
        PipelineMode.Query => ItemOperations.FieldQuery,
        _ => ItemOperations.FieldRotate,
    };
}
