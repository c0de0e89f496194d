namespace Veil.Keys;

/// <summary>
/// The linear map a vector key applies to each plaintext before Scale-And-Perturb adds its noise. Recorded with the
/// secret path (keyset <c>keyTransform</c>, configuration file <c>keyTransform</c>): readers that do not know a
/// transform refuse the keyset, and a ciphertext made under one transform never verifies under the other.
/// </summary>
public enum VectorKeyTransform
{
    /// <summary>
    /// Alloy's keyed coordinate permutation π_K (the default): bit-exact with IronCore Alloy. A thief holding a few
    /// thousand ciphertexts and a public corpus from the same embedding model recovers π_K from coordinate statistics
    /// (docs/leakage.md, L3), and with it every stored vector up to the noise.
    /// </summary>
    AlloyPermutation = 0,

    /// <summary>
    /// <b>Not Alloy-compatible.</b> A keyed structured rotation R = P₃·B·D₃·P₂·B·D₂·P₁·B·D₁ (keyed ±1 diagonals Dᵢ, keyed
    /// permutations Pᵢ, block Walsh–Hadamard B; P₃ = π_K) under a key derived apart from the Alloy one, so ciphertexts
    /// of the two transforms never verify under each other. It has no coordinates for L3 to match; it is still an
    /// orthogonal map, so known plaintext–ciphertext pairs (about d of them) or an encryption oracle recover it as they
    /// recover the permutation. See docs/leakage.md ("Rotation as a key transform").
    /// </summary>
    StructuredRotation = 1,
}
