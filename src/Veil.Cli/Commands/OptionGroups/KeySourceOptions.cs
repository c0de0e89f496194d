using Veil.Configuration;

namespace Veil.Cli.Commands.OptionGroups;

/// <summary>
/// Where a command's keys come from: exactly one of <c>--keyset FILE</c> (wrapped secrets, unwrapped through the KMS
/// each secret names, credentials from <see cref="KmsCredentialOptions"/>) or <c>--config FILE</c> (cleartext
/// secrets), read into <see cref="VeilKeysOptions"/> and loaded by <see cref="KeysLoader"/>.
/// </summary>
internal sealed class KeySourceOptions(string configDescription, bool recursive)
{
    /// <summary>The description of --config in the shape of Alloy's standalone configuration.</summary>
    public const string AlloyConfigDescription = "The configuration file: JSON in the shape of Alloy's standalone configuration (vector, deterministic and standard secrets), in cleartext. Instead of --keyset.";

    public readonly Option<string> Config = new("--config") { Description = configDescription, Recursive = recursive };
    public readonly Option<string> Keyset = new("--keyset") { Description = "The keyset file (\"veil-keyset/2\"): its live secrets are unwrapped through the KMS each one names (local: or pkcs11:). Instead of --config.", Recursive = recursive };
    public readonly KmsCredentialOptions Kms = new(recursive);

    public void AddTo(Command command)
    {
        command.Add(Config, Keyset);
        Kms.AddTo(command);
    }

    /// <summary>Whether --config or --keyset was given.</summary>
    public bool IsGiven(ParseResult parseResult) => parseResult.GetValue(Config) is not null || parseResult.GetValue(Keyset) is not null;

    /// <summary>The options as the library binds them.</summary>
    public VeilKeysOptions Read(ParseResult parseResult)
    {
        KmsSettings kms = Kms.Read(parseResult);
        return new()
        {
            KeysetPath = parseResult.GetValue(Keyset),
            ConfigurationPath = parseResult.GetValue(Config),
            PassphraseVariable = kms.PassphraseVariable,
            PinVariable = kms.PinVariable,
            Pkcs11Module = kms.Pkcs11Module,
        };
    }

    /// <summary>Loads the keys (<see cref="KeysLoader.LoadAsync(VeilKeysOptions, CancellationToken)"/>); dispose the result to zero them.</summary>
    /// <exception cref="CliUsageException">Not exactly one of --config and --keyset.</exception>
    public Task<LoadedVeilKeys> LoadAsync(ParseResult parseResult, CancellationToken cancellationToken) =>
        (parseResult.GetValue(Config) is null) != (parseResult.GetValue(Keyset) is null)
            ? KeysLoader.LoadAsync(Read(parseResult), cancellationToken)
            : throw new CliUsageException("Invalid options: give exactly one of --config (cleartext secrets) and --keyset (wrapped secrets and a KMS).");
}
