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

    /// <summary>
    /// The number of coordinates of every vector under this path, or null (the default, as Alloy) to accept any.
    /// When set, a plaintext or ciphertext of another length is refused by every operation (encrypt, one-way, query,
    /// decrypt, rotate) before any key-dependent work, so callers cannot make the key compute and cache a permutation
    /// per dimension they invent.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or less.</exception>
    public int? Dimensions
    {
        get;
        init
        {
            if (value is <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(Dimensions), value, "The dimension must be greater than zero.");
            }

            field = value;
        }
    }

    /// <summary>
    /// The largest L2 norm a plaintext may have, or null (the default, as Alloy) for no check. When set, encrypt,
    /// one-way encrypt, query and rotate refuse a larger (or non-finite) plaintext with <see cref="ArgumentException"/>.
    /// </summary>
    /// <remarks>
    /// The noise radius is absolute (β/4, or sβ/4), so a plaintext of large norm drowns it: its ciphertext reveals the
    /// key's permutation, which then decrypts every stored vector approximately. Any caller who can submit vectors
    /// (an encrypt or query permission) is such an oracle unless inputs are held to the scale β was chosen for. For
    /// normalised embeddings use 1 + 1e-3 (float rounding); for models whose embeddings are not normalised, their
    /// largest expected norm. Bounding the norm removes the one-call attack, not the patient one: see docs/keys.md.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">Set to NaN, infinity, zero or a negative number.</exception>
    public float? MaxNorm
    {
        get;
        init
        {
            if (value is { } norm && (!float.IsFinite(norm) || norm <= 0f))
            {
                throw new ArgumentOutOfRangeException(nameof(MaxNorm), value, "The maximum norm must be a finite number greater than zero.");
            }

            field = value;
        }
    }

    /// <summary>
    /// The linear map applied to plaintexts before Scale-And-Perturb: <see cref="VectorKeyTransform.AlloyPermutation"/>
    /// (the default, Alloy-compatible) or <see cref="VectorKeyTransform.StructuredRotation"/> (not Alloy-compatible).
    /// Part of the key: ciphertexts made under one transform fail verification under the other, so it cannot change
    /// within a path.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a defined transform.</exception>
    public VectorKeyTransform KeyTransform
    {
        get;
        init
        {
            if (value is not (VectorKeyTransform.AlloyPermutation or VectorKeyTransform.StructuredRotation))
            {
                throw new ArgumentOutOfRangeException(nameof(KeyTransform), value, "Unknown vector key transform.");
            }

            field = value;
        }
    }

    /// <summary>A copy of these settings, with the same secrets and key transform, and the given input limits.</summary>
    public VectorSecret WithLimits(int? dimensions, float? maxNorm) =>
        new(ApproximationFactor, Secrets, UseScalingFactor) { Dimensions = dimensions, MaxNorm = maxNorm, KeyTransform = KeyTransform };
}
