using Veil.Configuration;
using Veil.Kms.LocalFile;

namespace Veil.Cli.Commands.OptionGroups;

/// <summary>
/// Where the KMS credentials come from: --passphrase-env, --pin-env, --pkcs11-module and (for <c>veil keys</c>)
/// --passphrase-stdin. The passphrase and PIN themselves are never options.
/// </summary>
internal sealed class KmsCredentialOptions(bool recursive, bool passphraseStdin = false)
{
    public readonly Option<string> PassphraseEnv = Opt("--passphrase-env", "The environment variable holding the local KMS passphrase.", KmsSelection.DefaultPassphraseVariable).AsRecursive(recursive);
    public readonly Option<bool>? PassphraseStdin = passphraseStdin ? Opt<bool>("--passphrase-stdin", "Read the local KMS passphrase from the first line of standard input instead.").AsRecursive(recursive) : null;
    public readonly Option<string> PinEnv = Opt("--pin-env", "The environment variable holding the PKCS#11 user PIN (the PIN is never taken from the command line).", KmsSelection.DefaultPinVariable).AsRecursive(recursive);
    public readonly Option<string> Pkcs11Module = Opt<string>("--pkcs11-module", $"The PKCS#11 module (default: ${KmsSelection.ModuleVariable}, else {KmsSelection.DefaultModule}).").AsRecursive(recursive);

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
