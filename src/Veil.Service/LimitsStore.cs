namespace Veil.Service;

/// <summary>
/// Where the service keeps its clients' rate-limit buckets and quotas: in this process (the default, saved to
/// <see cref="VeilKeyServiceOptions.LimitsStatePath"/> when given), or in a store that several instances share (the
/// Redis store of <c>Veil.Service.Redis</c>). The request handler asks it the same two questions either way.
/// </summary>
/// <remarks>Only Veil's own assemblies implement it.</remarks>
public abstract class LimitsStore
{
    private protected LimitsStore()
    {
    }

    /// <summary>Before the body is read: why the client could not use even one item now, or null (a shared store may always answer null).</summary>
    internal abstract string? RefusalBeforeBody(ClientPolicy client, bool vector);

    /// <summary>Takes the charge from the client's buckets and quotas, all of it or nothing, recorded before the answer.</summary>
    internal abstract ValueTask<LimitDecision> AcquireAsync(ClientPolicy client, Charge charge, CancellationToken cancellationToken);
}

/// <summary>The answer of <see cref="LimitsStore.AcquireAsync"/>: granted, limited (429) or the store unavailable (503).</summary>
internal readonly record struct LimitDecision(int Status, string? Reason)
{
    public static LimitDecision Granted => new(200, null);

    public static LimitDecision Limited(string reason) => new(429, reason);

    public static LimitDecision Unavailable(string reason) => new(503, reason);
}

/// <summary>This process's limiter; a quota reservation is saved to the limits state file (when there is one) before the answer.</summary>
internal sealed class LocalLimitsStore(ClientLimiter limiter, LimitsSaver? saver) : LimitsStore
{
    internal override string? RefusalBeforeBody(ClientPolicy client, bool vector) => limiter.RefusalBeforeBody(client, vector);

    internal override ValueTask<LimitDecision> AcquireAsync(ClientPolicy client, Charge charge, CancellationToken cancellationToken)
    {
        Acquired acquired = limiter.TryAcquire(client, charge);
        return ValueTask.FromResult(
            acquired.Refusal is { } refusal ? LimitDecision.Limited(refusal)

            // The quota taken could not be recorded: answering could grant more than the quota after a crash.
            : acquired.MustPersist && saver is not null && !saver.TrySaveNow() ? LimitDecision.Unavailable("the limits state could not be saved")
            : LimitDecision.Granted);
    }
}
