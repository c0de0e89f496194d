namespace Veil.Keys;

/// <summary>A label that, with the tenant id, derives a distinct key from the same secret (for example one per embedding model or per field). Not secret.</summary>
/// <param name="Value">The identifier. Any string, including the empty one; it is used as UTF-8.</param>
public readonly record struct DerivationPath(string Value)
{
    /// <summary>The identifier (an absent value reads as the empty string).</summary>
    public string Value { get; } = Value ?? string.Empty;

    /// <inheritdoc/>
    public override string ToString() => Value;
}
