using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Veil.Service;

/// <summary>
/// Builds the key service when the host starts, so that a missing keyset, a KMS refusal or an unreadable clients or
/// limits file fails start-up rather than the first request; once the server listens, checks every address it bound
/// (plain http only on loopback unless <see cref="VeilKeyServiceOptions.AllowRemoteHttp"/>).
/// </summary>
internal sealed class KeyServiceStartup(IServiceProvider services) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<KeyServiceRuntime>();
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        string[] addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
        if (addresses.Length > 0)
        {
            // https is the host's own TLS configuration (Kestrel refuses https without a certificate itself).
            ServiceUrls.Check(addresses, hasCertificate: true, services.GetRequiredService<KeyServiceRuntime>().Options.AllowRemoteHttp);
        }

        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
