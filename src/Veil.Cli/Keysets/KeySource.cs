using System.CommandLine;
using System.Security.Cryptography;
using Veil.Configuration;
using Veil.Keys;

namespace Veil.Cli.Keysets;

/// <summary>
/// Where a command's keys come from: exactly one of <c>--keyset FILE</c> (wrapped secrets, unwrapped through the KMS
/// each secret names, with the passphrase or PIN from the environment) or <c>--config FILE</c> (cleartext secrets).
/// </summary>
internal sealed class KeySource
{
    public KeySource(string configDescription, bool recursive)
    {
        Config = new Option<string>("--config") { Description = configDescription, Recursive = recursive };
        Keyset = new Option<string>("--keyset")
        {
            Description = "The keyset file (\"veil-keyset/2\"): its live secrets are unwrapped through the KMS each one names (local: or pkcs11:). Instead of --config.",
            Recursive = recursive,
        };
        PassphraseEnv = KmsOptions.PassphraseEnv(recursive);
        PinEnv = KmsOptions.PinEnv(recursive);
        Pkcs11Module = KmsOptions.Pkcs11Module(recursive);
    }

    public Option<string> Config { get; }

    public Option<string> Keyset { get; }

    public Option<string> PassphraseEnv { get; }

    public Option<string> PinEnv { get; }

    public Option<string> Pkcs11Module { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(Keyset);
        command.Options.Add(PassphraseEnv);
        command.Options.Add(PinEnv);
        command.Options.Add(Pkcs11Module);
    }

    /// <summary>
    /// <see cref="LoadAsync"/> for the synchronous commands. A console app has no synchronization context, so blocking
    /// on the KMS here cannot deadlock; asynchronous commands call <see cref="LoadAsync"/>.
    /// </summary>
    public LoadedKeys Load(ParseResult parseResult, CliConsole console) =>
        LoadAsync(parseResult, console, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Loads the keys; dispose the result to zero them.</summary>
    /// <exception cref="CliUsageException">Not exactly one of --config and --keyset, or a file cannot be read or parsed.</exception>
    /// <exception cref="KeysetUnavailableException">The KMS refused, or a wrapped secret failed authentication.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<LoadedKeys> LoadAsync(ParseResult parseResult, CliConsole console, CancellationToken cancellationToken)
    {
        string? keysetPath = parseResult.GetValue(Keyset);
        string? configPath = parseResult.GetValue(Config);
        if ((keysetPath is null) == (configPath is null))
        {
            throw new CliUsageException("Invalid options: give exactly one of --config (cleartext secrets) and --keyset (wrapped secrets and a KMS).");
        }

        if (configPath is not null)
        {
            return new LoadedKeys(ConfigurationLoader.Load(configPath), null);
        }

        var kms = new KmsSelection(console.Input, new KmsSettings(
            parseResult.GetValue(PassphraseEnv)!, false, parseResult.GetValue(PinEnv)!, parseResult.GetValue(Pkcs11Module), KeyFileDirectory: KmsSettings.DirectoryOf(keysetPath!)));
        Keys.Keyset keyset = KeysetFile.Load(keysetPath!);
        try
        {
            UnwrappedKeyset unwrapped = await keyset.UnwrapAsync(kms, cancellationToken).ConfigureAwait(false);
            return new LoadedKeys(unwrapped.Configuration, unwrapped);
        }
        catch (KeyNotAvailableException e) when (e.InnerException is CryptographicException and not KeyNotAvailableException)
        {
            throw new KeysetUnavailableException(ExitCodes.IntegrityFailure, $"The keyset '{keysetPath}' does not open: {e.Message}", e);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new KeysetUnavailableException(ExitCodes.Failed, $"The KMS did not unwrap the keyset '{keysetPath}': {e.Message}", e);
        }
    }
}

/// <summary>The keys a command runs with; disposing zeroes them.</summary>
internal sealed class LoadedKeys(VeilConfiguration configuration, UnwrappedKeyset? unwrapped) : IDisposable
{
    public VeilConfiguration Configuration { get; } = configuration;

    public void Dispose()
    {
        if (unwrapped is not null)
        {
            unwrapped.Dispose();
        }
        else
        {
            ConfigFile.DisposeSecrets(Configuration);
        }
    }
}

/// <summary>A keyset could not be unwrapped; <see cref="ExitCode"/> tells a KMS refusal (2) from an altered keyset (3).</summary>
internal sealed class KeysetUnavailableException(int exitCode, string message, Exception inner) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
