using Veil.Keys;

namespace Veil.Configuration;

/// <summary>
/// Where an application's keys come from, as bound from configuration (for example the <c>Keys</c> section of
/// <c>appsettings.json</c>): a keyset unwrapped through its KMS (<see cref="KeysetPath"/>, the production way), or, for
/// development only, an Alloy-style cleartext configuration file (<see cref="ConfigurationPath"/>). KMS credentials
/// come from environment variables, never from the configuration itself.
/// </summary>
public sealed class VeilKeysOptions
{
    /// <summary>A keyset file (wrapped secrets); its <c>local:</c> or <c>pkcs11:</c> KEK URIs choose the KMS.</summary>
    public string? KeysetPath { get; set; }

    /// <summary>INSECURE, FOR DEVELOPMENT: an Alloy-style configuration file holding the secrets in cleartext.</summary>
    public string? ConfigurationPath { get; set; }

    /// <summary>The environment variable holding the local KMS passphrase (default <see cref="KmsSelection.DefaultPassphraseVariable"/>).</summary>
    public string PassphraseVariable { get; set; } = KmsSelection.DefaultPassphraseVariable;

    /// <summary>The environment variable holding the PKCS#11 PIN (default <see cref="KmsSelection.DefaultPinVariable"/>).</summary>
    public string PinVariable { get; set; } = KmsSelection.DefaultPinVariable;

    /// <summary>The PKCS#11 module; null: <see cref="KmsSelection.ModuleVariable"/>, else <see cref="KmsSelection.DefaultModule"/>.</summary>
    public string? Pkcs11Module { get; set; }

    /// <summary>Whether a source of keys is named (a keyset or a configuration file).</summary>
    public bool IsSet => KeysetPath is not null || ConfigurationPath is not null;

    /// <summary>What is wrong with these options, each message naming the setting as <paramref name="section"/>:Name; empty when they can be loaded.</summary>
    /// <param name="section">The configuration path of these options, used in the messages.</param>
    public IReadOnlyList<string> Problems(string section)
    {
        var problems = new List<string>();
        if (KeysetPath is not null && ConfigurationPath is not null)
        {
            problems.Add($"{section}: give one of KeysetPath and ConfigurationPath, not both.");
        }
        else if (!IsSet)
        {
            problems.Add($"{section}: KeysetPath (a keyset and its KMS) or ConfigurationPath (cleartext, development only) is required.");
        }

        foreach ((string name, string? path) in new[] { ("KeysetPath", KeysetPath), ("ConfigurationPath", ConfigurationPath) })
        {
            if (path is not null && !File.Exists(path))
            {
                problems.Add($"{section}:{name}: the file '{path}' does not exist.");
            }
        }

        if (string.IsNullOrWhiteSpace(PassphraseVariable) || string.IsNullOrWhiteSpace(PinVariable))
        {
            problems.Add($"{section}: PassphraseVariable and PinVariable must name environment variables.");
        }

        return problems;
    }

    /// <summary>Loads the keys: unwraps the keyset through its KMS, or reads the cleartext configuration.</summary>
    /// <returns>The keys; dispose them to zero the secrets.</returns>
    /// <exception cref="ConfigurationFileException">The options are incomplete, a file is missing or invalid, or a KMS credential is not set.</exception>
    /// <exception cref="KeyNotAvailableException">The KMS refused, or the keyset was altered.</exception>
    /// <remarks>
    /// For synchronous callers (dependency-injection factories): it blocks on <see cref="LoadAsync"/>, which never
    /// resumes on a synchronization context.
    /// </remarks>
    public LoadedVeilKeys Load() => LoadAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Loads the keys: unwraps the keyset through its KMS, or reads the cleartext configuration.</summary>
    /// <param name="cancellationToken">Cancels unwrapping.</param>
    /// <returns>The keys; dispose them to zero the secrets.</returns>
    /// <exception cref="ConfigurationFileException">The options are incomplete, a file is missing or invalid, or a KMS credential is not set.</exception>
    /// <exception cref="KeyNotAvailableException">The KMS refused, or the keyset was altered.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<LoadedVeilKeys> LoadAsync(CancellationToken cancellationToken = default)
    {
        if (Problems("Keys") is [string first, ..])
        {
            throw new ConfigurationFileException(first);
        }

        if (ConfigurationPath is { } configurationPath)
        {
            return new LoadedVeilKeys(ConfigurationLoader.Load(configurationPath), null);
        }

        string keysetPath = KeysetPath!;
        var kms = new KmsSelection(TextReader.Null, new KmsSettings(PassphraseVariable, false, PinVariable, Pkcs11Module, KeyFileDirectory: KmsSettings.DirectoryOf(keysetPath)));
        UnwrappedKeyset unwrapped = await KeysetFile.Load(keysetPath).UnwrapAsync(kms, cancellationToken).ConfigureAwait(false);
        return new LoadedVeilKeys(unwrapped.Configuration, unwrapped);
    }
}

/// <summary>Keys loaded by <see cref="VeilKeysOptions.Load"/>; disposing zeroes them.</summary>
public sealed class LoadedVeilKeys : IDisposable
{
    private readonly UnwrappedKeyset? _unwrapped;

    internal LoadedVeilKeys(VeilConfiguration configuration, UnwrappedKeyset? unwrapped)
    {
        Configuration = configuration;
        _unwrapped = unwrapped;
    }

    /// <summary>The unwrapped keys.</summary>
    public VeilConfiguration Configuration { get; }

    /// <summary>True when they came from a cleartext configuration file (development only).</summary>
    public bool IsCleartextConfiguration => _unwrapped is null;

    /// <inheritdoc/>
    public override string ToString() => "LoadedVeilKeys (redacted)";

    /// <summary>Zeroes the secrets.</summary>
    public void Dispose()
    {
        if (_unwrapped is not null)
        {
            _unwrapped.Dispose();
        }
        else
        {
            ConfigFile.DisposeSecrets(Configuration);
        }
    }
}
