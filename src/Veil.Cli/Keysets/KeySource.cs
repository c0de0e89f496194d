using System.CommandLine;
using Veil.Configuration;

namespace Veil.Cli.Keysets;

/// <summary>
/// Where a command's keys come from: exactly one of <c>--keyset FILE</c> (wrapped secrets, unwrapped through the KMS
/// each secret names, with the passphrase or PIN from the environment) or <c>--config FILE</c> (cleartext secrets);
/// loaded by <see cref="KeysLoader"/>.
/// </summary>
internal sealed class KeySource(string configDescription, bool recursive)
{
    public readonly Option<string> Config = new("--config") { Description = configDescription, Recursive = recursive };
    public readonly Option<string> Keyset = Opt<string>("--keyset", "The keyset file (\"veil-keyset/2\"): its live secrets are unwrapped through the KMS each one names (local: or pkcs11:). Instead of --config.").AsRecursive(recursive);
    public readonly Option<string> PassphraseEnv = PassphraseEnvOption(recursive);
    public readonly Option<string> PinEnv = PinEnvOption(recursive);
    public readonly Option<string> Pkcs11Module = Pkcs11ModuleOption(recursive);

    public static Option<string> PassphraseEnvOption(bool recursive) => Opt<string>("--passphrase-env", "The environment variable holding the local KMS passphrase.", KmsSelection.DefaultPassphraseVariable).AsRecursive(recursive);

    public static Option<string> PinEnvOption(bool recursive) => Opt<string>("--pin-env", "The environment variable holding the PKCS#11 user PIN (the PIN is never taken from the command line).", KmsSelection.DefaultPinVariable).AsRecursive(recursive);

    public static Option<string> Pkcs11ModuleOption(bool recursive) => Opt<string>("--pkcs11-module", $"The PKCS#11 module (default: ${KmsSelection.ModuleVariable}, else {KmsSelection.DefaultModule}).").AsRecursive(recursive);

    public void AddTo(Command command) => command.Add(Config, Keyset, PassphraseEnv, PinEnv, Pkcs11Module);

    /// <summary>The options as the key service binds them (it loads, and zeroes, the keys itself).</summary>
    public VeilKeysOptions Options(ParseResult parseResult) => new()
    {
        KeysetPath = parseResult.GetValue(Keyset),
        ConfigurationPath = parseResult.GetValue(Config),
        PassphraseVariable = parseResult.GetValue(PassphraseEnv)!,
        PinVariable = parseResult.GetValue(PinEnv)!,
        Pkcs11Module = parseResult.GetValue(Pkcs11Module),
    };

    /// <summary><see cref="LoadAsync"/> for the synchronous commands (a console app has no synchronization context).</summary>
    public LoadedVeilKeys Load(ParseResult parseResult, CliConsole console) =>
        LoadAsync(parseResult, console, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Loads the keys (<see cref="KeysLoader.LoadAsync"/>); dispose the result to zero them.</summary>
    /// <exception cref="CliUsageException">Not exactly one of --config and --keyset.</exception>
    public Task<LoadedVeilKeys> LoadAsync(ParseResult parseResult, CliConsole console, CancellationToken cancellationToken)
    {
        string? keysetPath = parseResult.GetValue(Keyset);
        string? configPath = parseResult.GetValue(Config);
        return (keysetPath is null) == (configPath is null)
            ? throw new CliUsageException("Invalid options: give exactly one of --config (cleartext secrets) and --keyset (wrapped secrets and a KMS).")
            : KeysLoader.LoadAsync(keysetPath, configPath, new KmsSettings(parseResult.GetValue(PassphraseEnv)!, false, parseResult.GetValue(PinEnv)!, parseResult.GetValue(Pkcs11Module)), console.Input, cancellationToken);
    }
}
