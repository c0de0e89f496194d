namespace Veil.Keys;

/// <summary>
/// The vector-encryption settings of one secret path: its secrets, the approximation factor β and whether the
/// derived scaling factor is applied.
/// </summary>
/// <remarks>
/// <para><b>Choosing β.</b> A larger β adds more noise: ciphertexts resist inversion and membership attacks better
/// but nearest-neighbour order is preserved less well. Alloy suggests starting at √M, M the largest absolute
/// coordinate of the inputs; Alloy's examples use 2.0 to 7.2 for unit-norm embeddings. Measure on your own data.</para>
/// <para><b>Compatibility.</b> β enters every ciphertext's authentication tag, so changing it makes existing
/// ciphertexts undecryptable: rotate to a new secret instead.</para>
/// </remarks>
public sealed class VectorSecret
{
    /// <summary>Creates the settings.</summary>
    /// <param name="approximationFactor">β: finite and greater than zero.</param>
    /// <param name="secrets">The current and in-rotation secrets.</param>
    /// <param name="useScalingFactor">
    /// Multiply plaintexts by the key-derived scaling factor s (Alloy before 0.13). Alloy's default, and ours, is
    /// false, which acts as s = 1.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">β is NaN, infinite, zero or negative.</exception>
    public VectorSecret(float approximationFactor, RotatableSecret secrets, bool useScalingFactor = false)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (!float.IsFinite(approximationFactor) || approximationFactor <= 0f)
        {
            throw new ArgumentOutOfRangeException(
                nameof(approximationFactor),
                approximationFactor,
                "The approximation factor must be a finite number greater than zero.");
        }

        ApproximationFactor = approximationFactor;
        Secrets = secrets;
        UseScalingFactor = useScalingFactor;
    }

    /// <summary>β, the approximation factor.</summary>
    public float ApproximationFactor { get; }

    /// <summary>The live secrets.</summary>
    public RotatableSecret Secrets { get; }

    /// <summary>Whether the derived scaling factor multiplies plaintexts and the noise radius.</summary>
    public bool UseScalingFactor { get; }
}
