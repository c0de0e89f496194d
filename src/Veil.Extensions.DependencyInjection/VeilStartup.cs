using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Veil.Extensions.DependencyInjection;

/// <summary>Loads the keys (or sets up the key service client) when the host starts, so a bad keyset or KMS fails start-up, not the first request.</summary>
internal sealed class VeilStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<VeilOperationsSource>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
