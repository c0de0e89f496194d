using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Veil.Service;

/// <summary>
/// The key service in any ASP.NET Core app: <c>builder.Services.AddVeilKeyService(builder.Configuration.GetSection("VeilKeyService"))</c>
/// then <c>app.MapVeilKeyService()</c>. <c>veil serve</c> (<see cref="VeilKeyService.StartAsync(VeilKeyServiceOptions, CancellationToken)"/>)
/// hosts exactly this registration.
/// </summary>
/// <remarks>
/// Telemetry: logs under the category <c>Veil.Service.KeyService</c> (counts, operations and statuses, never
/// plaintext, ciphertext, keys, API keys or tenant ids); the meter and activity source are both named
/// <c>Veil.Service</c> (<c>veil.service.requests</c>, <c>veil.service.items</c>, <c>veil.service.request.duration</c>, and
/// one span per request), for OpenTelemetry's <c>AddMeter("Veil.Service")</c> and <c>AddSource("Veil.Service")</c>.
/// </remarks>
public static partial class VeilKeyServiceExtensions
{
    /// <summary>Adds the key service, configured in code; the options are validated when the host starts.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options (keys and clients in code, or their files).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddVeilKeyService(this IServiceCollection services, Action<VeilKeyServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<VeilKeyServiceOptions>().Configure(configure).ValidateOnStart();
        return AddCore(services);
    }

    /// <summary>
    /// Adds the key service, bound from a configuration section such as
    /// <c>{"Keys":{"KeysetPath":"keyset.json"},"ClientsPath":"clients.json","AuditLogPath":"audit.jsonl"}</c>; the
    /// options are validated when the host starts, with messages naming the setting.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section (usually <see cref="VeilKeyServiceOptions.SectionName"/>).</param>
    /// <param name="configure">Further settings in code, applied after binding.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddVeilKeyService(this IServiceCollection services, IConfiguration configuration, Action<VeilKeyServiceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<VeilKeyServiceOptions>().Bind(configuration).Configure(o => configure?.Invoke(o)).ValidateOnStart();
        return AddCore(services);
    }

    /// <summary>
    /// Maps the key service's endpoints under <paramref name="prefix"/>: <c>GET health</c> (open), <c>GET metrics</c>
    /// (the <c>metrics</c> operation) and <c>POST v1/{kind}/{action}</c>.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="prefix">A route prefix such as <c>/keys</c>; empty (the default) maps them at the root.</param>
    /// <returns>The group of endpoints, to add conventions to.</returns>
    /// <exception cref="InvalidOperationException"><c>AddVeilKeyService</c> was not called.</exception>
    public static RouteGroupBuilder MapVeilKeyService(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        if (endpoints.ServiceProvider.GetService<IServiceProviderIsService>() is { } registered && !registered.IsService(typeof(KeyServiceRuntime)))
        {
            throw new InvalidOperationException("MapVeilKeyService needs services.AddVeilKeyService(…) first.");
        }

        RouteGroupBuilder group = endpoints.MapGroup(prefix);
        group.MapGet("/health", () => Results.Json(new { status = "ok" }));
        group.MapGet("/metrics", (HttpContext context) => RunAsync(context, ServiceOperations.Metrics, (handler, c) => handler.MetricsAsync(c)));
        group.MapPost("/v1/{kind}/{action}", (HttpContext context, string kind, string action) => RunAsync(context, $"{kind}.{action}", (handler, c) => handler.HandleAsync(c, kind, action)));
        return group;
    }

    private static IServiceCollection AddCore(IServiceCollection services)
    {
        services.AddMetrics();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VeilKeyServiceOptions>, VeilKeyServiceOptionsValidator>());
        services.TryAddSingleton<KeyServiceRuntime>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KeyServiceStartup>());
        return services;
    }

    /// <summary>One request: the body limit, a span, the handler, then the duration and a log line.</summary>
    private static async Task RunAsync(HttpContext context, string operation, Func<RequestHandler, HttpContext, Task> handle)
    {
        KeyServiceRuntime runtime = context.RequestServices.GetRequiredService<KeyServiceRuntime>();
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = runtime.Options.MaxRequestBodyBytes;
        }

        // Routes are caller-chosen: only known operation names reach tags and logs.
        string known = ServiceOperations.All.Contains(operation) ? operation : "unknown";
        TimeProvider time = runtime.Options.TimeProvider;
        long start = time.GetTimestamp();
        using Activity? activity = ServiceMetrics.ActivitySource.StartActivity("veil.service " + known);
        activity?.SetTag("veil.operation", known);
        await handle(runtime.Handler, context).ConfigureAwait(false);
        int status = context.Response.StatusCode;
        activity?.SetTag("http.response.status_code", status);
        if (status >= 500)
        {
            activity?.SetStatus(ActivityStatusCode.Error);
            LogFailed(runtime.Logger, known, status);
        }
        else
        {
            LogAnswered(runtime.Logger, known, status);
        }

        runtime.Metrics.RecordDuration(known, status, time.GetElapsedTime(start));
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Veil key service: {Operation} answered {Status}")]
    private static partial void LogAnswered(ILogger logger, string operation, int status);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Veil key service: {Operation} failed with {Status} (see the audit log)")]
    private static partial void LogFailed(ILogger logger, string operation, int status);
}
