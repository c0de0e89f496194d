namespace Veil.Service.Tests;

/// <summary>One keyset and one running service per test class.</summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    internal TestKeys Keys { get; } = new();

    internal ServiceHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await ServiceHost.StartAsync(Keys);

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Keys.Dispose();
    }
}
