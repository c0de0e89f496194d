namespace Veil.Kms.LocalFile;

/// <summary>Argon2id cost parameters for key files created by <see cref="LocalFileKmsClient.CreateKey"/>. Existing files keep their own.</summary>
public sealed class LocalFileKmsOptions
{
    /// <summary>Memory in KiB (default 65 536 = 64 MiB, OWASP's Argon2id guidance is at least 19 MiB).</summary>
    public int MemorySizeKiB { get; init; } = 64 * 1024;

    /// <summary>Passes over memory (default 3).</summary>
    public int Iterations { get; init; } = 3;
}
