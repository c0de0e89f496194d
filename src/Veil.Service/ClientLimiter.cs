using System.Collections.Concurrent;
using System.Diagnostics;

namespace Veil.Service;

/// <summary>Per-client token buckets and quotas, both counting items rather than requests.</summary>
internal sealed class ClientLimiter
{
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);
    private long _changes;

    /// <summary>Grows with every change of a bucket or quota, so a saver can tell whether there is anything to save.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>Every client's bucket (as of its last refill, with that time on the wall clock) and quota used.</summary>
    public Dictionary<string, LimiterEntry> Snapshot()
    {
        long now = Stopwatch.GetTimestamp();
        DateTimeOffset wallNow = DateTimeOffset.UtcNow;
        var entries = new Dictionary<string, LimiterEntry>(StringComparer.Ordinal);
        foreach ((string name, State state) in _states)
        {
            lock (state)
            {
                entries[name] = new LimiterEntry(state.Tokens, wallNow - Stopwatch.GetElapsedTime(state.LastRefill, now), state.Used);
            }
        }

        return entries;
    }

    /// <summary>Restores saved buckets and quotas; a bucket refills for the time since it was saved (and never beyond its burst).</summary>
    public void Restore(IReadOnlyDictionary<string, LimiterEntry> entries)
    {
        long now = Stopwatch.GetTimestamp();
        DateTimeOffset wallNow = DateTimeOffset.UtcNow;
        foreach ((string name, LimiterEntry entry) in entries)
        {
            TimeSpan since = wallNow - entry.RefilledAt;
            long ticks = (long)(Math.Max(0, since.TotalSeconds) * Stopwatch.Frequency);
            _states[name] = new State(entry.Tokens) { LastRefill = now - ticks, Used = entry.Used };
        }
    }

    /// <summary>Takes <paramref name="items"/> from the client's bucket and quota, or returns why not (nothing is taken then).</summary>
    public string? TryAcquire(ClientPolicy client, int items)
    {
        State state = _states.GetOrAdd(client.Name, _ => new State(client.RateLimit?.Burst ?? 0));
        lock (state)
        {
            double tokens = state.Tokens;
            long now = Stopwatch.GetTimestamp();
            if (client.RateLimit is { } rate)
            {
                tokens = Math.Min(rate.Burst, tokens + (Stopwatch.GetElapsedTime(state.LastRefill, now).TotalSeconds * rate.ItemsPerSecond));
                if (items > tokens)
                {
                    state.Tokens = tokens;
                    state.LastRefill = now;
                    Interlocked.Increment(ref _changes);
                    return items > rate.Burst
                        ? $"rate limit: {items} items exceed the burst of {rate.Burst}"
                        : $"rate limit: {rate.ItemsPerSecond} items per second";
                }
            }

            if (client.Quota is { } quota && state.Used + items > quota.MaxItems)
            {
                return $"quota: {quota.MaxItems} items used up";
            }

            state.Tokens = tokens - items;
            state.LastRefill = now;
            state.Used += items;
            Interlocked.Increment(ref _changes);
            return null;
        }
    }

    private sealed class State(double tokens)
    {
        public double Tokens { get; set; } = tokens;

        public long LastRefill { get; set; } = Stopwatch.GetTimestamp();

        public long Used { get; set; }
    }
}

/// <summary>One client's saved limiter state: tokens in the bucket at <paramref name="RefilledAt"/>, and quota items used.</summary>
internal sealed record LimiterEntry(double Tokens, DateTimeOffset RefilledAt, long Used);
