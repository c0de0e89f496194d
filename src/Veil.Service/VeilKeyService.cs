using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Veil.Service.Wire;

namespace Veil.Service;

/// <summary>
/// <c>veil serve</c>: an HTTP/JSON service holding unwrapped keys in memory. Every <c>POST /v1/{kind}/{action}</c> is
/// authenticated (API key in <c>Authorization: Bearer</c> or <c>X-Api-Key</c>), authorised by the client's policy,
/// rate limited and quota-checked by item count, and audited. <c>GET /health</c> is open; <c>GET /metrics</c> needs
/// the <c>metrics</c> operation.
/// </summary>
public sealed class VeilKeyService : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly VeilClient _client;
    private readonly LimitsSaver? _saver;

    private VeilKeyService(WebApplication app, VeilClient client, LimitsSaver? saver)
    {
        _app = app;
        _client = client;
        _saver = saver;
    }

    /// <summary>The addresses actually bound (with the real port when the URL asked for port 0).</summary>
    public IReadOnlyList<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>Builds and starts the service.</summary>
    /// <exception cref="FormatException">The limits state file exists but cannot be read as one.</exception>
    public static async Task<VeilKeyService> StartAsync(VeilKeyServiceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var limiter = new ClientLimiter();
        if (options.LimitsStatePath is { } statePath)
        {
            limiter.Restore(LimiterStateFile.Load(statePath));
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls([.. options.Urls]);
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
        var client = new VeilClient(options.Configuration);
        LimitsSaver? saver = options.LimitsStatePath is { } limitsPath ? new LimitsSaver(limiter, limitsPath, options.LimitsSaveInterval) : null;
        var handler = new RequestHandler(options, client, limiter, new AuditLog(options.AuditLog), new ServiceMetrics());
        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        app.MapGet("/metrics", handler.MetricsAsync);
        app.MapPost("/v1/{kind}/{action}", handler.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (saver is not null)
            {
                await saver.DisposeAsync().ConfigureAwait(false);
            }

            client.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new VeilKeyService(app, client, saver);
    }

    /// <summary>Waits until the service is stopped (Ctrl+C, SIGTERM, or <paramref name="cancellationToken"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the service and drops its encryptors (the configuration's secrets stay with the caller).</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (_saver is not null)
        {
            await _saver.DisposeAsync().ConfigureAwait(false);
        }

        _client.Dispose();
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
