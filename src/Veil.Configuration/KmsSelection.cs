using Veil.Keys;
using Veil.Kms.LocalFile;
using Veil.Kms.Pkcs11;

namespace Veil.Configuration;

/// <summary>
/// Picks the KMS provider for a key URI (<c>local:</c> or <c>pkcs11:</c>) and supplies its passphrase or PIN from the
/// environment (or, for the passphrase, the first line of stdin). Secrets are never taken from the command line, and a
/// URI is only ever echoed with its PIN attributes redacted (<see cref="Pkcs11UriRedaction"/>). A relative
/// <c>local:</c> key file resolves against <see cref="KmsSettings.KeyFileDirectory"/> (the keyset's directory).
/// </summary>
/// <param name="passphraseInput">Where a passphrase is read from with <see cref="KmsSettings.PassphraseFromStdin"/> (its first line).</param>
/// <param name="settings">Where the credentials come from.</param>
public sealed class KmsSelection(TextReader passphraseInput, KmsSettings settings) : IKmsClient
{
    /// <summary>The environment variable the local KMS passphrase is read from by default.</summary>
    public const string DefaultPassphraseVariable = "VEIL_KMS_PASSPHRASE";
    /// <summary>The environment variable the PKCS#11 PIN is read from by default.</summary>
    public const string DefaultPinVariable = "VEIL_PKCS11_PIN";
    /// <summary>The environment variable naming the PKCS#11 module when none is given.</summary>
    public const string ModuleVariable = "VEIL_PKCS11_MODULE";
    /// <summary>The PKCS#11 module used when neither an option nor <see cref="ModuleVariable"/> names one (SoftHSM).</summary>
    public const string DefaultModule = "/usr/lib/softhsm/libsofthsm2.so";

    private string? _stdinPassphrase;

    /// <summary>
    /// Every URI: this is the CLI's only KMS, and <see cref="GetKeyAsync"/> refuses one it cannot serve with a message that
    /// redacts PIN attributes (the core's own "no KMS client supports" message would quote the URI as written).
    /// </summary>
    public bool Supports(string keyUri) => true;

    /// <summary>The URI as it may be shown: PIN attribute values redacted.</summary>
    public static string Display(string? keyUri) => Pkcs11UriRedaction.Redact(keyUri);

    private LocalFileKmsClient Local => new(ReadPassphrase, new LocalFileKmsOptions
    {
        MemorySizeKiB = settings.LocalOptions?.MemorySizeKiB ?? new LocalFileKmsOptions().MemorySizeKiB,
        Iterations = settings.LocalOptions?.Iterations ?? new LocalFileKmsOptions().Iterations,
        BaseDirectory = settings.KeyFileDirectory,
    });

    private Pkcs11KmsClient Pkcs11 => new(new Pkcs11KmsOptions
    {
        ModulePath = settings.Pkcs11Module ?? Environment.GetEnvironmentVariable(ModuleVariable) ?? DefaultModule,
        Pin = () => Environment.GetEnvironmentVariable(settings.PinVariable)
            ?? throw new ConfigurationFileException($"The PKCS#11 PIN is read from the environment variable {settings.PinVariable}, which is not set."),
    });

    /// <summary>Opens the KEK at <paramref name="keyUri"/> in its KMS.</summary>
    /// <param name="keyUri">A <c>local:</c> or <c>pkcs11:</c> key URI.</param>
    /// <returns>The key.</returns>
    /// <param name="cancellationToken">Cancels opening the key.</param>
    /// <exception cref="ConfigurationFileException">The URI is malformed or names no supported KMS, or a credential is not set.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<IKeyEncryptionKey> GetKeyAsync(string keyUri, CancellationToken cancellationToken = default) => OpenAsync(keyUri, create: false, cancellationToken);

    /// <summary>Creates the KEK in the KMS (a new local key file, or a key generated inside the token).</summary>
    /// <param name="keyUri">A <c>local:</c> or <c>pkcs11:</c> key URI.</param>
    /// <param name="cancellationToken">Cancels creating the key.</param>
    /// <returns>The key.</returns>
    public ValueTask<IKeyEncryptionKey> CreateKeyAsync(string keyUri, CancellationToken cancellationToken = default) => OpenAsync(keyUri, create: true, cancellationToken);

    private async ValueTask<IKeyEncryptionKey> OpenAsync(string keyUri, bool create, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            IKmsClient client = Client(keyUri);
            if (!create)
            {
                return await client.GetKeyAsync(keyUri, cancellationToken).ConfigureAwait(false);
            }

            return client switch
            {
                LocalFileKmsClient local => await local.CreateKeyAsync(keyUri, cancellationToken).ConfigureAwait(false),
                Pkcs11KmsClient pkcs11 => await pkcs11.CreateKeyAsync(keyUri, cancellationToken).ConfigureAwait(false),
                _ => throw new InvalidOperationException(),
            };
        }
        catch (ArgumentException e)
        {
            // A malformed URI; the providers' messages quote it redacted.
            throw new ConfigurationFileException($"Invalid key URI: {e.Message}", e);
        }
    }

    private IKmsClient Client(string keyUri)
    {
        if (Local.Supports(keyUri))
        {
            return Local;
        }

        if (keyUri.StartsWith(Pkcs11KmsClient.UriPrefix, StringComparison.Ordinal))
        {
            return Pkcs11;
        }

        throw new ConfigurationFileException($"The key URI '{Display(keyUri)}' is not supported: use local:<key file> or pkcs11:token=<label>;object=<label>.");
    }

    private string ReadPassphrase()
    {
        if (settings.PassphraseFromStdin)
        {
            return _stdinPassphrase ??= passphraseInput.ReadLine()
                ?? throw new ConfigurationFileException("--passphrase-stdin: standard input is empty.");
        }

        return Environment.GetEnvironmentVariable(settings.PassphraseVariable) is { Length: > 0 } passphrase
            ? passphrase
            : throw new ConfigurationFileException($"The local KMS passphrase is read from the environment variable {settings.PassphraseVariable} (or stdin with --passphrase-stdin), which is not set.");
    }
}

/// <summary>Where the KMS credentials come from, and the directory relative <c>local:</c> key files are in (null: the current one).</summary>
public sealed record KmsSettings(string PassphraseVariable, bool PassphraseFromStdin, string PinVariable, string? Pkcs11Module, LocalFileKmsOptions? LocalOptions = null, string? KeyFileDirectory = null)
{
    /// <summary>The directory of <paramref name="keysetPath"/>: where a keyset's relative <c>local:</c> key files are.</summary>
    public static string DirectoryOf(string keysetPath) => Path.GetDirectoryName(Path.GetFullPath(keysetPath))!;
}
