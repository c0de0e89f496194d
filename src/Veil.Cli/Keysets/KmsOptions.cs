using System.CommandLine;
using Veil.Configuration;

namespace Veil.Cli.Keysets;

/// <summary>The options that say where KMS credentials come from (never the credentials themselves).</summary>
internal static class KmsOptions
{
    public static Option<string> PassphraseEnv(bool recursive) => new("--passphrase-env")
    {
        Description = "The environment variable holding the local KMS passphrase.",
        DefaultValueFactory = _ => KmsSelection.DefaultPassphraseVariable,
        Recursive = recursive,
    };

    public static Option<string> PinEnv(bool recursive) => new("--pin-env")
    {
        Description = "The environment variable holding the PKCS#11 user PIN (the PIN is never taken from the command line).",
        DefaultValueFactory = _ => KmsSelection.DefaultPinVariable,
        Recursive = recursive,
    };

    public static Option<string> Pkcs11Module(bool recursive) => new("--pkcs11-module")
    {
        Description = $"The PKCS#11 module (default: ${KmsSelection.ModuleVariable}, else {KmsSelection.DefaultModule}).",
        Recursive = recursive,
    };
}
