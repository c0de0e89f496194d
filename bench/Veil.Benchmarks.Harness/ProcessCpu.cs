using System.Diagnostics;

namespace Veil.Benchmarks.Harness;

/// <summary>This process's CPU time.</summary>
internal static class ProcessCpu
{
    /// <summary>CPU time of this process, all threads: on a loaded machine a steadier measure of work than wall time.</summary>
    public static TimeSpan Now()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
