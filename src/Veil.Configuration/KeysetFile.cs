using Veil.Keys;

namespace Veil.Configuration;

/// <summary>
/// Reads and writes keyset files. Writes go to an owner-only temporary file that replaces the target (see
/// <see cref="KeyFileWriter"/>), so a crash never leaves half a keyset and a rewrite keeps the file's mode. Every
/// read-modify-write (<see cref="Update{T}"/>) holds the keyset's <see cref="KeysetLock"/> from before the read until
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
    /// <exception cref="KeysetConflictException">The lock is held beyond <paramref name="lockTimeout"/> (default <see cref="KeysetLock.DefaultTimeout"/>), or the file changed since it was read.</exception>
    public static T Update<T>(string path, Func<Keyset, T> change, Func<string, Keyset>? parse = null, TimeSpan? lockTimeout = null)
    {
        if (!File.Exists(path))
        {
            throw new ConfigurationFileException($"Cannot read the keyset '{path}': the file does not exist.");
        }

        using KeysetLock held = KeysetLock.Acquire(path, lockTimeout ?? KeysetLock.DefaultTimeout);
        string before = Read(path);
        Keyset keyset = Parse(path, before, parse);
        T result = change(keyset);
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
