using Veil.Keys;

namespace Veil.Configuration.Tests;

/// <summary>
/// <see cref="KeysLoader"/> and <see cref="ConfigurationLoader"/> (moved from the CLI): exactly one source of keys, a
/// keyset given as a configuration file named as such (an altered keyset's exit code is tested through veil in
/// Veil.Cli.Tests).
/// </summary>
public sealed class KeysLoaderTests : IDisposable
{
    private static readonly KmsSettings s_kms = new("VEIL_TEST_NO_SUCH_PASSPHRASE", false, "VEIL_TEST_NO_SUCH_PIN", null);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task LoadAsync_WhenNotExactlyOneSourceIsGiven_Refuses(bool keyset, bool configuration)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => KeysLoader.LoadAsync(keyset ? "k.json" : null, configuration ? "c.json" : null, s_kms, TextReader.Null));
    }

    [Fact]
    public void ConfigurationLoader_WhenGivenAKeysetFile_SaysToGiveItAsAKeyset()
    {
        string path = _directory.File("keyset.json");
        File.WriteAllText(path, """{"format":"veil-keyset/2","kekUri":"local:kek.json","secrets":[]}""");

        ConfigurationFileException e = Assert.Throws<ConfigurationFileException>(() => ConfigurationLoader.Load(path));

        Assert.Contains("is a keyset", e.Message, StringComparison.Ordinal);
        Assert.Contains("--keyset", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_WithACleartextConfiguration_ReturnsItsKeysMarkedCleartext()
    {
        string path = _directory.File("config.json");
        string secret = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        File.WriteAllText(path, "{\"deterministic\":{\"p\":{\"current\":{\"id\":1,\"secret\":\"" + secret + "\"}}}}");

        using LoadedVeilKeys keys = await KeysLoader.LoadAsync(null, path, s_kms, TextReader.Null);

        Assert.True(keys.IsCleartextConfiguration);
        Assert.True(keys.Configuration.Deterministic.ContainsKey(new SecretPath("p")));
    }

    [Fact]
    public async Task LoadAsync_FromOptions_LoadsTheConfigurationTheyName_AndRefusesNoSource()
    {
        string path = _directory.File("config.json");
        string secret = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        File.WriteAllText(path, "{\"deterministic\":{\"p\":{\"current\":{\"id\":1,\"secret\":\"" + secret + "\"}}}}");

        using LoadedVeilKeys keys = await KeysLoader.LoadAsync(new VeilKeysOptions { ConfigurationPath = path });

        Assert.True(keys.Configuration.Deterministic.ContainsKey(new SecretPath("p")));
        await Assert.ThrowsAsync<ArgumentException>(() => KeysLoader.LoadAsync(new VeilKeysOptions()));
    }
}
