namespace Veil.Configuration;

/// <summary>
/// Writes files that hold keys (keysets and their lock files): created owner-only (0600 on Unix, whatever the umask),
/// and replaced atomically through a temporary file that takes the replaced file's mode, so a rewrite never widens
/// what the operator chose (0600 stays 0600, 0640 stays 0640).
/// </summary>
public static class KeyFileWriter
{
    /// <summary>The mode of a new key file: read and write for the owner only.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Opens a file; when this creates it, it is created <see cref="OwnerOnly"/> on Unix.</summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        return new FileStream(path, options);
    }

    /// <summary>
    /// Writes <paramref name="text"/> to a new temporary file beside <paramref name="path"/> (owner-only, then given the
    /// mode of the file it replaces), runs <paramref name="beforeReplace"/> (which may throw to abandon the write), and
    /// moves it over <paramref name="path"/>; with <paramref name="overwrite"/> false, an existing file is an error.
    /// The temporary file is removed on any failure.
    /// </summary>
    public static void ReplaceAtomically(string path, string text, bool overwrite, Action? beforeReplace = null)
    {
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (FileStream stream = Open(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows() && overwrite && File.Exists(full))
            {
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(full));
            }

            beforeReplace?.Invoke();
            File.Move(temporary, full, overwrite);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
