namespace Veil.Service;

/// <summary>Saves the limiter's state to its file every interval while it changes, and once more when disposed.</summary>
internal sealed class LimitsSaver : IAsyncDisposable
{
    private readonly ClientLimiter _limiter;
    private readonly string _path;
    private readonly PeriodicTimer _timer;
    private readonly Task _loop;
    private long _saved = -1;

    public LimitsSaver(ClientLimiter limiter, string path, TimeSpan interval)
    {
        _limiter = limiter;
        _path = path;
        _timer = new PeriodicTimer(interval);
        _loop = RunAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose();
        await _loop.ConfigureAwait(false);
        SaveIfChanged();
    }

    private async Task RunAsync()
    {
        while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            try
            {
                SaveIfChanged();
            }
            catch (IOException)
            {
                // Kept in memory; the next tick (or the final save) tries again.
            }
        }
    }

    private void SaveIfChanged()
    {
        long changes = _limiter.Changes;
        if (changes != _saved)
        {
            LimiterStateFile.Save(_path, _limiter.Snapshot());
            _saved = changes;
        }
    }
}
