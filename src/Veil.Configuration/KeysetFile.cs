using Veil.Keys;

namespace Veil.Configuration;

/// <summary>
/// Reads and writes keyset files. Writes go to an owner-only temporary file that replaces the target (see
/// <see cref="KeyFileWriter"/>), so a crash never leaves half a keyset and a rewrite keeps the file's mode. Every
/// read-modify-write (<see cref="UpdateAsync{T}"/>) holds the keyset's <see cref="KeysetLock"/> from before the read until
/// after the replace, and checks that the file still holds what it read (compare-and-swap), so concurrent updates
/// never lose one another: a writer that cannot lock, or finds the file changed, fails and writes nothing.
/// </summary>
public static class KeysetFile
{
    /// <summary>Reads and parses the keyset (with <paramref name="parse"/> instead of <see cref="Keyset.Parse"/> when given); nothing is verified or unwrapped.</summary>
    public static Keyset Load(string path, Func<string, Keyset>? parse = null) => Parse(path, Read(path), parse);

    /// <summary>Writes a new keyset file, owner-only; an existing file is never overwritten.</summary>
    /// <exception cref="ConfigurationFileException">The file exists.</exception>
    public static void Create(Keyset keyset, string path)
    {
        if (File.Exists(path))
        {
            throw new ConfigurationFileException($"The keyset '{path}' already exists; refusing to overwrite it.");
        }

        KeyFileWriter.ReplaceAtomically(path, keyset.ToJson(), overwrite: false);
    }

    /// <summary>
    /// Locks the keyset, reads it, lets <paramref name="change"/> modify it, and replaces the file with the result if
    /// it still holds what was read. <paramref name="change"/> runs under the lock (it may verify through the KMS).
    /// </summary>
    /// <param name="path">The keyset file.</param>
    /// <param name="change">Modifies the keyset read (it may verify and wrap through the KMS).</param>
    /// <param name="parse">Reads the file's JSON instead of <see cref="Keyset.Parse"/> (for example an upgrade).</param>
    /// <param name="lockTimeout">How long to wait for the lock (default <see cref="KeysetLock.DefaultTimeout"/>).</param>
    /// <param name="cancellationToken">Cancels the update before the file is replaced.</param>
    /// <returns>What <paramref name="change"/> returned.</returns>
    /// <exception cref="KeysetConflictException">The lock is held beyond <paramref name="lockTimeout"/>, or the file changed since it was read.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (nothing was written).</exception>
    public static async Task<T> UpdateAsync<T>(
        string path,
        Func<Keyset, CancellationToken, Task<T>> change,
        Func<string, CancellationToken, Task<Keyset>>? parse = null,
        TimeSpan? lockTimeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        cancellationToken.ThrowIfCancellationRequested();
        if (!File.Exists(path))
        {
            throw new ConfigurationFileException($"Cannot read the keyset '{path}': the file does not exist.");
        }

        using KeysetLock held = KeysetLock.Acquire(path, lockTimeout ?? KeysetLock.DefaultTimeout);
        string before = Read(path);
        Keyset keyset = parse is null ? Parse(path, before, null) : await ParseAsync(path, before, parse, cancellationToken).ConfigureAwait(false);
        T result = await change(keyset, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        KeyFileWriter.ReplaceAtomically(path, keyset.ToJson(), overwrite: true, beforeReplace: () =>
        {
            if (!string.Equals(Read(path), before, StringComparison.Ordinal))
            {
                throw new KeysetConflictException(
                    $"The keyset '{path}' was changed by another writer while this command updated it (without holding '{KeysetLock.PathOf(path)}'); nothing was written. Check the keyset with 'veil keys list', then run the command again.");
            }
        });
        return result;
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationFileException($"Cannot read the keyset '{path}': {e.Message}", e);
        }
    }

    private static async Task<Keyset> ParseAsync(string path, string text, Func<string, CancellationToken, Task<Keyset>> parse, CancellationToken cancellationToken)
    {
        try
        {
            return await parse(text, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException e)
        {
            throw new ConfigurationFileException($"'{path}': {e.Message}", e);
        }
    }

    private static Keyset Parse(string path, string text, Func<string, Keyset>? parse)
    {
        try
        {
            return (parse ?? Keyset.Parse)(text);
        }
        catch (FormatException e)
        {
            throw new ConfigurationFileException($"'{path}': {e.Message}", e);
        }
    }
}
