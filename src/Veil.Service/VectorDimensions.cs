using System.Collections.Concurrent;

namespace Veil.Service;

/// <summary>
/// The dimension of each vector secret path: <see cref="Keys.VectorSecret.Dimensions"/> when the configuration sets
/// it, otherwise fixed by the first request whose items the keys accepted, and kept in the limits state file when
/// there is one. Items of another length are refused before any key work, so callers cannot make the keys compute and
/// cache a permutation for each dimension they invent. While a path's dimension is not known yet, its requests run
/// one at a time (<see cref="EnterUnknownAsync"/>), each with a single length.
/// </summary>
internal sealed class VectorDimensions : IDisposable
{
    private readonly ConcurrentDictionary<string, int> _fixed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _unknown = new(1, 1);
    private long _changes;

    public VectorDimensions(VeilConfiguration configuration, IReadOnlyDictionary<string, int> saved)
    {
        foreach ((string path, int dimensions) in saved)
        {
            _fixed[path] = dimensions;
        }

        // The configuration wins over what was recorded (the core enforces it anyway).
        foreach ((Keys.SecretPath path, Keys.VectorSecret secret) in configuration.Vector)
        {
            if (secret.Dimensions is { } d)
            {
                _fixed[path.Value] = d;
            }
        }
    }

    /// <summary>Grows with every dimension fixed, so a saver can tell whether there is anything to save.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>The path's dimension, or null while not known.</summary>
    public int? Get(string secretPath) => _fixed.TryGetValue(secretPath, out int d) ? d : null;

    /// <summary>Every known dimension.</summary>
    public Dictionary<string, int> Snapshot() => new(_fixed, StringComparer.Ordinal);

    /// <summary>Fixes the path's dimension unless it is fixed already; true when this call fixed it.</summary>
    public bool TryFix(string secretPath, int dimensions)
    {
        if (!_fixed.TryAdd(secretPath, dimensions))
        {
            return false;
        }

        Interlocked.Increment(ref _changes);
        return true;
    }

    /// <summary>Waits for the turn of a request on a path whose dimension is not known yet; dispose to let the next one in.</summary>
    public async Task<IDisposable> EnterUnknownAsync(CancellationToken cancellationToken)
    {
        await _unknown.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Release(_unknown);
    }

    public void Dispose() => _unknown.Dispose();

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
