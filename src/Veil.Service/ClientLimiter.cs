using System.Collections.Concurrent;
using System.Diagnostics;

namespace Veil.Service;

/// <summary>Per-client token buckets and quotas, both counting items rather than requests.</summary>
internal sealed class ClientLimiter
{
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

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
