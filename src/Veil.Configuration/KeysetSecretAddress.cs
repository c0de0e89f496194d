using Veil.Keys;

namespace Veil.Configuration;

/// <summary>Which secrets of a keyset a change acts on: a section and, for vector and deterministic secrets, a path.</summary>
/// <param name="Section">The section.</param>
/// <param name="Path">The secret path (empty for <see cref="KeysetSection.Standard"/>).</param>
public sealed record KeysetSecretAddress(KeysetSection Section, SecretPath Path)
{
    /// <summary>The address given by exactly one of a vector path, a deterministic path and the standard section.</summary>
    /// <param name="vectorPath">A vector secret path, or null.</param>
    /// <param name="deterministicPath">A deterministic-field secret path, or null.</param>
    /// <param name="standard">Whether the standard-document secrets are meant.</param>
    /// <returns>The address.</returns>
    /// <exception cref="ArgumentException">Not exactly one of the three is given.</exception>
    public static KeysetSecretAddress Of(string? vectorPath, string? deterministicPath, bool standard) =>
        (vectorPath, deterministicPath, standard) switch
        {
            ({ } vector, null, false) => new(KeysetSection.Vector, new SecretPath(vector)),
            (null, { } deterministic, false) => new(KeysetSection.Deterministic, new SecretPath(deterministic)),
            (null, null, true) => new(KeysetSection.Standard, new SecretPath(string.Empty)),
            _ => throw new ArgumentException("Give exactly one of a vector path, a deterministic path or the standard section."),
        };
}
