using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using Veil.Cli.Commands;
using Veil.Cli.Tests.Support;
using Veil.Configuration;
using Veil.Keys;
using Veil.Kms.LocalFile;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary>
/// Keyset files under attack: concurrent updates (lock and compare-and-swap), file modes under a permissive umask, and
/// a relative <c>local:</c> KEK URI used from another working directory.
/// </summary>
public sealed class KeysetFileTests : LocalKeysetTest
{
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode0640 = Mode0600 | UnixFileMode.GroupRead;


    private string KekPath => TempDir.File("kek.json");

    [Fact]
    public async Task KeysAdd_WhenEightRunConcurrentlyOnOneKeyset_LosesNoUpdate()
    {
        await CreateAsync("--deterministic", "base");
        string[] paths = Enumerable.Range(0, 8).Select(i => $"p{i}").ToArray();

        // One thread per command, released together: every one reads the keyset before any has written it.
        using var start = new Barrier(paths.Length);
        CliResult[] adds = await Task.WhenAll(paths.Select(path => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                return Keys("add", "--deterministic", path).GetAwaiter().GetResult();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));

        Assert.All(adds, add => Assert.True(add.ExitCode == ExitCodes.Success, add.Stderr));
        CliResult list = await Keys("list", "--json");
        Assert.Equal(["base", .. paths], list.Json.Select(j => j.GetProperty("path").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(ExitCodes.Success, (await Keys("check")).ExitCode);
    }

    [Fact]
    public async Task Update_WhenAnotherWriterBypassedTheLockBetweenReadAndWrite_RefusesAndWritesNothing()
    {
        await CreateAsync("--deterministic", "base");
        string before = File.ReadAllText(Keyset);
        string bypass = await ModifiedCopyAsync("bypass");
        using IKeyEncryptionKey kek = await Kms().GetKeyAsync("local:" + KekPath);

        KeysetConflictException e = await Assert.ThrowsAsync<KeysetConflictException>(() => KeysetFile.UpdateAsync(Keyset, async (keyset, ct) =>
        {
            await keyset.VerifyAsync(Kms(), ct);
            await File.WriteAllTextAsync(Keyset, bypass, ct); // a writer that does not take the lock
            return await keyset.AddDeterministicSecretAsync(new SecretPath("mine"), kek, cancellationToken: ct);
        }));

        Assert.Contains("changed by another writer", e.Message, StringComparison.Ordinal);
        Assert.Equal(bypass, File.ReadAllText(Keyset));
        Assert.NotEqual(before, bypass);
        Assert.Equal(["kek.json", Path.GetFileName(Keyset), Path.GetFileName(Keyset) + ".lock"], Directory.GetFiles(TempDir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Update_WhenTheLockIsHeldBeyondTheTimeout_RefusesWithAClearMessageAndDoesNotRead()
    {
        await CreateAsync("--deterministic", "base");
        string before = File.ReadAllText(Keyset);
        bool changed = false;

        using (KeysetLock.Acquire(Keyset, TimeSpan.Zero))
        {
            KeysetConflictException e = await Assert.ThrowsAsync<KeysetConflictException>(() => KeysetFile.UpdateAsync(Keyset, (keyset, _) => Task.FromResult(changed = true), lockTimeout: TimeSpan.Zero));
            Assert.Contains("being changed by another command", e.Message, StringComparison.Ordinal);
        }

        Assert.False(changed);
        Assert.Equal(before, File.ReadAllText(Keyset));
        using (KeysetLock.Acquire(Keyset, TimeSpan.Zero))
        {
            // Released: it can be taken again at once.
        }
    }

    [UnixFact]
    [UnsupportedOSPlatform("windows")]
    public async Task KeysCreate_UnderUmask022_WritesKeysetAndKekFileOwnerOnly()
    {
        using (new Umask(Umask.Permissive))
        {
            await CreateAsync("--deterministic", "base");
            File.WriteAllText(TempDir.File("plain.txt"), "x");

            Assert.Equal(Mode0600, File.GetUnixFileMode(Keyset));
            Assert.Equal(Mode0600, File.GetUnixFileMode(KekPath));
            Assert.Equal(Mode0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(TempDir.File("plain.txt"))); // the umask is permissive
        }
    }

    [UnixTheory]
    [UnsupportedOSPlatform("windows")]
    [InlineData(Mode0600)]
    [InlineData(Mode0640)]
    public async Task KeysAddAndPromote_WhenTheOperatorChoseAMode_KeepItAndNeverWiden(UnixFileMode mode)
    {
        using (new Umask(Umask.Permissive))
        {
            await CreateAsync("--deterministic", "base");
            File.SetUnixFileMode(Keyset, mode);

            CliResult add = await Keys("add", "--deterministic", "base");
            UnixFileMode afterAdd = File.GetUnixFileMode(Keyset);
            CliResult promote = await Keys("promote", "--deterministic", "base", "--id", "2");

            Assert.True(add.ExitCode == ExitCodes.Success, add.Stderr);
            Assert.True(promote.ExitCode == ExitCodes.Success, promote.Stderr);
            Assert.Equal(mode, afterAdd);
            Assert.Equal(mode, File.GetUnixFileMode(Keyset));
            Assert.Equal(Mode0600, File.GetUnixFileMode(KeysetLock.PathOf(Keyset)));
        }
    }

    [UnixFact]
    [UnsupportedOSPlatform("windows")]
    public void ReplaceAtomically_WhenWritingANewFile_TheTemporaryFileIsOwnerOnlyAndGone()
    {
        string target = TempDir.File("new.json");
        var temporaryModes = new List<UnixFileMode>();
        using (new Umask(Umask.Permissive))
        {
            KeyFileWriter.ReplaceAtomically(target, "{}", overwrite: false, beforeReplace: () =>
                temporaryModes.AddRange(Directory.GetFiles(TempDir.Path, "*.tmp").Select(File.GetUnixFileMode)));
        }

        Assert.Equal([Mode0600], temporaryModes);
        Assert.Equal(Mode0600, File.GetUnixFileMode(target));
        Assert.Empty(Directory.GetFiles(TempDir.Path, "*.tmp"));
    }

    [Fact]
    public async Task Keyset_WhenItsKekUriIsRelative_ResolvesItBesideTheKeysetFromAnotherWorkingDirectory()
    {
        // The test's working directory is its bin directory, not the keyset's.
        Assert.NotEqual(Path.GetFullPath(TempDir.Path), Path.GetFullPath(Environment.CurrentDirectory));
        CliResult create = await Keys("create", "--kms", "local:kek.json", "--create-kek", "--deterministic", "f", "--vector", "v", "--beta", "2");
        Assert.True(create.ExitCode == ExitCodes.Success, create.Stderr);
        Assert.Equal("local:kek.json", (string?)JsonNode.Parse(File.ReadAllText(Keyset))!["kekUri"]);
        Assert.True(File.Exists(KekPath));
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "kek.json")));

        // Moved elsewhere together, the keyset still finds its KEK.
        using var moved = new TempDirectory();
        File.Copy(Keyset, moved.File("keyset.json"));
        File.Copy(KekPath, moved.File("kek.json"));
        File.Delete(KekPath);
        CliResult add = await VeilCli.RunAsync(string.Empty, "keys", "--keyset", moved.File("keyset.json"), "--passphrase-env", PassphraseVariable, "add", "--deterministic", "f");
        CliResult encrypt = await VeilCli.RunAsync(
            VeilCli.Lines("""{"id":"a","vector":[0.5,-0.25,1]}"""),
            "vector", "encrypt", "--keyset", moved.File("keyset.json"), "--passphrase-env", PassphraseVariable, "--tenant", "t", "--secret-path", "v", "--derivation-path", "d");

        Assert.True(add.ExitCode == ExitCodes.Success, add.Stderr);
        Assert.True(encrypt.ExitCode == ExitCodes.Success, encrypt.Stderr);
    }

    private async Task CreateAsync(params string[] sections)
    {
        CliResult create = await Keys(["create", "--kms", "local:" + KekPath, "--create-kek", .. sections]);
        Assert.True(create.ExitCode == ExitCodes.Success, create.Stderr);
    }

    /// <summary>The keyset as another (properly locked) update would leave it: one more deterministic path.</summary>
    private async Task<string> ModifiedCopyAsync(string path)
    {
        string copy = TempDir.File("copy.json");
        File.Copy(Keyset, copy);
        CliResult add = await VeilCli.RunAsync(string.Empty, "keys", "--keyset", copy, "--passphrase-env", PassphraseVariable, "add", "--deterministic", path);
        Assert.True(add.ExitCode == ExitCodes.Success, add.Stderr);
        string text = File.ReadAllText(copy);
        File.Delete(copy);
        File.Delete(copy + ".lock");
        return text;
    }

    private KmsSelection Kms() => new(TextReader.Null, new KmsSettings(PassphraseVariable, false, "UNUSED_PIN", null, CheapKms));
}
