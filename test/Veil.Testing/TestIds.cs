using Veil.Keys;

namespace Veil.Testing;

/// <summary>The identifiers most tests use, constructed once (they do not convert from strings).</summary>
public static class TestIds
{
    /// <summary>The vector secret path "vec".</summary>
    public static readonly SecretPath Vec = new("vec");

    /// <summary>The secret path "p".</summary>
    public static readonly SecretPath P = new("p");

    /// <summary>The derivation path "model".</summary>
    public static readonly DerivationPath Model = new("model");

    /// <summary>The tenant "tenant".</summary>
    public static readonly TenantId Tenant = new("tenant");

    /// <summary>The tenant "tenant-a".</summary>
    public static readonly TenantId TenantA = new("tenant-a");

    /// <summary>The tenant "tenant-b".</summary>
    public static readonly TenantId TenantB = new("tenant-b");
}
