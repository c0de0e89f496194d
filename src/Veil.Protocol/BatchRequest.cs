namespace Veil.Protocol;

/// <summary>
/// A batch request to the key service: the scope of every item plus the items, each shaped like one line of the
/// matching CLI command (<c>{"tenant","secretPath","derivationPath","newTenant","items":[…]}</c>).
/// </summary>
public sealed class BatchRequest
{
    /// <summary><c>tenant</c>.</summary>
    public string? Tenant { get; set; }

    /// <summary><c>secretPath</c> (vector and field operations).</summary>
    public string? SecretPath { get; set; }

    /// <summary><c>derivationPath</c> (vector and field operations).</summary>
    public string? DerivationPath { get; set; }

    /// <summary><c>newTenant</c>: rotate only, re-encrypt for this tenant.</summary>
    public string? NewTenant { get; set; }

    /// <summary><c>items</c>; null when absent.</summary>
    public IReadOnlyList<ProtocolItem>? Items { get; set; }
}
