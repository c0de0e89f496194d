using System.Threading.RateLimiting;

namespace Veil.Service;

/// <summary>
/// A token bucket of refusals (401, 403, 400, 413) per client, or per remote address for unauthenticated callers:
/// once it is empty, the caller's requests get 429 before their body is read, so a refused caller cannot make the
/// service parse large bodies and write audit lines at full speed.
/// </summary>
internal sealed class RefusalThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public RefusalThrottle(int burst, TimeSpan interval) =>
        _limiter = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = interval,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>The throttle's key for a caller: its client name, or its remote address when unauthenticated.</summary>
    public static string Key(ClientPolicy? client, string? remote) => client is not null ? "client:" + client.Name : "remote:" + remote;

    /// <summary>Whether the caller has used up its refusals: less than one whole refusal left (nothing is taken).</summary>
    public bool IsExhausted(string key) => _limiter.GetStatistics(key) is { CurrentAvailablePermits: < 1 };

    /// <summary>Counts one refusal.</summary>
    public void Count(string key) => _limiter.AttemptAcquire(key, 1).Dispose();

    public void Dispose() => _limiter.Dispose();
}
