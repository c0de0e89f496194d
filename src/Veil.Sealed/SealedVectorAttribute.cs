namespace Veil.Sealed;

/// <summary>
/// Marks the string property that holds the sealed form (base64) of a vector property in the store. The sealed
/// collection fills it on upsert, clears the vector property before the record reaches the store, and restores the
/// vector from it on read.
/// </summary>
/// <param name="vectorProperty">The name of the vector property this property seals.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SealedVectorAttribute(string vectorProperty) : Attribute
{
    /// <summary>The name of the vector property this property seals.</summary>
    public string VectorProperty { get; } = vectorProperty;
}
