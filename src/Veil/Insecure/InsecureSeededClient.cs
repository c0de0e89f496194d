using Veil.Randomness;

namespace Veil.Insecure;

/// <summary>
/// INSECURE, FOR TESTS ONLY: clients whose IVs and data keys come from a seeded ChaCha20 stream, so that every
/// ciphertext is predictable from the seed. Equivalent to Alloy's <c>new_seeded_for_testing</c> ("DO NOT USE IN
/// PRODUCTION CODE"); it exists to reproduce known answers across SDKs.
/// </summary>
public static class InsecureSeededClient
{
    /// <summary>
    /// Creates a client whose randomness is ChaCha20 seeded with rand_core's <c>seed_from_u64(seed)</c>
    /// (<paramref name="seed"/> sign-extends to 64 bits, as in Alloy). Batches draw their IVs in input order, so they
    /// are deterministic too.
    /// </summary>
    public static VeilClient Create(VeilConfiguration configuration, int seed) =>
        new(configuration, new SeededRandomSource(seed));
}
