namespace Veil.Service.Redis;

/// <summary>How <see cref="RedisLimitsStore"/> reaches Redis and what it does when it cannot.</summary>
public sealed class RedisLimitsOptions
{
    /// <summary>
    /// The StackExchange.Redis configuration string, such as <c>127.0.0.1:6379</c> or
    /// <c>redis.internal:6380,ssl=true,password=…</c>. It may hold a password: it is never logged or echoed.
    /// </summary>
    public required string Configuration { get; init; }

    /// <summary>The Redis password, over any in <see cref="Configuration"/> (so it need not be on a command line).</summary>
    public string? Password { get; init; }

    /// <summary>The environment variable holding the password, read when connecting; used when <see cref="Password"/> is null.</summary>
    public string? PasswordVariable { get; init; }

    /// <summary>
    /// The prefix of every key the store writes (default <c>veil:limits:</c>): services with different prefixes share
    /// nothing, so one Redis can serve several deployments. Client names and derived keys appear only hashed.
    /// </summary>
    public string Prefix { get; init; } = "veil:limits:";

    /// <summary>What a request gets while Redis cannot be reached; <see cref="RedisUnreachable.FailClosed"/> by default.</summary>
    public RedisUnreachable WhenUnreachable { get; init; } = RedisUnreachable.FailClosed;

    /// <summary>The clock of the local limits used by <see cref="RedisUnreachable.UseLocalLimits"/> (the shared ones use Redis's clock).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>What the service does with a request while Redis cannot be reached (or times out).</summary>
public enum RedisUnreachable
{
    /// <summary>Refuse it with 503 (audited) and no result: no client ever gets past its limits.</summary>
    FailClosed,

    /// <summary>
    /// Check it against this instance's own in-memory limits until Redis answers again: the service stays up, but during
    /// the outage each instance grants each client its full rate and quota, and what is used then is not added to
    /// Redis. Opt in only where availability matters more than the bound.
    /// </summary>
    UseLocalLimits,
}
