using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NSec.Cryptography;
using Veil.Keys;

namespace Veil.Kms.LocalFile;

/// <summary>
/// A development KMS: the key-encryption key is derived from a passphrase with Argon2id (NSec/libsodium) and a random
/// salt kept in a small key file, and wraps with AES-256-GCM. Key URIs are <c>local:&lt;path to the key file&gt;</c>.
/// </summary>
/// <remarks>
/// <para><b>Security.</b> As strong as the passphrase, and the KEK lives in process memory while in use. For production
/// use an HSM (<c>Veil.Kms.Pkcs11</c>) or a cloud KMS. The passphrase is never stored: the key file holds the salt,
/// the Argon2id parameters and an AES-GCM check value that tells a wrong passphrase apart from an altered keyset.</para>
/// <para><b>Key file.</b> Created readable by its owner only (0600 on Unix). A relative path resolves against
/// <see cref="LocalFileKmsOptions.BaseDirectory"/> (by default the current directory).</para>
/// <para><b>Format.</b> <c>{"format": "veil-local-kek/1", "kdf": "argon2id", "memoryKiB": 65536, "iterations": 3,
/// "salt": "&lt;base64&gt;", "check": "&lt;base64&gt;"}</c>.</para>
/// </remarks>
public sealed class LocalFileKmsClient : IKmsClient
{
    /// <summary>The URI prefix this client serves.</summary>
    public const string UriPrefix = "local:";

    internal const string FileFormat = "veil-local-kek/1";
    private const int SaltLength = 16;
    private const int MinimumMemoryKiB = 8 * 1024;

    private readonly Func<string> _passphrase;
    private readonly LocalFileKmsOptions _options;

    /// <summary>Creates the client.</summary>
    /// <param name="passphrase">Supplies the passphrase when a key is opened or created (for example from an environment variable or a prompt).</param>
    /// <param name="options">Argon2id costs for new key files.</param>
    public LocalFileKmsClient(Func<string> passphrase, LocalFileKmsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        _passphrase = passphrase;
        _options = options ?? new LocalFileKmsOptions();
        if (_options.MemorySizeKiB < MinimumMemoryKiB || _options.Iterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Argon2id needs at least {MinimumMemoryKiB} KiB of memory and one iteration.");
        }
    }

    /// <inheritdoc/>
    public bool Supports(string keyUri) =>
        keyUri is not null && keyUri.StartsWith(UriPrefix, StringComparison.Ordinal) && keyUri.Length > UriPrefix.Length;

    /// <inheritdoc/>
    /// <exception cref="KeyNotAvailableException">The key file is missing or malformed, or the passphrase is wrong.</exception>
    public async ValueTask<IKeyEncryptionKey> GetKeyAsync(string keyUri, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string path = PathOf(keyUri);
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyNotAvailableException($"Cannot read the local key file '{path}': {e.Message}", e);
        }

        KeyFile file = KeyFile.Parse(text, path);
        cancellationToken.ThrowIfCancellationRequested();
        byte[] kek = Derive(file.Salt, file.MemoryKiB, file.Iterations);
        var key = new LocalFileKeyEncryptionKey(keyUri, kek);
        try
        {
            key.UnwrapKey(file.Check, CheckAssociatedData(file.Salt)).AsSpan().Clear();
        }
        catch (CryptographicException)
        {
            key.Dispose();
            throw new KeyNotAvailableException($"The passphrase does not open the local key file '{path}'.");
        }

        return key;
    }

    /// <summary>Creates a new key file at the URI's path (with a fresh salt) and returns its KEK.</summary>
    /// <exception cref="ArgumentException">The URI is not a <c>local:</c> URI.</exception>
    /// <exception cref="IOException">The file already exists or cannot be written.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (no file is created).</exception>
    public async ValueTask<IKeyEncryptionKey> CreateKeyAsync(string keyUri, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string path = PathOf(keyUri);
        byte[] salt = RandomNumberGenerator.GetBytes(SaltLength);
        byte[] kek = Derive(salt, _options.MemorySizeKiB, _options.Iterations);
        var key = new LocalFileKeyEncryptionKey(keyUri, kek);
        try
        {
            byte[] check = key.WrapKey(ReadOnlySpan<byte>.Empty, CheckAssociatedData(salt));
            string json = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["format"] = FileFormat,
                ["kdf"] = "argon2id",
                ["memoryKiB"] = _options.MemorySizeKiB,
                ["iterations"] = _options.Iterations,
                ["salt"] = Convert.ToBase64String(salt),
                ["check"] = Convert.ToBase64String(check),
            });
            cancellationToken.ThrowIfCancellationRequested();
            FileStream stream = new(path, NewKeyFileOptions());
            await using (stream.ConfigureAwait(false))
            {
                // Not cancellable past this point: a half-written key file would be worse than finishing.
                await stream.WriteAsync(Encoding.UTF8.GetBytes(json + "\n"), CancellationToken.None).ConfigureAwait(false);
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>A new key file: never an existing one, and readable by its owner only (0600 on Unix, whatever the umask).</summary>
    private static FileStreamOptions NewKeyFileOptions()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    private static byte[] CheckAssociatedData(byte[] salt) => [.. Encoding.UTF8.GetBytes(FileFormat + " passphrase check"), .. salt];

    /// <summary>The key file a URI names: its path, resolved against <see cref="LocalFileKmsOptions.BaseDirectory"/> when relative.</summary>
    private string PathOf(string keyUri)
    {
        if (!Supports(keyUri))
        {
            throw new ArgumentException($"'{keyUri}' is not a local key URI (local:<path>).", nameof(keyUri));
        }

        string path = keyUri[UriPrefix.Length..];
        return _options.BaseDirectory is { } directory ? Path.GetFullPath(path, Path.GetFullPath(directory)) : path;
    }

    private byte[] Derive(byte[] salt, int memoryKiB, int iterations)
    {
        string passphrase = _passphrase() ?? string.Empty;
        if (passphrase.Length == 0)
        {
            throw new KeyNotAvailableException("The local KMS needs a passphrase, and none was given.");
        }

        var algorithm = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = 1,
            MemorySize = memoryKiB,
            NumberOfPasses = iterations,
        });
        byte[] password = Encoding.UTF8.GetBytes(passphrase);
        byte[] kek = GC.AllocateArray<byte>(LocalFileKeyEncryptionKey.KeyLength, pinned: true);
        try
        {
            algorithm.DeriveBytes(password, salt, kek);
            return kek;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    private sealed record KeyFile(int MemoryKiB, int Iterations, byte[] Salt, byte[] Check)
    {
        public static KeyFile Parse(string text, string path)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                JsonElement root = document.RootElement;
                if (root.GetProperty("format").GetString() != FileFormat || root.GetProperty("kdf").GetString() != "argon2id")
                {
                    throw new KeyNotAvailableException($"'{path}' is not a {FileFormat} key file.");
                }

                int memory = root.GetProperty("memoryKiB").GetInt32();
                int iterations = root.GetProperty("iterations").GetInt32();
                byte[] salt = root.GetProperty("salt").GetBytesFromBase64();
                byte[] check = root.GetProperty("check").GetBytesFromBase64();
                if (memory < MinimumMemoryKiB || memory > 4 * 1024 * 1024 || iterations is < 1 or > 100 || salt.Length != SaltLength)
                {
                    throw new KeyNotAvailableException($"The key file '{path}' has out-of-range Argon2id parameters.");
                }

                return new KeyFile(memory, iterations, salt, check);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new KeyNotAvailableException($"The key file '{path}' is malformed.", e);
            }
        }
    }
}
