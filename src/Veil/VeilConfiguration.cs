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

    /// <summary>
    /// Checks, before any input is read, that this configuration has what an operation on <paramref name="section"/>
    /// needs: the <paramref name="secretPath"/> in the vector or deterministic section; for standard documents, the
    /// section and, when <paramref name="encrypts"/>, its primary secret (decryption alone needs none).
    /// </summary>
    /// <param name="section">The section the operation uses.</param>
    /// <param name="secretPath">The secret path (ignored for the standard section).</param>
    /// <param name="encrypts">Whether the operation encrypts (or re-wraps) standard documents.</param>
    /// <exception cref="ArgumentException">The configuration lacks it; the message names the path and section, never a secret.</exception>
    public void EnsureConfigured(KeysetSection section, SecretPath secretPath, bool encrypts = false)
    {
        bool configured = section switch
        {
            KeysetSection.Vector => Vector.ContainsKey(secretPath),
            KeysetSection.Deterministic => Deterministic.ContainsKey(secretPath),
            _ => Standard is not null,
        };
        if (!configured)
        {
            throw new ArgumentException(section == KeysetSection.Standard
                ? "The configuration has no standard section."
                : $"The secret path \"{secretPath}\" is not in the configuration's {KeysetNames.Of(section)} section.", nameof(secretPath));
        }

        if (section == KeysetSection.Standard && encrypts && Standard!.Primary is null)
        {
            throw new ArgumentException("Encrypting documents needs standard.primaryId in the configuration.", nameof(encrypts));
        }
    }
}
