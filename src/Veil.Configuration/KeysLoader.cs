using System.Security.Cryptography;
using Veil.Keys;

namespace Veil.Configuration;

/// <summary>
/// Loads a command's or an application's keys from exactly one source: a keyset file (wrapped secrets, unwrapped
/// through the KMS each one names) or, insecurely, a cleartext configuration file. A keyset that does not open is
/// reported as a <see cref="KeysetUnavailableException"/> that tells a KMS refusal from an altered keyset.
/// </summary>
public static class KeysLoader
{
    /// <summary>Loads the keys <paramref name="options"/> name (exactly one of a keyset and a configuration file); dispose the result to zero them.</summary>
    /// <param name="options">The keyset or configuration file, and where the KMS credentials come from.</param>
    /// <param name="cancellationToken">Cancels unwrapping.</param>
    /// <returns>The keys.</returns>
    /// <exception cref="ArgumentException">Not exactly one of a keyset and a configuration file.</exception>
    /// <exception cref="ConfigurationFileException">A file is missing, unreadable or invalid, or a credential is not set.</exception>
    /// <exception cref="KeysetUnavailableException">The KMS refused, or a wrapped secret failed authentication.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<LoadedVeilKeys> LoadAsync(VeilKeysOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var kms = new KmsSettings(options.PassphraseVariable, PassphraseFromStdin: false, options.PinVariable, options.Pkcs11Module);
        return LoadAsync(options.KeysetPath, options.ConfigurationPath, kms, TextReader.Null, cancellationToken);
    }

    /// <summary>Loads the keys; dispose the result to zero them.</summary>
    /// <param name="keysetPath">The keyset file, or null.</param>
    /// <param name="configurationPath">The cleartext configuration file, or null.</param>
    /// <param name="kms">Where the KMS credentials come from (the key file directory defaults to the keyset's).</param>
    /// <param name="passphraseInput">Where a passphrase is read from when <see cref="KmsSettings.PassphraseFromStdin"/> is set.</param>
    /// <param name="cancellationToken">Cancels unwrapping.</param>
    /// <returns>The keys.</returns>
    /// <exception cref="ArgumentException">Not exactly one of <paramref name="keysetPath"/> and <paramref name="configurationPath"/>.</exception>
    /// <exception cref="ConfigurationFileException">A file is missing, unreadable or invalid, or a credential is not set.</exception>
    /// <exception cref="KeysetUnavailableException">The KMS refused, or a wrapped secret failed authentication.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<LoadedVeilKeys> LoadAsync(string? keysetPath, string? configurationPath, KmsSettings kms, TextReader passphraseInput, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kms);
        if ((keysetPath is null) == (configurationPath is null))
        {
            throw new ArgumentException("Give exactly one of a keyset and a configuration file.");
        }

        if (configurationPath is not null)
        {
            return new LoadedVeilKeys(ConfigurationLoader.Load(configurationPath), null);
        }

        var selection = new KmsSelection(passphraseInput, kms with { KeyFileDirectory = kms.KeyFileDirectory ?? KmsSettings.DirectoryOf(keysetPath!) });
        Keyset keyset = KeysetFile.Load(keysetPath!);
        try
        {
            UnwrappedKeyset unwrapped = await keyset.UnwrapAsync(selection, cancellationToken).ConfigureAwait(false);
            return new LoadedVeilKeys(unwrapped.Configuration, unwrapped);
        }
        catch (KeyNotAvailableException e) when (e.InnerException is CryptographicException and not KeyNotAvailableException)
        {
            throw new KeysetUnavailableException(altered: true, $"The keyset '{keysetPath}' does not open: {e.Message}", e);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new KeysetUnavailableException(altered: false, $"The KMS did not unwrap the keyset '{keysetPath}': {e.Message}", e);
        }
    }
}

/// <summary>A keyset could not be unwrapped: the KMS refused or failed, or (<see cref="Altered"/>) a wrapped secret failed authentication.</summary>
public sealed class KeysetUnavailableException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="KeysetUnavailableException"/> class.</summary>
    public KeysetUnavailableException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KeysetUnavailableException"/> class with a message.</summary>
    /// <param name="message">What failed (never a secret value).</param>
    public KeysetUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KeysetUnavailableException"/> class with a message and its cause.</summary>
    /// <param name="message">What failed (never a secret value).</param>
    /// <param name="innerException">The cause.</param>
    public KeysetUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KeysetUnavailableException"/> class.</summary>
    /// <param name="altered">Whether a wrapped secret failed authentication (rather than the KMS refusing).</param>
    /// <param name="message">What failed (never a secret value).</param>
    /// <param name="innerException">The cause.</param>
    public KeysetUnavailableException(bool altered, string message, Exception innerException)
        : base(message, innerException) => Altered = altered;

    /// <summary>Gets a value indicating whether a wrapped secret failed authentication (the keyset was altered), rather than the KMS refusing.</summary>
    public bool Altered { get; }
}
