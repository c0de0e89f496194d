using System.Diagnostics;
using System.Globalization;
namespace Veil.Documents.Store;

/// <summary>
/// Progress on stderr for anything that may take more than a second: a line at most every half second (a bar when
/// the total is known), and a final line with the count, time and rate.
/// </summary>
/// <remarks>The <see cref="IProgress{T}"/> to give <see cref="DocumentStore.IngestAsync"/> and the store's other long operations in a console app.</remarks>
/// <param name="error">Where the lines go (usually stderr).</param>
/// <param name="prefix">The start of every line, such as <c>veil ingest</c>.</param>
/// <param name="unit">What is counted, such as <c>documents</c>.</param>
/// <param name="total">The total when known (a bar is drawn), else null.</param>
public sealed class TextProgress(TextWriter error, string prefix, string unit, long? total) : IProgress<StoreProgress>
{
    private long? _total = total;

    private const int Width = 30;
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(500);

    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private TimeSpan _last = TimeSpan.Zero;

    /// <summary>Gets how many are done.</summary>
    public long Done { get; private set; }

    /// <summary>Gets the time since this reporter was created.</summary>
    public TimeSpan Elapsed => _stopwatch.Elapsed;

    /// <summary>Counts <paramref name="count"/> more.</summary>
    /// <param name="count">How many more are done.</param>
    public void Advance(long count) => Report(new StoreProgress(Done + count, _total));

    /// <summary>Records the progress; writes a line when half a second has passed since the last one.</summary>
    /// <param name="value">Done and total so far.</param>
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

    /// <summary>Writes the final line: <paramref name="what"/>, the count, the time and the rate.</summary>
    /// <param name="what">What was done, such as <c>encrypted and stored</c>.</param>
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
