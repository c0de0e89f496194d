namespace Veil.Keys;

/// <summary>
/// Alloy's key derivation input <c>tenant ‖ "-" ‖ derivationPath</c> does not say where the tenant ends: tenant
/// <c>acme</c> with derivation path <c>eu-body</c> derives the keys of tenant <c>acme-eu</c> with path <c>body</c>.
/// Veil keeps Alloy's bytes; these checks let a caller warn about (or, like the key service, refuse) such ids.
/// </summary>
public static class KdfInput
{
    /// <summary>Whether <paramref name="value"/> (a tenant id or derivation path) contains <c>-</c>, so that its derivation input splits more than one way.</summary>
    /// <param name="value">A tenant id or derivation path, or null.</param>
    /// <returns>True when it contains <c>-</c>.</returns>
    public static bool IsAmbiguous(string? value) => value?.Contains('-', StringComparison.Ordinal) == true;

    /// <summary>The warning for the named tenant ids and derivation paths that contain <c>-</c>, or null when none does.</summary>
    /// <param name="inputs">Each value with the name the caller knows it by (an option or setting).</param>
    /// <returns>One warning naming each ambiguous value, or null.</returns>
    public static string? AmbiguityWarning(IEnumerable<(string Name, string Value)> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        string[] ambiguous = inputs.Where(i => IsAmbiguous(i.Value)).Select(i => $"{i.Name} \"{i.Value}\"").ToArray();
        return ambiguous.Length == 0
            ? null
            : $"warning: {string.Join(", ", ambiguous)} contain{(ambiguous.Length == 1 ? "s" : string.Empty)} '-'. Keys derive from tenant + \"-\" + derivation path (as in Alloy), "
                + "so tenant \"acme\" with path \"eu-body\" and tenant \"acme-eu\" with path \"body\" share one key. Avoid '-' in tenant ids and derivation paths if tenants must stay apart.";
    }
}
