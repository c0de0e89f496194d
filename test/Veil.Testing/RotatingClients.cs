using Veil.Keys;

namespace Veil.Testing;

/// <summary>
/// Three clients over fresh random secrets: current (id 2) and in rotation (id 1) for vectors and deterministic fields,
/// standard id 10. For tests of reading across a rotation.
/// </summary>
public sealed class RotatingClients : IDisposable
{
    /// <summary>The vector secret path.</summary>
    public const string VectorPath = "vec";

    /// <summary>The deterministic secret path.</summary>
    public const string FieldPath = "det";

    /// <summary>The tenant the tests encrypt for.</summary>
    public const string Tenant = "tenant-1";

    private readonly Secret _current = Secret.Generate();
    private readonly Secret _old = Secret.Generate();
    private readonly Secret _standard = Secret.Generate();

    /// <summary>New secrets and the three clients over them.</summary>
    public RotatingClients()
    {
        Client = Create(new RotatableSecret(new IdentifiedSecret(new KeyId(2), _current), new IdentifiedSecret(new KeyId(1), _old)));
        OldOnlyClient = Create(new RotatableSecret(new IdentifiedSecret(new KeyId(1), _old)));
        CurrentOnlyClient = Create(new RotatableSecret(new IdentifiedSecret(new KeyId(2), _current)));
    }

    /// <summary>Knows both secrets, current id 2.</summary>
    public VeilClient Client { get; }

    /// <summary>Knows only the old secret (id 1), as current: it writes what <see cref="Client"/> sees as in rotation.</summary>
    public VeilClient OldOnlyClient { get; }

    /// <summary>Knows only the current secret (id 2).</summary>
    public VeilClient CurrentOnlyClient { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Client.Dispose();
        OldOnlyClient.Dispose();
        CurrentOnlyClient.Dispose();
        _current.Dispose();
        _old.Dispose();
        _standard.Dispose();
    }

    private VeilClient Create(RotatableSecret secrets) => new(new VeilConfiguration(
        vector: new Dictionary<SecretPath, VectorSecret> { [new SecretPath(VectorPath)] = new VectorSecret(2.5f, secrets) },
        deterministic: new Dictionary<SecretPath, RotatableSecret> { [new SecretPath(FieldPath)] = secrets },
        standard: new StandardSecrets(new KeyId(10), [new IdentifiedSecret(new KeyId(10), _standard)])));
}
