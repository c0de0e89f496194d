namespace Veil.Keys;

/// <summary>The tenant whose keys are used. Enters key derivation, so each tenant gets unrelated keys. Not secret.</summary>
/// <param name="Value">The identifier. Any string, including the empty one; it is used as UTF-8.</param>
public readonly record struct TenantId(string Value)
{
    /// <summary>The identifier (an absent value reads as the empty string).</summary>
    public string Value { get; } = Value ?? string.Empty;

    /// <inheritdoc/>
    public override string ToString() => Value;
}
