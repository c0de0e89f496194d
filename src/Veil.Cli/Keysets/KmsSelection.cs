using Veil.Keys;
using Veil.Kms.LocalFile;
using Veil.Kms.Pkcs11;

namespace Veil.Cli.Keysets;

/// <summary>
/// Picks the KMS provider for a key URI (<c>local:</c> or <c>pkcs11:</c>) and supplies its passphrase or PIN from the
/// environment (or, for the passphrase, the first line of stdin). Secrets are never taken from the command line.
/// </summary>
internal sealed class KmsSelection(CliConsole console, KmsSettings settings) : IKmsClient
{
    public const string DefaultPassphraseVariable = "VEIL_KMS_PASSPHRASE";
    public const string DefaultPinVariable = "VEIL_PKCS11_PIN";
    public const string ModuleVariable = "VEIL_PKCS11_MODULE";
    public const string DefaultModule = "/usr/lib/softhsm/libsofthsm2.so";

    private string? _stdinPassphrase;

    public bool Supports(string keyUri) => Local.Supports(keyUri) || keyUri.StartsWith(Pkcs11KmsClient.UriPrefix, StringComparison.Ordinal);

    private LocalFileKmsClient Local => new(ReadPassphrase, settings.LocalOptions);

    private Pkcs11KmsClient Pkcs11 => new(new Pkcs11KmsOptions
    {
        ModulePath = settings.Pkcs11Module ?? Environment.GetEnvironmentVariable(ModuleVariable) ?? DefaultModule,
        Pin = () => Environment.GetEnvironmentVariable(settings.PinVariable)
            ?? throw new CliUsageException($"The PKCS#11 PIN is read from the environment variable {settings.PinVariable}, which is not set."),
    });

    public IKeyEncryptionKey GetKey(string keyUri) => Client(keyUri) switch
    {
        LocalFileKmsClient local => local.GetKey(keyUri),
        Pkcs11KmsClient pkcs11 => pkcs11.GetKey(keyUri),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Creates the KEK in the KMS (a new local key file, or a key generated inside the token).</summary>
    public IKeyEncryptionKey CreateKey(string keyUri) => Client(keyUri) switch
    {
        LocalFileKmsClient local => local.CreateKey(keyUri),
        Pkcs11KmsClient pkcs11 => pkcs11.CreateKey(keyUri),
        _ => throw new InvalidOperationException(),
    };

    private IKmsClient Client(string keyUri)
    {
        if (keyUri.StartsWith(LocalFileKmsClient.UriPrefix, StringComparison.Ordinal))
        {
            return Local;
        }

        if (keyUri.StartsWith(Pkcs11KmsClient.UriPrefix, StringComparison.Ordinal))
        {
            return Pkcs11;
        }

        throw new CliUsageException($"--kms '{keyUri}' is not supported: use local:<key file> or pkcs11:token=<label>;object=<label>.");
    }

    private string ReadPassphrase()
    {
        if (settings.PassphraseFromStdin)
        {
            return _stdinPassphrase ??= console.Input.ReadLine()
                ?? throw new CliUsageException("--passphrase-stdin: standard input is empty.");
        }

        return Environment.GetEnvironmentVariable(settings.PassphraseVariable) is { Length: > 0 } passphrase
            ? passphrase
            : throw new CliUsageException($"The local KMS passphrase is read from the environment variable {settings.PassphraseVariable} (or stdin with --passphrase-stdin), which is not set.");
    }
}

/// <summary>Where the KMS credentials come from.</summary>
internal sealed record KmsSettings(string PassphraseVariable, bool PassphraseFromStdin, string PinVariable, string? Pkcs11Module, LocalFileKmsOptions? LocalOptions = null);
