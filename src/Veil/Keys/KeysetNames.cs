using System.Globalization;

namespace Veil.Keys;

/// <summary>
/// The names a keyset file gives its sections and secret states, and how it writes times (as written in its JSON and covered by its integrity
/// tag), for tools that show or write keyset metadata the same way.
/// </summary>
public static class KeysetNames
{
    /// <summary>The section's name: <c>vector</c>, <c>deterministic</c> or <c>standard</c>.</summary>
    /// <param name="section">The section.</param>
    /// <returns>Its name in the keyset file.</returns>
    public static string Of(KeysetSection section) => section switch
    {
        KeysetSection.Vector => "vector",
        KeysetSection.Deterministic => "deterministic",
        _ => "standard",
    };

    /// <summary>The state's name: <c>pending</c>, <c>current</c>, <c>inRotation</c> or <c>retired</c>.</summary>
    /// <param name="state">The state.</param>
    /// <returns>Its name in the keyset file.</returns>
    public static string Of(KeysetSecretState state) => state switch
    {
        KeysetSecretState.Pending => "pending",
        KeysetSecretState.Current => "current",
        KeysetSecretState.InRotation => "inRotation",
        _ => "retired",
    };

    /// <summary>The key transform's name: <c>alloyPermutation</c> or <c>structuredRotation</c>.</summary>
    /// <param name="transform">The transform.</param>
    /// <returns>Its name in the keyset and configuration files.</returns>
    public static string Of(VectorKeyTransform transform) => transform switch
    {
        VectorKeyTransform.AlloyPermutation => "alloyPermutation",
        VectorKeyTransform.StructuredRotation => "structuredRotation",
        _ => throw new ArgumentOutOfRangeException(nameof(transform), transform, "Unknown vector key transform."),
    };

    /// <summary>Parses a key transform's name (<see cref="Of(VectorKeyTransform)"/>), exactly as written.</summary>
    /// <param name="name">The name.</param>
    /// <param name="transform">The transform.</param>
    /// <returns>Whether the name is a known transform.</returns>
    public static bool TryParse(string? name, out VectorKeyTransform transform)
    {
        transform = name switch
        {
            "alloyPermutation" => VectorKeyTransform.AlloyPermutation,
            "structuredRotation" => VectorKeyTransform.StructuredRotation,
            _ => (VectorKeyTransform)(-1),
        };
        return transform >= 0;
    }

    /// <summary>A time as the keyset file writes it (whole seconds, UTC, ISO 8601), which its integrity tag covers.</summary>
    /// <param name="time">The time.</param>
    /// <returns>For example <c>2026-12-04T22:43:38Z</c>.</returns>
    public static string Time(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
