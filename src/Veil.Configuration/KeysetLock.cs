namespace Veil.Configuration;

/// <summary>
/// An exclusive advisory lock on a keyset: the file <c>&lt;keyset&gt;.lock</c> beside it, held open with
/// <see cref="FileShare.None"/> (an exclusive <c>flock</c> on Unix, a sharing lock on Windows) from before the keyset
/// is read until after it is replaced, so that concurrent <c>veil keys</c> updates run one after the other. The lock
/// file stays (removing it would let a waiter lock an unlinked file); dispose to release.
/// </summary>
public sealed class KeysetLock : IDisposable
{
    /// <summary>How long a command waits for another one's update of the same keyset.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan s_retryInterval = TimeSpan.FromMilliseconds(25);

    private readonly FileStream _stream;

    private KeysetLock(FileStream stream) => _stream = stream;

    /// <summary>The lock file of <paramref name="keysetPath"/>.</summary>
    public static string PathOf(string keysetPath) => Path.GetFullPath(keysetPath) + ".lock";

    /// <summary>Takes the lock, retrying until <paramref name="timeout"/> has passed (zero: one attempt).</summary>
    /// <exception cref="KeysetConflictException">Another process or thread holds the lock for longer than <paramref name="timeout"/>.</exception>
    /// <exception cref="IOException">The lock file cannot be created (for example, the directory is not writable).</exception>
    public static KeysetLock Acquire(string keysetPath, TimeSpan timeout)
    {
        string lockPath = PathOf(keysetPath);
        DateTimeOffset deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new KeysetLock(KeyFileWriter.Open(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException e) when (IsHeldByAnother(e) && DateTimeOffset.UtcNow < deadline)
            {
                Thread.Sleep(s_retryInterval);
            }
            catch (IOException e) when (IsHeldByAnother(e))
            {
                throw new KeysetConflictException(
                    $"The keyset '{keysetPath}' is being changed by another command (it holds '{lockPath}'); waited {timeout.TotalSeconds:0.#} s. Try again when it has finished.",
                    e);
            }
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _stream.Dispose();

    // What .NET reports for a file another handle holds with FileShare.None: ERROR_SHARING_VIOLATION (32) or
    // ERROR_LOCK_VIOLATION (33) on Windows; on Unix the errno of the failed flock, EWOULDBLOCK (11 on Linux, 35 on macOS).
    private static bool IsHeldByAnother(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult == (OperatingSystem.IsLinux() ? 11 : 35);
}

/// <summary>
/// A keyset update was refused because another writer got in the way: its lock was held too long, or the file changed
/// between this command's read and its write (a writer that bypassed the lock). Nothing was written.
/// </summary>
public sealed class KeysetConflictException(string message, Exception? inner = null) : IOException(message, inner);
