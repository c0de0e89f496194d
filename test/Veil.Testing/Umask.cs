// Shared by the test projects that check file modes (through test/Veil.Testing).
using System.Runtime.InteropServices;

namespace Veil.Testing;

/// <summary>Sets the process umask for a test (Unix), restoring the previous one on dispose: file modes are checked under the usual 022.</summary>
public sealed class Umask : IDisposable
{
    /// <summary>022: group and others lose write permission only, so new files are 0644 unless created narrower.</summary>
    public const uint Permissive = 0b000_010_010;

    private readonly uint _previous;

    public Umask(uint mask) => _previous = Set(mask);

    public void Dispose() => _ = Set(_previous);

    [DllImport("libc", EntryPoint = "umask")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint Set(uint mask);
}

/// <summary>A fact about Unix file modes: skipped on Windows.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute() => Skip = OperatingSystem.IsWindows() ? "Unix file modes only." : null;
}

/// <summary>A theory about Unix file modes: skipped on Windows.</summary>
public sealed class UnixTheoryAttribute : TheoryAttribute
{
    public UnixTheoryAttribute() => Skip = OperatingSystem.IsWindows() ? "Unix file modes only." : null;
}
