using Veil.Keys;

namespace Veil.Documents.Store.Tests.Support;

/// <summary>
/// One secret path "p" (vector and deterministic) and standard secrets, before and after a rotation: <see cref="Before"/>
/// knows only the old secrets (vector/deterministic id 1, standard 11) as current; <see cref="Promoted"/> has the new
/// ones current (2, 10) and the old ones in rotation; <see cref="NewOnly"/> knows only the new ones.
/// </summary>
internal sealed class RotationKeys : IDisposable
{
    public const string SecretPath = "p";

    private readonly Secret _oldSecret = Secret.Generate();
    private readonly Secret _newSecret = Secret.Generate();
    private readonly Secret _oldStandard = Secret.Generate();
    private readonly Secret _newStandard = Secret.Generate();

    public RotationKeys()
    {
        var oldId = new IdentifiedSecret(new KeyId(1), _oldSecret);
        var newId = new IdentifiedSecret(new KeyId(2), _newSecret);
        var oldStandard = new IdentifiedSecret(new KeyId(11), _oldStandard);
        var newStandard = new IdentifiedSecret(new KeyId(10), _newStandard);
        Before = Create(new RotatableSecret(oldId), new StandardSecrets(new KeyId(11), [oldStandard]));
        Promoted = Create(new RotatableSecret(newId, oldId), new StandardSecrets(new KeyId(10), [newStandard, oldStandard]));
        NewOnly = Create(new RotatableSecret(newId), new StandardSecrets(new KeyId(10), [newStandard]));
        WithoutVectorSecret = new VeilClient(new VeilConfiguration(
            deterministic: new Dictionary<SecretPath, RotatableSecret> { [new SecretPath(SecretPath)] = new RotatableSecret(oldId) },
            standard: new StandardSecrets(new KeyId(11), [oldStandard])));
    }

    public VeilClient Before { get; }

    public VeilClient Promoted { get; }

    public VeilClient NewOnly { get; }

    /// <summary>Before's deterministic and standard secrets and no vector section: all a sealed collection uses.</summary>
    public VeilClient WithoutVectorSecret { get; }

    public void Dispose()
    {
        Before.Dispose();
        Promoted.Dispose();
        NewOnly.Dispose();
        WithoutVectorSecret.Dispose();
        _oldSecret.Dispose();
        _newSecret.Dispose();
        _oldStandard.Dispose();
        _newStandard.Dispose();
    }

    private static VeilClient Create(RotatableSecret secrets, StandardSecrets standard) => new(new VeilConfiguration(
        vector: new Dictionary<SecretPath, VectorSecret> { [new SecretPath(SecretPath)] = new VectorSecret(2.5f, secrets) },
        deterministic: new Dictionary<SecretPath, RotatableSecret> { [new SecretPath(SecretPath)] = secrets },
        standard: standard));
}
