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
    public void CreateKey_ThenGetKey_WrapsAndUnwrapsWithTheSamePassphrase()
    {
        string uri = Uri("kek.json");
        byte[] secret = RandomNumberGenerator.GetBytes(64);
        byte[] wrapped;
        using (IKeyEncryptionKey kek = Client("correct horse").CreateKey(uri))
        {
            wrapped = kek.WrapKey(secret, "ad"u8);
        }

        Assert.NotEqual(secret, wrapped.AsSpan(12, 64).ToArray());
        using IKeyEncryptionKey reopened = Client("correct horse").GetKey(uri);
        Assert.Equal(secret, reopened.UnwrapKey(wrapped, "ad"u8));
        Assert.ThrowsAny<CryptographicException>(() => reopened.UnwrapKey(wrapped, "other"u8));
    }

    [Fact]
    public void GetKey_WhenPassphraseWrong_ThrowsKeyNotAvailableNamingThePassphrase()
    {
        string uri = Uri("kek.json");
        Client("right passphrase").CreateKey(uri).Dispose();
        KeyNotAvailableException e = Assert.Throws<KeyNotAvailableException>(() => Client("wrong passphrase").GetKey(uri));
        Assert.Contains("passphrase does not open", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong passphrase", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateKey_WhenWritten_KeyFileHoldsNeitherPassphraseNorKey()
    {
        string uri = Uri("kek.json");
        Client("a very secret passphrase").CreateKey(uri).Dispose();
        string text = File.ReadAllText(Path.Combine(_directory, "kek.json"));
        Assert.Contains("\"veil-local-kek/1\"", text, StringComparison.Ordinal);
        Assert.Contains("argon2id", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret passphrase", text, StringComparison.Ordinal);
        Assert.Throws<IOException>(() => Client("x").CreateKey(uri));
    }

    [Fact]
    public void GetKey_WhenFileMissingOrNotLocalUri_ThrowsCleanly()
    {
        Assert.Throws<KeyNotAvailableException>(() => Client("p").GetKey(Uri("missing.json")));
        Assert.Throws<ArgumentException>(() => Client("p").GetKey("pkcs11:token=a;object=b"));
        Assert.False(Client("p").Supports("pkcs11:token=a;object=b"));
        Assert.True(Client("p").Supports("local:x.json"));
    }

    [Fact]
    public void Keyset_WhenWrappedWithLocalKek_UnwrapsWithPassphraseAndRejectsTampering()
    {
        string uri = Uri("kek.json");
        LocalFileKmsClient kms = Client("pass phrase");
        Keyset keyset = Keyset.Create(uri);
        using (IKeyEncryptionKey kek = kms.CreateKey(uri))
        {
            keyset.AddVectorSecret("p", kek, 2f);
        }

        string json = keyset.ToJson();
        using (UnwrappedKeyset live = Keyset.Parse(json).Unwrap(kms))
        using (var client = new VeilClient(live.Configuration))
        {
            float[] plaintext = [0.5f, 0.25f, -0.125f];
            float[] decrypted = client.Vector.Decrypt(client.Vector.Encrypt(plaintext, "p", "d", "t"), "t");
            Assert.All(plaintext.Zip(decrypted), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 1e-3));
        }

        Assert.Throws<KeyNotAvailableException>(() => Keyset.Parse(json).Unwrap(Client("not the pass phrase")));
        string tampered = json.Replace("\"approximationFactor\": 2", "\"approximationFactor\": 2.5", StringComparison.Ordinal);
        Assert.NotEqual(json, tampered);
        Assert.Throws<KeyNotAvailableException>(() => Keyset.Parse(tampered).Unwrap(kms));
    }

    [Fact]
    public void Keyset_WhenIntegrityKeyWrappedByLocalKek_LifecycleKeepsTheTagAndEditsFail()
    {
        string uri = Uri("kek.json");
        LocalFileKmsClient kms = Client("pass phrase");
        using IKeyEncryptionKey kek = kms.CreateKey(uri);
        KeysetIntegrityChecks.LifecycleKeepsTheTagAndEditsFail(kms, kek);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void CreateKey_UnderUmask022_WritesTheKeyFileOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using (new Umask(Umask.Permissive))
        {
            Client("p").CreateKey(Uri("kek.json")).Dispose();
            File.WriteAllText(Path.Combine(_directory, "plain.txt"), "x");
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "kek.json")));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(Path.Combine(_directory, "plain.txt"))); // the umask would have allowed 0644
    }

    [Fact]
    public void GetKey_WhenThePathIsRelativeAndABaseDirectoryIsSet_OpensTheFileThereWhateverTheWorkingDirectory()
    {
        Assert.NotEqual(Path.GetFullPath(_directory), Path.GetFullPath(Environment.CurrentDirectory));
        var options = new LocalFileKmsOptions { MemorySizeKiB = s_cheap.MemorySizeKiB, Iterations = s_cheap.Iterations, BaseDirectory = _directory };
        var kms = new LocalFileKmsClient(() => "p", options);
        byte[] wrapped;
        using (IKeyEncryptionKey created = kms.CreateKey("local:kek.json"))
        {
            Assert.Equal("local:kek.json", created.KeyUri);
            wrapped = created.WrapKey(new byte[32], "ad"u8);
        }

        using IKeyEncryptionKey opened = kms.GetKey("local:kek.json");

        Assert.True(File.Exists(Path.Combine(_directory, "kek.json")));
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "kek.json")));
        Assert.Equal(new byte[32], opened.UnwrapKey(wrapped, "ad"u8));
        Assert.Throws<KeyNotAvailableException>(() => Client("p").GetKey("local:kek.json")); // without it: the working directory
    }

    private static LocalFileKmsClient Client(string passphrase) => new(() => passphrase, s_cheap);

    private string Uri(string name) => LocalFileKmsClient.UriPrefix + Path.Combine(_directory, name);
}
