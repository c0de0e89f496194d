using System.Diagnostics;
using System.Globalization;
using Veil.Documents.Store;

namespace Veil.Cli.Commands;

/// <summary>
/// Progress on stderr for anything that may take more than a second: a line at most every half second (a bar when
/// the total is known), and a final line with the count, time and rate.
/// </summary>
/// <remarks>Also the <see cref="IProgress{T}"/> the store library reports to (done and total so far).</remarks>
internal sealed class ProgressReporter(TextWriter error, string prefix, string unit, long? total) : IProgress<StoreProgress>
{
    private long? _total = total;

    private const int Width = 30;
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(500);

    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private TimeSpan _last = TimeSpan.Zero;

    public long Done { get; private set; }

    public TimeSpan Elapsed => _stopwatch.Elapsed;

    public void Advance(long count) => Report(new StoreProgress(Done + count, _total));

    public void Report(StoreProgress value)
    {
        Done = value.Done;
        _total = value.Total ?? _total;
        if (_stopwatch.Elapsed - _last >= s_interval)
        {
            _last = _stopwatch.Elapsed;
            error.WriteLine($"{prefix}: {Describe()}");
        }
    }

    public void Finish(string what) =>
        error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{prefix}: {what} {Done} {unit} in {Elapsed.TotalSeconds:F2} s ({Done / Math.Max(Elapsed.TotalSeconds, 1e-9):N0} {unit}/s)"));

    private string Describe()
    {
        if (_total is not { } all || all <= 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Done} {unit}…");
        }

        int filled = (int)Math.Min(Width, Done * Width / all);
        return string.Create(CultureInfo.InvariantCulture, $"[{new string('#', filled)}{new string('.', Width - filled)}] {Done}/{all} {unit} ({100.0 * Done / all:F0}%)");
    }
}
