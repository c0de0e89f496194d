using System.Collections.Concurrent;

namespace Veil.Service;

/// <summary>
/// Per-client token buckets and quotas, counting items and vector floats (items × dimension) rather than requests, and
/// per-key quotas counting items per derived key. Every clock is <see cref="TimeProvider"/>'s.
/// </summary>
/// <remarks>
/// Quotas survive a crash through reservations: consumption beyond what is reserved reserves a further block (a 64th of
/// the quota, or the request), and the caller must save the state (<see cref="Acquired.MustPersist"/>) before
/// answering. Saved state counts the reservations as used, so a crash loses at most one unused block per counter and
/// never grants more than the quota; a clean stop (<see cref="Snapshot"/> with <c>final</c>) saves what was used.
/// </remarks>
internal sealed class ClientLimiter(TimeProvider time)
{
    /// <summary>The most derived keys tracked per client for its key quota; a client asking for more is refused.</summary>
    public const int MaxKeysPerClient = 10_000;

    internal static readonly string TooManyKeysMessage = $"key quota: more than {MaxKeysPerClient} keys";

    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);
    private long _changes;

    /// <summary>Grows with every change of a bucket or quota, so a saver can tell whether there is anything to save.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>
    /// Every client's buckets (as of their last refill, with that time on the wall clock) and quotas used; unless
    /// <paramref name="final"/>, reserved quota counts as used (what a crash after this save must assume).
    /// </summary>
    public Dictionary<string, LimiterEntry> Snapshot(bool final = false)
    {
        long now = time.GetTimestamp();
        DateTimeOffset wallNow = time.GetUtcNow();
        var entries = new Dictionary<string, LimiterEntry>(StringComparer.Ordinal);
        foreach ((string name, State state) in _states)
        {
            lock (state)
            {
                entries[name] = new LimiterEntry(
                    state.Items.Tokens,
                    state.Floats.Tokens,
                    wallNow - time.GetElapsedTime(state.LastRefill, now),
                    state.UsedItems.Saved(final),
                    state.UsedFloats.Saved(final),
                    state.Keys.ToDictionary(k => k.Key, k => k.Value.Saved(final)));
            }
        }

        return entries;
    }

    /// <summary>Restores saved buckets and quotas; a bucket refills for the time since it was saved (and never beyond its burst).</summary>
    public void Restore(IReadOnlyDictionary<string, LimiterEntry> entries)
    {
        long now = time.GetTimestamp();
        DateTimeOffset wallNow = time.GetUtcNow();
        foreach ((string name, LimiterEntry entry) in entries)
        {
            double since = Math.Max(0, (wallNow - entry.RefilledAt).TotalSeconds);
            var state = new State(entry.Tokens, entry.FloatTokens ?? 0, now - (long)(since * time.TimestampFrequency));
            state.UsedItems.Restore(entry.Used);
            state.UsedFloats.Restore(entry.UsedFloats);
            foreach ((DerivedKey key, long used) in entry.Keys)
            {
                var counter = new Counter();
                counter.Restore(used);
                state.Keys[key] = counter;
            }

            _states[name] = state;
        }
    }

    /// <summary>Before the body is read: why the client could not use even one item (or, for a vector operation, one float) now, or null.</summary>
    public string? RefusalBeforeBody(ClientPolicy client, bool vector)
    {
        if (!_states.TryGetValue(client.Name, out State? state))
        {
            return null;
        }

        lock (state)
        {
            long now = time.GetTimestamp();
            RateLimitPolicy? rate = client.RateLimit;
            return rate?.ItemsPerSecond is { } items && Refill(state.Items.Tokens, rate.Burst!.Value, items, state, now) < 1 ? RateMessage(1, rate.Burst.Value, items, "items")
                : vector && rate?.FloatsPerSecond is { } floats && Refill(state.Floats.Tokens, rate.FloatBurst!.Value, floats, state, now) < 1 ? RateMessage(1, rate.FloatBurst.Value, floats, "floats")
                : client.Quota?.MaxItems is { } maxItems && state.UsedItems.Used >= maxItems ? QuotaMessage(maxItems, "items")
                : vector && client.Quota?.MaxFloats is { } maxFloats && state.UsedFloats.Used >= maxFloats ? QuotaMessage(maxFloats, "floats")
                : null;
        }
    }

    /// <summary>Takes the charge from the client's buckets and quotas, or returns why not (nothing is taken then).</summary>
    public Acquired TryAcquire(ClientPolicy client, Charge charge)
    {
        RateLimitPolicy? rate = client.RateLimit;
        State state = _states.GetOrAdd(client.Name, static (_, a) => new State(a.Rate?.Burst ?? 0, a.Rate?.FloatBurst ?? 0, a.Now), (Rate: rate, Now: time.GetTimestamp()));
        lock (state)
        {
            long now = time.GetTimestamp();
            double items = rate?.ItemsPerSecond is { } ips ? Refill(state.Items.Tokens, rate.Burst!.Value, ips, state, now) : state.Items.Tokens;
            double floats = rate?.FloatsPerSecond is { } fps ? Refill(state.Floats.Tokens, rate.FloatBurst!.Value, fps, state, now) : state.Floats.Tokens;
            string? refusal = rate?.ItemsPerSecond is { } itemRate && charge.Items > items ? RateMessage(charge.Items, rate.Burst!.Value, itemRate, "items")
                : rate?.FloatsPerSecond is { } floatRate && charge.Floats > floats ? RateMessage(charge.Floats, rate.FloatBurst!.Value, floatRate, "floats")
                : null;
            if (refusal is not null)
            {
                // The refill is kept (it is owed either way); nothing is taken.
                state.Items.Tokens = items;
                state.Floats.Tokens = floats;
                state.LastRefill = now;
                Interlocked.Increment(ref _changes);
                return new Acquired(refusal, false);
            }

            refusal = client.Quota?.MaxItems is { } maxItems && state.UsedItems.Used + charge.Items > maxItems ? QuotaMessage(maxItems, "items")
                : client.Quota?.MaxFloats is { } maxFloats && state.UsedFloats.Used + charge.Floats > maxFloats ? QuotaMessage(maxFloats, "floats")
                : client.KeyQuota is { } keyQuota ? KeyQuotaRefusal(state, keyQuota.MaxItems, charge)
                : null;
            if (refusal is not null)
            {
                return new Acquired(refusal, false);
            }

            // A count without a rate keeps its tokens (so adding a rate later starts from a full bucket, not a debt).
            state.Items.Tokens = rate?.ItemsPerSecond is null ? items : items - charge.Items;
            state.Floats.Tokens = rate?.FloatsPerSecond is null ? floats : floats - charge.Floats;
            state.LastRefill = now;
            bool persist = state.UsedItems.Take(charge.Items, client.Quota?.MaxItems);
            persist |= state.UsedFloats.Take(charge.Floats, client.Quota?.MaxFloats);
            if (client.KeyQuota is { } quota)
            {
                foreach (DerivedKey key in charge.Keys)
                {
                    if (!state.Keys.TryGetValue(key, out Counter? counter))
                    {
                        state.Keys[key] = counter = new Counter();
                    }

                    persist |= counter.Take(charge.Items, quota.MaxItems);
                }
            }

            Interlocked.Increment(ref _changes);
            return new Acquired(null, persist);
        }
    }

    private static string? KeyQuotaRefusal(State state, long maxItems, Charge charge)
    {
        int added = 0;
        foreach (DerivedKey key in charge.Keys)
        {
            if (!state.Keys.TryGetValue(key, out Counter? counter))
            {
                added++;
                if (state.Keys.Count + added > MaxKeysPerClient)
                {
                    return TooManyKeysMessage;
                }

                if (charge.Items > maxItems)
                {
                    return KeyQuotaMessage(maxItems, used: false);
                }
            }
            else if (counter.Used + charge.Items > maxItems)
            {
                return KeyQuotaMessage(maxItems, used: true);
            }
        }

        return null;
    }

    internal static string QuotaMessage(long max, string unit) => $"quota: {max} {unit} used up";

    internal static string KeyQuotaMessage(long maxItems, bool used) =>
        used ? $"key quota: {maxItems} items per key used up for this tenant, secret path and derivation path" : $"key quota: {maxItems} items per key";

    private double Refill(double tokens, double burst, double perSecond, State state, long now) =>
        Math.Min(burst, tokens + (time.GetElapsedTime(state.LastRefill, now).TotalSeconds * perSecond));

    internal static string RateMessage(long wanted, double burst, double perSecond, string unit) =>
        wanted > burst ? $"rate limit: {wanted} {unit} exceed the burst of {burst}" : $"rate limit: {perSecond} {unit} per second";

    private sealed class State(double items, double floats, long lastRefill)
    {
        public Bucket Items { get; } = new() { Tokens = items };

        public Bucket Floats { get; } = new() { Tokens = floats };

        public long LastRefill { get; set; } = lastRefill;

        public Counter UsedItems { get; } = new();

        public Counter UsedFloats { get; } = new();

        public Dictionary<DerivedKey, Counter> Keys { get; } = [];
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }
    }

    /// <summary>What was used, and what is reserved (and saved as used, until a clean stop).</summary>
    private sealed class Counter
    {
        public long Used { get; private set; }

        private long Reserved { get; set; }

        public long Saved(bool final) => final ? Used : Math.Max(Used, Reserved);

        public void Restore(long used) => Used = Reserved = used;

        /// <summary>Counts <paramref name="amount"/>; true when that went beyond the reservation and a new one must be saved.</summary>
        public bool Take(long amount, long? max)
        {
            Used += amount;
            if (max is not { } limit || Used <= Reserved)
            {
                return false;
            }

            Reserved = Math.Min(limit, Used + Math.Max(1, limit / 64));
            return true;
        }
    }
}

/// <summary>A derived key: the tenant, secret path and derivation path of one key (empty paths for documents).</summary>
internal readonly record struct DerivedKey(string Tenant, string SecretPath, string DerivationPath);

/// <summary>What one request uses: its items, the floats of its vectors and the derived keys it touches.</summary>
internal readonly record struct Charge(int Items, long Floats, IReadOnlyList<DerivedKey> Keys);

/// <summary>The answer of <see cref="ClientLimiter.TryAcquire"/>: a refusal, or whether the state must be saved before answering.</summary>
internal readonly record struct Acquired(string? Refusal, bool MustPersist);

/// <summary>One client's saved limiter state: bucket tokens at <paramref name="RefilledAt"/>, quotas used, and items used per key.</summary>
internal sealed record LimiterEntry(double Tokens, double? FloatTokens, DateTimeOffset RefilledAt, long Used, long UsedFloats, IReadOnlyDictionary<DerivedKey, long> Keys);
