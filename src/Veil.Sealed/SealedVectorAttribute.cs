namespace Veil.Sealed;

/// <summary>
/// Marks the property that holds the sealed form of a vector property in the store: a <c>byte[]</c> (the sealed box, a
/// binary column: BLOB in DuckDB, bytea in PostgreSQL) or a <c>string</c> (the box in base64, a text column a third
/// larger, for stores created that way). The sealed collection fills it on upsert, clears the vector property before
/// the record reaches the store, and restores the vector from it on read. A record type may mark one property per
/// format; its collection definition then lists the one its store uses.
/// </summary>
/// <param name="vectorProperty">The name of the vector property this property seals.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SealedVectorAttribute(string vectorProperty) : Attribute
{
    /// <summary>The name of the vector property this property seals.</summary>
    public string VectorProperty { get; } = vectorProperty;
}
