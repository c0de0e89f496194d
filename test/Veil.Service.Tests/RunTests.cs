using System.Net;
using Veil.Keys;
using Veil.Testing;

namespace Veil.Service.Tests;

/// <summary><see cref="VeilKeyService.RunAsync"/>, what <c>veil serve</c> runs: reports where it listens, serves until cancelled, then stops.</summary>
public sealed class RunTests
{
    [Fact]
    public async Task RunAsync_ReportsItsAddress_ServesUntilCancelled_ThenStops()
    {
        using var keys = new TestKeys();
        using UnwrappedKeyset unwrapped = await keys.UnwrapAsync();
        using var stop = new CancellationTokenSource();
        var listening = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new VeilKeyServiceOptions { Configuration = unwrapped.Configuration, Clients = ServiceHost.Clients(), AuditLog = TextWriter.Null };

        Task run = VeilKeyService.RunAsync(options, logging: null, listening.SetResult, stop.Token);
        string address = Assert.Single(await listening.Task.WaitAsync(TimeSpan.FromMinutes(1)));
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        HttpResponseMessage health = await http.GetAsync(new Uri("/health", UriKind.Relative));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.StartsWith("http://127.0.0.1:", address, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri("/health", UriKind.Relative)));
    }
}
