using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

    private VeilKeyService(WebApplication app) => _app = app;

    /// <summary>The addresses actually bound (with the real port when the URL asked for port 0).</summary>
    public IReadOnlyList<string> Addresses => BoundAddresses(_app);

    /// <summary>Opens a file for <see cref="VeilKeyServiceOptions.AuditLog"/>: appending, and keeping nothing it failed to write.</summary>
    public static TextWriter OpenAuditFile(string path) => AuditLog.OpenFile(path);

    /// <summary>Builds and starts the service, without logging.</summary>
    /// <exception cref="ArgumentException">A URL is not allowed (<see cref="ServiceUrls.Check"/>), or <see cref="VeilKeyServiceOptions.MaxNorms"/> names an unknown path or an impossible norm.</exception>
    /// <exception cref="FormatException">The limits state file exists but cannot be read as one, or with hyphenated ids allowed a client's policy reaches another tenant's keys.</exception>
    /// <exception cref="OptionsValidationException">The options are incomplete or out of range (<see cref="VeilKeyServiceOptionsValidator"/>).</exception>
    public static Task<VeilKeyService> StartAsync(VeilKeyServiceOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(options, null, cancellationToken);

    /// <summary>
    /// Builds and starts the service on its own Kestrel server: a small web application with
    /// <see cref="VeilKeyServiceExtensions.AddVeilKeyService(IServiceCollection, Action{VeilKeyServiceOptions})"/> and
    /// <see cref="VeilKeyServiceExtensions.MapVeilKeyService"/>, listening on <see cref="VeilKeyServiceOptions.Urls"/>.
    /// </summary>
    /// <param name="options">The options; <see cref="VeilKeyServiceOptions.TimeProvider"/> is the service's clock.</param>
    /// <param name="logging">Adds logging providers (none when null: the service logs nothing).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ArgumentException">A URL is not allowed (<see cref="ServiceUrls.Check"/>), or <see cref="VeilKeyServiceOptions.MaxNorms"/> names an unknown path or an impossible norm.</exception>
    /// <exception cref="FormatException">The limits state file exists but cannot be read as one, or with hyphenated ids allowed a client's policy reaches another tenant's keys.</exception>
    /// <exception cref="OptionsValidationException">The options are incomplete or out of range (<see cref="VeilKeyServiceOptionsValidator"/>).</exception>
    public static async Task<VeilKeyService> StartAsync(VeilKeyServiceOptions options, Action<ILoggingBuilder>? logging, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ServiceUrls.Check(options.Urls, options.Certificate is not null, options.AllowRemoteHttp);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
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

        builder.Services.AddSingleton(options.TimeProvider);
        builder.Services.AddVeilKeyService(_ => { });

        // The caller's options object itself goes through the same configuration and validation.
        builder.Services.AddSingleton<IOptionsFactory<VeilKeyServiceOptions>>(services => new GivenOptionsFactory(
            options,
            services.GetServices<IConfigureOptions<VeilKeyServiceOptions>>(),
            services.GetServices<IPostConfigureOptions<VeilKeyServiceOptions>>(),
            services.GetServices<IValidateOptions<VeilKeyServiceOptions>>()));
        WebApplication app = builder.Build();
        app.MapVeilKeyService();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            // Whatever else configured Kestrel (environment variables, …), every address bound obeys the same rule.
            ServiceUrls.Check(BoundAddresses(app), options.Certificate is not null, options.AllowRemoteHttp);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new VeilKeyService(app);
    }

    /// <summary>Waits until the service is stopped (Ctrl+C, SIGTERM, or <paramref name="cancellationToken"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>
    /// Starts the service (<see cref="StartAsync(VeilKeyServiceOptions, Action{ILoggingBuilder}?, CancellationToken)"/>),
    /// reports the addresses it is bound to, and runs it until the host is asked to stop (Ctrl+C, SIGTERM) or
    /// <paramref name="cancellationToken"/> is cancelled; then stops it. What <c>veil serve</c> runs.
    /// </summary>
    /// <param name="options">The options.</param>
    /// <param name="logging">Adds logging providers (none when null).</param>
    /// <param name="started">Called once with the bound addresses, such as <c>http://127.0.0.1:5123</c>.</param>
    /// <param name="cancellationToken">Stops the service.</param>
    /// <returns>A task that completes once the service has stopped.</returns>
    /// <exception cref="ArgumentException">A URL is not allowed, or <see cref="VeilKeyServiceOptions.MaxNorms"/> names an unknown path or an impossible norm.</exception>
    /// <exception cref="FormatException">The limits state file cannot be read, or a client's policy reaches another tenant's keys.</exception>
    /// <exception cref="OptionsValidationException">The options are incomplete or out of range.</exception>
    public static async Task RunAsync(VeilKeyServiceOptions options, Action<ILoggingBuilder>? logging, Action<IReadOnlyList<string>> started, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(started);
        VeilKeyService service = await StartAsync(options, logging, cancellationToken).ConfigureAwait(false);
        await using (service.ConfigureAwait(false))
        {
            started(service.Addresses);
            try
            {
                await service.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Cancelled: stop cleanly.
            }
        }
    }

    /// <summary>Stops the service and drops its encryptors (the configuration's secrets stay with the caller).</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static string[] BoundAddresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>An options factory whose instance is the given object, configured and validated like any other.</summary>
    private sealed class GivenOptionsFactory(
        VeilKeyServiceOptions given,
        IEnumerable<IConfigureOptions<VeilKeyServiceOptions>> setups,
        IEnumerable<IPostConfigureOptions<VeilKeyServiceOptions>> postConfigures,
        IEnumerable<IValidateOptions<VeilKeyServiceOptions>> validations)
        : OptionsFactory<VeilKeyServiceOptions>(setups, postConfigures, validations)
    {
        protected override VeilKeyServiceOptions CreateInstance(string name) => given;
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
