using Veil.Keys;
using Veil.Kms.LocalFile;

namespace Veil.Kms.Tests;

/// <summary>The local KMS stops before any work (reading the passphrase, Argon2id, the file) once cancelled.</summary>
public sealed class LocalFileKmsCancellationTests : IDisposable
{
    private static readonly LocalFileKmsOptions s_cheap = new() { MemorySizeKiB = 8 * 1024, Iterations = 1 };
    private readonly string _directory = Directory.CreateTempSubdirectory("veil-local-kms-cancel-").FullName;
    private int _passphraseReads;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task GetKeyAsync_WhenAlreadyCancelled_ThrowsWithoutReadingThePassphrase()
    {
        string uri = LocalFileKmsClient.UriPrefix + Path.Combine(_directory, "kek.json");
        (await Client().CreateKeyAsync(uri)).Dispose();
        _passphraseReads = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client().GetKeyAsync(uri, new CancellationToken(canceled: true)).AsTask());

        Assert.Equal(0, _passphraseReads);
    }

    [Fact]
    public async Task CreateKeyAsync_WhenAlreadyCancelled_CreatesNoKeyFile()
    {
        string path = Path.Combine(_directory, "new.json");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client().CreateKeyAsync(LocalFileKmsClient.UriPrefix + path, new CancellationToken(canceled: true)).AsTask());

        Assert.False(File.Exists(path));
        Assert.Equal(0, _passphraseReads);
    }

    [Fact]
    public async Task WrapAndUnwrap_WhenAlreadyCancelled_Throw()
    {
        using IKeyEncryptionKey kek = await Client().CreateKeyAsync(LocalFileKmsClient.UriPrefix + Path.Combine(_directory, "kek.json"));
        byte[] wrapped = await kek.WrapKeyAsync(new byte[32], new byte[1]);
        var cancelled = new CancellationToken(canceled: true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => kek.WrapKeyAsync(new byte[32], new byte[1], cancelled).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => kek.UnwrapKeyAsync(wrapped, new byte[1], cancelled).AsTask());
    }

    private LocalFileKmsClient Client() => new(
        () =>
        {
            _passphraseReads++;
            return "pass phrase";
        },
        s_cheap);
}
