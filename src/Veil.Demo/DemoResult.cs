namespace Veil.Demo;

/// <summary>What <see cref="DemoRunner"/> measured.</summary>
/// <param name="Documents">Documents in the corpus.</param>
/// <param name="Stored">Documents stored encrypted.</param>
/// <param name="Queries">Held-out documents searched for.</param>
/// <param name="RecallApproximate">Mean recall@<see cref="DemoOptions.K"/> against exact plaintext search, on encrypted distances only.</param>
/// <param name="RecallReranked">The same, re-ranked on the client over K′ decrypted candidates.</param>
/// <param name="FilterCategory">The category the filtered search used.</param>
/// <param name="FilterMatches">Documents matching the filter on the encrypted category.</param>
/// <param name="FilterPlainMatches">Documents matching it in the plaintext baseline.</param>
/// <param name="RecallSealed">Recall@10 of the sealed collection (with <see cref="DemoOptions.Sealed"/>), else null.</param>
public sealed record DemoResult(
    int Documents, int Stored, int Queries, double RecallApproximate, double RecallReranked, string FilterCategory, int FilterMatches, int FilterPlainMatches, double? RecallSealed = null);
