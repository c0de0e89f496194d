using Veil.Insecure;
using Veil.Keys;

namespace Veil.Tests.Support;

/// <summary>A client with one vector secret path "vec": current secret id 2 and in-rotation secret id 1.</summary>
internal sealed class VectorFixture : IDisposable
{
    public VectorFixture(float beta = 2.5f, bool scaling = false, int? seed = null, bool inRotation = true)
    {
        Current = new Secret(Enumerable.Range(0, 32).Select(i => (byte)(i + 1)).ToArray());
        Old = new Secret(Enumerable.Range(0, 32).Select(i => (byte)(200 - i)).ToArray());
        var secrets = new RotatableSecret(new IdentifiedSecret(new KeyId(2), Current), inRotation ? new IdentifiedSecret(new KeyId(1), Old) : null);
        Configuration = new VeilConfiguration(vector: TestData.VectorSection("vec", new VectorSecret(beta, secrets, scaling)));
        Client = seed is { } s ? InsecureSeededClient.Create(Configuration, s) : new VeilClient(Configuration);
    }

    public Secret Current { get; }

    public Secret Old { get; }

    public VeilConfiguration Configuration { get; }

    public VeilClient Client { get; }

    /// <summary>A client that knows only the old secret, as current (id 1): it encrypts what the fixture sees as in rotation.</summary>
    public VeilClient OldOnlyClient(float beta = 2.5f, bool scaling = false) =>
        new(new VeilConfiguration(vector: TestData.VectorSection("vec", new VectorSecret(beta, new RotatableSecret(new IdentifiedSecret(new KeyId(1), Old)), scaling))));

    public void Dispose()
    {
        Client.Dispose();
        Current.Dispose();
        Old.Dispose();
    }
}
