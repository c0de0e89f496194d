using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Veil.Keys;

namespace Veil.Service;

/// <summary>
/// <c>veil serve</c>: an HTTP/JSON service holding unwrapped keys in memory. Every <c>POST /v1/{kind}/{action}</c> is
/// authenticated (API key in <c>Authorization: Bearer</c> or <c>X-Api-Key</c>), authorised by the client's policy,
/// rate limited and quota-checked by items and vector floats, and audited. <c>GET /health</c> is open; <c>GET /metrics</c> needs
/// the <c>metrics</c> operation.
/// </summary>
public sealed class VeilKeyService : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Resources _resources;

    private VeilKeyService(WebApplication app, Resources resources)
    {
        _app = app;
        _resources = resources;
    }

    /// <summary>The addresses actually bound (with the real port when the URL asked for port 0).</summary>
    public IReadOnlyList<string> Addresses => BoundAddresses(_app);

    /// <summary>Opens a file for <see cref="VeilKeyServiceOptions.AuditLog"/>: appending, and keeping nothing it failed to write.</summary>
    public static TextWriter OpenAuditFile(string path) => AuditLog.OpenFile(path);

    /// <summary>Builds and starts the service.</summary>
    /// <exception cref="ArgumentException">A URL is not allowed (<see cref="ServiceUrls.Check"/>), or <see cref="VeilKeyServiceOptions.MaxNorms"/> names an unknown path or an impossible norm.</exception>
    /// <exception cref="FormatException">The limits state file exists but cannot be read as one, or with hyphenated ids allowed a client's policy reaches another tenant's keys.</exception>
    public static async Task<VeilKeyService> StartAsync(VeilKeyServiceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ServiceUrls.Check(options.Urls, options.Certificate is not null, options.AllowRemoteHttp);
        if (options.AllowHyphenatedIds)
        {
            KdfInputs.CheckCollisions(options.Clients.Policies);
        }

        VeilConfiguration configuration = WithInputLimits(options);
        ServiceState state = options.LimitsStatePath is { } statePath ? LimiterStateFile.Load(statePath) : new ServiceState(new(StringComparer.Ordinal), new(StringComparer.Ordinal));
        var limiter = new ClientLimiter(options.TimeProvider);
        limiter.Restore(state.Clients);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls([.. ServiceUrls.Split(options.Urls)]);
        if (options.Certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            if (options.Certificate is { } certificate)
            {
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
        });

        WebApplication app = builder.Build();
        var resources = new Resources(new VeilClient(configuration), new VectorDimensions(configuration, state.Dimensions), new RefusalThrottle(options.RefusalBurst, options.RefusalInterval));
        resources.Saver = options.LimitsStatePath is { } limitsPath ? new LimitsSaver(limiter, resources.Dimensions, limitsPath, options.LimitsSaveInterval, options.TimeProvider) : null;
        LimitsStore limits = options.LimitsStore ?? new LocalLimitsStore(limiter, resources.Saver);
        var handler = new RequestHandler(options, resources.Client, limits, resources.Dimensions, resources.Saver, resources.Throttle, new AuditLog(options.AuditLog), new ServiceMetrics());
        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        app.MapGet("/metrics", handler.MetricsAsync);
        app.MapPost("/v1/{kind}/{action}", handler.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            // Whatever else configured Kestrel (environment variables, …), every address bound obeys the same rule.
            ServiceUrls.Check(BoundAddresses(app), options.Certificate is not null, options.AllowRemoteHttp);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            await resources.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new VeilKeyService(app, resources);
    }

    /// <summary>Waits until the service is stopped (Ctrl+C, SIGTERM, or <paramref name="cancellationToken"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the service and drops its encryptors (the configuration's secrets stay with the caller).</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _resources.DisposeAsync().ConfigureAwait(false);
    }

    private static string[] BoundAddresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>The configuration with each vector path's norm limit: the options' for the path, else the path's own, else the default.</summary>
    private static VeilConfiguration WithInputLimits(VeilKeyServiceOptions options)
    {
        VeilConfiguration configuration = options.Configuration;
        foreach (string path in options.MaxNorms.Keys)
        {
            if (!configuration.Vector.ContainsKey(path))
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

    /// <summary>What the running service owns besides the web application.</summary>
    private sealed class Resources(VeilClient client, VectorDimensions dimensions, RefusalThrottle throttle) : IAsyncDisposable
    {
        public VeilClient Client { get; } = client;

        public VectorDimensions Dimensions { get; } = dimensions;

        public RefusalThrottle Throttle { get; } = throttle;

        public LimitsSaver? Saver { get; set; }

        public async ValueTask DisposeAsync()
        {
            if (Saver is not null)
            {
                await Saver.DisposeAsync().ConfigureAwait(false);
            }

            Client.Dispose();
            Throttle.Dispose();
            Dimensions.Dispose();
        }
    }
}

/// <summary>Serializer settings the service alone uses.</summary>
internal static class ServiceWireJson
{
    public static readonly JsonSerializerOptions Audit = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
