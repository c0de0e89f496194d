namespace Veil.Kms.LocalFile;

/// <summary>
/// Argon2id cost parameters for key files created by <see cref="LocalFileKmsClient.CreateKeyAsync"/> (existing files keep
/// their own), and the directory relative key-file paths resolve against.
/// </summary>
public sealed class LocalFileKmsOptions
{
    /// <summary>Memory in KiB (default 65 536 = 64 MiB, OWASP's Argon2id guidance is at least 19 MiB).</summary>
    public int MemorySizeKiB { get; init; } = 64 * 1024;

    /// <summary>Passes over memory (default 3).</summary>
    public int Iterations { get; init; } = 3;

    /// <summary>
    /// The directory a relative key-file path (<c>local:kek.json</c>) resolves against; null for the current directory.
    /// A keyset's tools set it to the keyset file's directory, so that the URI stored in the keyset names the same file
    /// from any working directory. The key URI itself is kept as written.
    /// </summary>
    public string? BaseDirectory { get; init; }
}
