using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Veil.Configuration;
using Veil.Keys;

namespace Veil.Service;

/// <summary>
/// What a running key service owns, built once per service provider from the validated options: the keys (loaded
/// from <see cref="VeilKeyServiceOptions.Keys"/> when not given in code), clients, audit writer, limits, dimensions,
/// throttle, metrics and the request handler. Disposed with the service provider: the limits state is saved, and
/// the keys the service loaded itself are zeroed.
/// </summary>
internal sealed partial class KeyServiceRuntime : IAsyncDisposable
{
    private readonly LoadedVeilKeys? _loadedKeys;
    private readonly TextWriter? _ownedAudit;
    private readonly VeilClient _client;
    private readonly VectorDimensions _dimensions;
    private readonly RefusalThrottle _throttle;
    private readonly LimitsSaver? _saver;

    public KeyServiceRuntime(IOptions<VeilKeyServiceOptions> options, TimeProvider time, IMeterFactory meterFactory, ILoggerFactory loggerFactory)
    {
        VeilKeyServiceOptions given = options.Value;
        Logger = loggerFactory.CreateLogger("Veil.Service.KeyService");
        try
        {
            ServiceClients clients = given.Clients ?? ServiceClients.Load(given.ClientsPath!);
            if (given.AllowHyphenatedIds)
            {
                KdfInputs.CheckCollisions(clients.Policies);
            }

            VeilConfiguration configuration = given.Configuration ?? (_loadedKeys = given.Keys.Load()).Configuration;
            if (_loadedKeys is { IsCleartextConfiguration: true })
            {
                LogCleartextKeys(Logger);
            }

            configuration = WithInputLimits(given, configuration);
            TextWriter? audit = given.AuditLog ?? (given.AuditLogPath is { } auditPath ? _ownedAudit = AuditLog.OpenFile(auditPath) : null);
            Options = given.Resolved(configuration, clients, audit, time);

            ServiceState state = Options.LimitsStatePath is { } statePath ? LimiterStateFile.Load(statePath) : new ServiceState(new(StringComparer.Ordinal), new(StringComparer.Ordinal));
            var limiter = new ClientLimiter(time);
            limiter.Restore(state.Clients);
            _client = new VeilClient(configuration);
            _dimensions = new VectorDimensions(configuration, state.Dimensions);
            _throttle = new RefusalThrottle(Options.RefusalBurst, Options.RefusalInterval);
            _saver = Options.LimitsStatePath is { } limitsPath ? new LimitsSaver(limiter, _dimensions, limitsPath, Options.LimitsSaveInterval, time) : null;
            LimitsStore limits = Options.LimitsStore ?? new LocalLimitsStore(limiter, _saver);
            Metrics = new ServiceMetrics(meterFactory);
            Handler = new RequestHandler(Options, _client, limits, _dimensions, _saver, _throttle, new AuditLog(audit), Metrics);
            LogReady(Logger, configuration.Vector.Count, configuration.Deterministic.Count, clients.Policies.Count, Options.LimitsStore is null ? "this process" : "a shared store");
        }
        catch
        {
            _client?.Dispose();
            _throttle?.Dispose();
            _dimensions?.Dispose();
            DisposeOwned();
            throw;
        }
    }

    /// <summary>The options as the service runs with them (keys, clients, audit writer and clock resolved).</summary>
    public VeilKeyServiceOptions Options { get; }

    public RequestHandler Handler { get; }

    public ServiceMetrics Metrics { get; }

    public ILogger Logger { get; }

    public async ValueTask DisposeAsync()
    {
        if (_saver is not null)
        {
            await _saver.DisposeAsync().ConfigureAwait(false);
        }

        Metrics.Dispose();
        _client.Dispose();
        _throttle.Dispose();
        _dimensions.Dispose();
        DisposeOwned();
        LogStopped(Logger);
    }

    /// <summary>The configuration with each vector path's norm limit: the options' for the path, else the path's own, else the default.</summary>
    private static VeilConfiguration WithInputLimits(VeilKeyServiceOptions options, VeilConfiguration configuration)
    {
        foreach (string path in options.MaxNorms.Keys)
        {
            if (!configuration.Vector.ContainsKey(new SecretPath(path)))
            {
                throw new ArgumentException($"A maximum norm is given for '{path}', which is not a vector secret path of the configuration.", nameof(options));
            }
        }

        var vector = new Dictionary<SecretPath, VectorSecret>();
        foreach ((SecretPath path, VectorSecret secret) in configuration.Vector)
        {
            float maxNorm = options.MaxNorms.TryGetValue(path.Value, out float given) ? given : secret.MaxNorm ?? options.DefaultMaxNorm;
            vector[path] = secret.WithLimits(secret.Dimensions, maxNorm);
        }

        return new VeilConfiguration(vector, configuration.Deterministic, configuration.Standard);
    }

    private void DisposeOwned()
    {
        _ownedAudit?.Dispose();
        _loadedKeys?.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Veil key service ready: {VectorPaths} vector and {DeterministicPaths} deterministic secret paths, {Clients} clients, limits kept in {LimitsStore}")]
    private static partial void LogReady(ILogger logger, int vectorPaths, int deterministicPaths, int clients, string limitsStore);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "INSECURE: the Veil key service serves keys from a cleartext configuration file; use a keyset with a KMS in production")]
    private static partial void LogCleartextKeys(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Veil key service stopped; its limits state is saved and the keys it loaded are zeroed")]
    private static partial void LogStopped(ILogger logger);
}
