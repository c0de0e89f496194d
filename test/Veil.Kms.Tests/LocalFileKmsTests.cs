using System.Runtime.Versioning;
using System.Security.Cryptography;
using Veil.Keys;
using Veil.Kms.LocalFile;
using Veil.Testing;

namespace Veil.Kms.Tests;

public sealed class LocalFileKmsTests : IDisposable
{
    private static readonly LocalFileKmsOptions s_cheap = new() { MemorySizeKiB = 8 * 1024, Iterations = 1 };
    private readonly string _directory = Directory.CreateTempSubdirectory("veil-local-kms-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task CreateKey_ThenGetKey_WrapsAndUnwrapsWithTheSamePassphrase()
    {
        string uri = Uri("kek.json");
        byte[] secret = RandomNumberGenerator.GetBytes(64);
        byte[] wrapped;
        using (IKeyEncryptionKey kek = await Client("correct horse").CreateKeyAsync(uri))
        {
            wrapped = await kek.WrapKeyAsync(secret, "ad"u8.ToArray());
        }

        Assert.NotEqual(secret, wrapped.AsSpan(12, 64).ToArray());
        using IKeyEncryptionKey reopened = await Client("correct horse").GetKeyAsync(uri);
        Assert.Equal(secret, await reopened.UnwrapKeyAsync(wrapped, "ad"u8.ToArray()));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => reopened.UnwrapKeyAsync(wrapped, "other"u8.ToArray()).AsTask());
    }

    [Fact]
    public async Task GetKey_WhenPassphraseWrong_ThrowsKeyNotAvailableNamingThePassphrase()
    {
        string uri = Uri("kek.json");
        (await Client("right passphrase").CreateKeyAsync(uri)).Dispose();
        KeyNotAvailableException e = await Assert.ThrowsAsync<KeyNotAvailableException>(() => Client("wrong passphrase").GetKeyAsync(uri).AsTask());
        Assert.Contains("passphrase does not open", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong passphrase", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateKey_WhenWritten_KeyFileHoldsNeitherPassphraseNorKey()
    {
        string uri = Uri("kek.json");
        (await Client("a very secret passphrase").CreateKeyAsync(uri)).Dispose();
        string text = File.ReadAllText(Path.Combine(_directory, "kek.json"));
        Assert.Contains("\"veil-local-kek/1\"", text, StringComparison.Ordinal);
        Assert.Contains("argon2id", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret passphrase", text, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => Client("x").CreateKeyAsync(uri).AsTask());
    }

    [Fact]
    public async Task GetKey_WhenFileMissingOrNotLocalUri_ThrowsCleanly()
    {
        await Assert.ThrowsAsync<KeyNotAvailableException>(() => Client("p").GetKeyAsync(Uri("missing.json")).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => Client("p").GetKeyAsync("pkcs11:token=a;object=b").AsTask());
        Assert.False(Client("p").Supports("pkcs11:token=a;object=b"));
        Assert.True(Client("p").Supports("local:x.json"));
    }

    [Fact]
    public async Task Keyset_WhenWrappedWithLocalKek_UnwrapsWithPassphraseAndRejectsTampering()
    {
        string uri = Uri("kek.json");
        LocalFileKmsClient kms = Client("pass phrase");
        Keyset keyset = Keyset.Create(uri);
        using (IKeyEncryptionKey kek = await kms.CreateKeyAsync(uri))
        {
            await keyset.AddVectorSecretAsync(TestIds.P, kek, 2f);
        }

        string json = keyset.ToJson();
        using (UnwrappedKeyset live = await Keyset.Parse(json).UnwrapAsync(kms))
        using (var client = new VeilClient(live.Configuration))
        {
            float[] plaintext = [0.5f, 0.25f, -0.125f];
            float[] decrypted = client.Vector.Decrypt(client.Vector.Encrypt(plaintext, TestIds.P, new DerivationPath("d"), new TenantId("t")), new TenantId("t"));
            Assert.All(plaintext.Zip(decrypted), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 1e-3));
        }

        await Assert.ThrowsAsync<KeyNotAvailableException>(() => Keyset.Parse(json).UnwrapAsync(Client("not the pass phrase")));
        string tampered = json.Replace("\"approximationFactor\": 2", "\"approximationFactor\": 2.5", StringComparison.Ordinal);
        Assert.NotEqual(json, tampered);
        await Assert.ThrowsAsync<KeyNotAvailableException>(() => Keyset.Parse(tampered).UnwrapAsync(kms));
    }

    [Fact]
    public async Task Keyset_WhenIntegrityKeyWrappedByLocalKek_LifecycleKeepsTheTagAndEditsFail()
    {
        string uri = Uri("kek.json");
        LocalFileKmsClient kms = Client("pass phrase");
        using IKeyEncryptionKey kek = await kms.CreateKeyAsync(uri);
        await KeysetIntegrityChecks.LifecycleKeepsTheTagAndEditsFailAsync(kms, kek);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task CreateKey_UnderUmask022_WritesTheKeyFileOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using (new Umask(Umask.Permissive))
        {
            (await Client("p").CreateKeyAsync(Uri("kek.json"))).Dispose();
            File.WriteAllText(Path.Combine(_directory, "plain.txt"), "x");
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "kek.json")));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(Path.Combine(_directory, "plain.txt"))); // the umask would have allowed 0644
    }

    [Fact]
    public async Task GetKey_WhenThePathIsRelativeAndABaseDirectoryIsSet_OpensTheFileThereWhateverTheWorkingDirectory()
    {
        Assert.NotEqual(Path.GetFullPath(_directory), Path.GetFullPath(Environment.CurrentDirectory));
        var options = new LocalFileKmsOptions { MemorySizeKiB = s_cheap.MemorySizeKiB, Iterations = s_cheap.Iterations, BaseDirectory = _directory };
        var kms = new LocalFileKmsClient(() => "p", options);
        byte[] wrapped;
        using (IKeyEncryptionKey created = await kms.CreateKeyAsync("local:kek.json"))
        {
            Assert.Equal("local:kek.json", created.KeyUri);
            wrapped = await created.WrapKeyAsync(new byte[32], "ad"u8.ToArray());
        }

        using IKeyEncryptionKey opened = await kms.GetKeyAsync("local:kek.json");

        Assert.True(File.Exists(Path.Combine(_directory, "kek.json")));
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "kek.json")));
        Assert.Equal(new byte[32], await opened.UnwrapKeyAsync(wrapped, "ad"u8.ToArray()));
        await Assert.ThrowsAsync<KeyNotAvailableException>(() => Client("p").GetKeyAsync("local:kek.json").AsTask()); // without it: the working directory
    }

    private static LocalFileKmsClient Client(string passphrase) => new(() => passphrase, s_cheap);

    private string Uri(string name) => LocalFileKmsClient.UriPrefix + Path.Combine(_directory, name);
}
