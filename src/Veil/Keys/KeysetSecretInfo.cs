namespace Veil.Keys;

/// <summary>The public metadata of one secret in a keyset. Contains no key material.</summary>
/// <param name="Section">The keyset section.</param>
/// <param name="Path">The secret path (empty for <see cref="KeysetSection.Standard"/>).</param>
/// <param name="Id">The key id that ciphertexts made with the secret carry.</param>
/// <param name="State">The lifecycle state.</param>
/// <param name="CreatedAt">When the secret was generated (or imported).</param>
/// <param name="KekUri">The URI of the key-encryption key that wraps the secret.</param>
/// <param name="ApproximationFactor">β, for vector paths; null otherwise.</param>
/// <param name="UseScalingFactor">The scaling choice, for vector paths; null otherwise.</param>
public sealed record KeysetSecretInfo(
    KeysetSection Section,
    SecretPath Path,
    KeyId Id,
    KeysetSecretState State,
    DateTimeOffset CreatedAt,
    string KekUri,
    float? ApproximationFactor,
    bool? UseScalingFactor)
{
    /// <summary>The vector path's dimension, when the keyset fixes one; null otherwise.</summary>
    public int? Dimensions { get; init; }

    /// <summary>The vector path's largest plaintext norm, when the keyset sets one; null otherwise.</summary>
    public float? MaxNorm { get; init; }

    /// <summary>The vector path's key transform; null for other sections.</summary>
    public VectorKeyTransform? KeyTransform { get; init; }
}
