using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Veil.Service.Redis;

/// <summary>
/// Rate-limit buckets and quotas kept in Redis and shared by every <c>veil serve</c> instance that uses the same
/// Redis and prefix. Each request is one Lua script (<c>EVALSHA</c>), atomic on the server: it refills the client's
/// buckets by the server's <c>TIME</c> (so instances with skewed clocks agree), checks the buckets, the quotas and the
/// per-key quotas, and takes all of the charge or none of it. What a request takes is in Redis before it is answered,
/// so an instance that crashes loses nothing and a quota is never overrun across instances.
/// </summary>
/// <remarks>
/// Keys: <c>{prefix}{h}</c> (a hash: tokens, floatTokens, at, used, usedFloats) and <c>{prefix}{h}:keys</c> (items
/// used per derived key), where <c>h</c> is a SHA-256 prefix of the client name, and derived keys are hashed too; the
/// braces keep a client's keys in one Redis Cluster slot. Quotas last as long as Redis keeps its data: run it with
/// persistence (<c>appendonly yes</c>) when quotas must outlive a Redis restart. The check before the body is read is
/// skipped (it would cost a second round trip); a client over its limits is refused after its body is read. A client
/// with no rate limit, quota or key quota never reaches Redis.
/// </remarks>
public sealed class RedisLimitsStore : LimitsStore, IAsyncDisposable
{
    private const string UnreachableMessage = "the shared limits store (Redis) is unreachable";
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisLimitsOptions _options;
    private readonly ClientLimiter? _local;

    private RedisLimitsStore(ConnectionMultiplexer redis, RedisLimitsOptions options)
    {
        _redis = redis;
        _options = options;
        _local = options.WhenUnreachable == RedisUnreachable.UseLocalLimits ? new ClientLimiter(options.TimeProvider) : null;
    }

    /// <summary>
    /// Connects (in the background: the service starts even while Redis is down, and then fails closed or uses local
    /// limits as <see cref="RedisLimitsOptions.WhenUnreachable"/> says).
    /// </summary>
    /// <exception cref="ArgumentException">The configuration string cannot be parsed, the prefix is empty, or the password variable is not set.</exception>
    public static async Task<RedisLimitsStore> ConnectAsync(RedisLimitsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Prefix);
        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(options.Configuration);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            // The message could quote the string, which may hold a password.
            throw new ArgumentException("The Redis configuration string cannot be parsed.", nameof(options));
        }

        string? password = options.Password ?? (options.PasswordVariable is { } variable
            ? Environment.GetEnvironmentVariable(variable) ?? throw new ArgumentException($"The environment variable {variable} holding the Redis password is not set.", nameof(options))
            : null);
        if (password is not null)
        {
            configuration.Password = password;
        }

        configuration.AbortOnConnectFail = false;

        // While disconnected, commands fail at once instead of queueing until a timeout.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "veil-serve";
        ConnectionMultiplexer redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        return new RedisLimitsStore(redis, options);
    }

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync() => await _redis.DisposeAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public override string ToString() => $"RedisLimitsStore {_options.Prefix}";

    internal override string? RefusalBeforeBody(ClientPolicy client, bool vector) => null;

    internal override async ValueTask<LimitDecision> AcquireAsync(ClientPolicy client, Charge charge, CancellationToken cancellationToken)
    {
        if (client.RateLimit is null && client.Quota is null && client.KeyQuota is null)
        {
            // Nothing to enforce: no round trip, and no outage refuses such a client (its use is not counted either).
            return LimitDecision.Granted;
        }

        string clientKey = _options.Prefix + "{" + Hash(client.Name) + "}";
        RateLimitPolicy? rate = client.RateLimit;
        long? keyQuota = client.KeyQuota?.MaxItems;
        var values = new List<RedisValue>(10 + charge.Keys.Count)
        {
            charge.Items,
            charge.Floats,
            Number(rate?.ItemsPerSecond is null ? null : rate.Burst),
            Number(rate?.ItemsPerSecond),
            Number(rate?.FloatsPerSecond is null ? null : rate.FloatBurst),
            Number(rate?.FloatsPerSecond),
            client.Quota?.MaxItems ?? -1,
            client.Quota?.MaxFloats ?? -1,
            keyQuota ?? -1,
            ClientLimiter.MaxKeysPerClient,
        };
        if (keyQuota is not null)
        {
            values.AddRange(charge.Keys.Select(k => (RedisValue)Hash(k.Tenant, k.SecretPath, k.DerivationPath)));
        }

        long code;
        try
        {
            code = (long)await RunAsync([clientKey, clientKey + ":keys"], [.. values]).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Connection lost, timeout, or a server refusing to run the script (out of memory, read-only replica…).
            return _local is null ? LimitDecision.Unavailable(UnreachableMessage) : Local(client, charge);
        }

        return code switch
        {
            0 => LimitDecision.Granted,
            1 => LimitDecision.Limited(ClientLimiter.RateMessage(charge.Items, rate!.Burst!.Value, rate.ItemsPerSecond!.Value, "items")),
            2 => LimitDecision.Limited(ClientLimiter.RateMessage(charge.Floats, rate!.FloatBurst!.Value, rate.FloatsPerSecond!.Value, "floats")),
            3 => LimitDecision.Limited(ClientLimiter.QuotaMessage(client.Quota!.MaxItems!.Value, "items")),
            4 => LimitDecision.Limited(ClientLimiter.QuotaMessage(client.Quota!.MaxFloats!.Value, "floats")),
            5 => LimitDecision.Limited(ClientLimiter.TooManyKeysMessage),
            6 => LimitDecision.Limited(ClientLimiter.KeyQuotaMessage(keyQuota!.Value, used: false)),
            7 => LimitDecision.Limited(ClientLimiter.KeyQuotaMessage(keyQuota!.Value, used: true)),
            _ => LimitDecision.Unavailable("the shared limits store gave an unknown answer"),
        };
    }

    private async Task<RedisResult> RunAsync(RedisKey[] keys, RedisValue[] values)
    {
        IDatabase database = _redis.GetDatabase();
        try
        {
            return await database.ScriptEvaluateAsync(AcquireScript.Sha1, keys, values).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // First use on this server (or after its restart): EVAL runs the script and caches it for EVALSHA.
            return await database.ScriptEvaluateAsync(AcquireScript.Text, keys, values).ConfigureAwait(false);
        }
    }

    private LimitDecision Local(ClientPolicy client, Charge charge) =>
        _local!.TryAcquire(client, charge).Refusal is { } refusal ? LimitDecision.Limited(refusal) : LimitDecision.Granted;

    private static RedisValue Number(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "-1";

    /// <summary>A key-safe name: 128 bits of SHA-256 over the length-prefixed UTF-8 parts, in hex.</summary>
    private static string Hash(params string[] parts)
    {
        var text = new StringBuilder();
        foreach (string part in parts)
        {
            text.Append(part.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(part);
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 16));
    }
}
