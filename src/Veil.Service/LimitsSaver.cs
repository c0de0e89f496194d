namespace Veil.Service;

/// <summary>
/// Saves the limiter's state and the fixed dimensions to their file: at once when a request needs it (a new quota
/// reservation or a dimension fixed, before the answer), every interval while something changes, and once more, with
/// what was really used, when disposed.
/// </summary>
internal sealed class LimitsSaver : IAsyncDisposable
{
    private readonly ClientLimiter _limiter;
    private readonly VectorDimensions _dimensions;
    private readonly string _path;
    private readonly PeriodicTimer _timer;
    private readonly Task _loop;
    private readonly Lock _lock = new();
    private (long Limiter, long Dimensions) _saved = (-1, -1);

    public LimitsSaver(ClientLimiter limiter, VectorDimensions dimensions, string path, TimeSpan interval, TimeProvider time)
    {
        _limiter = limiter;
        _dimensions = dimensions;
        _path = path;
        _timer = new PeriodicTimer(interval, time);
        _loop = RunAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        await _loop.ConfigureAwait(false);
        Save(final: true);
    }

    /// <summary>Saves now (reservations counted as used).</summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    public void SaveNow() => Save(final: false);

    /// <summary>Saves now (reservations counted as used); false when the file could not be written.</summary>
    public bool TrySaveNow()
    {
        try
        {
            SaveNow();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private async Task RunAsync()
    {
        while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            try
            {
                lock (_lock)
                {
                    if (_saved != (_limiter.Changes, _dimensions.Changes))
                    {
                        Save(final: false);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Kept in memory; the next tick (or the final save) tries again.
            }
        }
    }

    private void Save(bool final)
    {
        lock (_lock)
        {
            (long, long) changes = (_limiter.Changes, _dimensions.Changes);
            LimiterStateFile.Save(_path, new ServiceState(_limiter.Snapshot(final), _dimensions.Snapshot()));
            _saved = changes;
        }
    }
}
