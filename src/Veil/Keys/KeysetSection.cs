namespace Veil.Keys;

/// <summary>The section of a keyset (and of a <see cref="VeilConfiguration"/>) a secret belongs to.</summary>
public enum KeysetSection
{
    /// <summary>Vector (Scale-And-Perturb) secrets, per secret path, with β and the scaling choice.</summary>
    Vector,

    /// <summary>Deterministic (AES-SIV) field secrets, per secret path.</summary>
    Deterministic,

    /// <summary>Standard (AES-256-GCM) document secrets; one set, whose secret path is always empty.</summary>
    Standard,
}
