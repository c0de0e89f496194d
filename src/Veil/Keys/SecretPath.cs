namespace Veil.Keys;

/// <summary>Selects which configured secret (and, for vectors, which approximation factor) is used. It is not an input to key derivation. Not secret.</summary>
/// <param name="Value">The identifier. Any string, including the empty one; it is used as UTF-8.</param>
public readonly record struct SecretPath(string Value)
{
    /// <summary>The identifier (an absent value reads as the empty string).</summary>
    public string Value { get; } = Value ?? string.Empty;

    /// <inheritdoc/>
    public override string ToString() => Value;
}
