using Veil.Keys;

namespace Veil;

/// <summary>
/// Everything a <c>VeilClient</c> needs: the secrets of each mode. The same shape as Alloy's standalone
/// configuration. To share secret bytes between modes, configure the same bytes in each.
/// </summary>
public sealed class VeilConfiguration
{
    /// <summary>Creates the configuration; every section is optional.</summary>
    public VeilConfiguration(
        IReadOnlyDictionary<SecretPath, VectorSecret>? vector = null,
        IReadOnlyDictionary<SecretPath, RotatableSecret>? deterministic = null,
        StandardSecrets? standard = null)
    {
        Vector = vector ?? new Dictionary<SecretPath, VectorSecret>();
        Deterministic = deterministic ?? new Dictionary<SecretPath, RotatableSecret>();
        Standard = standard;
    }

    /// <summary>Vector (Scale-And-Perturb) settings per secret path.</summary>
    public IReadOnlyDictionary<SecretPath, VectorSecret> Vector { get; }

    /// <summary>Deterministic (AES-SIV) field secrets per secret path.</summary>
    public IReadOnlyDictionary<SecretPath, RotatableSecret> Deterministic { get; }

    /// <summary>Standard (AES-256-GCM) document secrets, or null when standard encryption is not configured.</summary>
    public StandardSecrets? Standard { get; }
}
