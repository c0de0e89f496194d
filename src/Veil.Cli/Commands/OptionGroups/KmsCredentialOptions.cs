using Veil.Configuration;
using Veil.Kms.LocalFile;

namespace Veil.Cli.Commands.OptionGroups;

/// <summary>
/// Where the KMS credentials come from: --passphrase-env, --pin-env, --pkcs11-module and (for <c>veil keys</c>)
/// --passphrase-stdin. The passphrase and PIN themselves are never options.
/// </summary>
internal sealed class KmsCredentialOptions(bool recursive, bool passphraseStdin = false)
{
    public readonly Option<string> PassphraseEnv = new("--passphrase-env") { Description = "The environment variable holding the local KMS passphrase.", DefaultValueFactory = _ => KmsSelection.DefaultPassphraseVariable, Recursive = recursive };
    public readonly Option<bool>? PassphraseStdin = passphraseStdin ? new Option<bool>("--passphrase-stdin") { Description = "Read the local KMS passphrase from the first line of standard input instead.", Recursive = recursive } : null;
    public readonly Option<string> PinEnv = new("--pin-env") { Description = "The environment variable holding the PKCS#11 user PIN (the PIN is never taken from the command line).", DefaultValueFactory = _ => KmsSelection.DefaultPinVariable, Recursive = recursive };
    public readonly Option<string> Pkcs11Module = new("--pkcs11-module") { Description = $"The PKCS#11 module (default: ${KmsSelection.ModuleVariable}, else {KmsSelection.DefaultModule}).", Recursive = recursive };

    public void AddTo(Command command) => command.Add([PassphraseEnv, .. PassphraseStdin is null ? Array.Empty<Option>() : [PassphraseStdin], PinEnv, Pkcs11Module]);

    /// <summary>The credential settings, with relative <c>local:</c> key files under <paramref name="keyFileDirectory"/>.</summary>
    public KmsSettings Read(ParseResult parseResult, LocalFileKmsOptions? localOptions = null, string? keyFileDirectory = null) => new(
        parseResult.GetValue(PassphraseEnv)!,
        PassphraseStdin is not null && parseResult.GetValue(PassphraseStdin),
        parseResult.GetValue(PinEnv)!,
        parseResult.GetValue(Pkcs11Module),
        localOptions,
        keyFileDirectory);
}
