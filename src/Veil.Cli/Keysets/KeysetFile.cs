using Veil.Keys;

namespace Veil.Cli.Keysets;

/// <summary>Reads and writes keyset files; writes go to a temporary file that replaces the target, so a crash never leaves half a keyset.</summary>
internal static class KeysetFile
{
    /// <summary>Reads and parses the keyset (with <paramref name="parse"/> instead of <see cref="Keyset.Parse"/> when given); nothing is verified or unwrapped.</summary>
    public static Keyset Load(string path, Func<string, Keyset>? parse = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"Cannot read the keyset '{path}': {e.Message}", e);
        }

        try
        {
            return (parse ?? Keyset.Parse)(text);
        }
        catch (FormatException e)
        {
            throw new CliUsageException($"'{path}': {e.Message}", e);
        }
    }

    public static void Save(Keyset keyset, string path, bool createNew)
    {
        if (createNew && File.Exists(path))
        {
            throw new CliUsageException($"The keyset '{path}' already exists; refusing to overwrite it.");
        }

        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temporary, keyset.ToJson());
        File.Move(temporary, full, overwrite: !createNew);
    }
}
