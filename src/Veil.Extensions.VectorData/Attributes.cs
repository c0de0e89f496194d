namespace Veil.Extensions.VectorData;

/// <summary>
/// <b>Warning: deterministic; equal values give equal ciphertexts, which leaks equality and frequency.</b>
/// Marks a <see cref="string"/> or <see cref="byte"/>[] data property of a record to be encrypted deterministically
/// (AES-SIV) by <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/>, so that filters can still compare it
/// with <c>==</c> and <c>!=</c> (and <c>Contains</c> on a list of values).
/// </summary>
/// <remarks>
/// <para><b>Security.</b> Anyone who sees the stored values learns which records share a value, how often each value
/// occurs and how long it is; a null stays null. Use <see cref="EncryptStandardAttribute"/> for values you only need
/// back.</para>
/// <para><b>Storage.</b> A <see cref="string"/> property stores the base64 of the ciphertext (Alloy's
/// <c>encrypted_field</c> bytes: 6-byte key-id header, 16-byte synthetic IV, then the UTF-8 value encrypted); a
/// <see cref="byte"/>[] property stores the bytes.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class EncryptDeterministicallyAttribute : Attribute
{
    /// <summary>
    /// The deterministic secret path to use, or null for <see cref="EncryptingCollectionOptions.DeterministicSecretPath"/>.
    /// </summary>
    public string? SecretPath { get; set; }

    /// <summary>The derivation path to use, or null for the property's name (so equal values in two properties differ).</summary>
    public string? DerivationPath { get; set; }
}

/// <summary>
/// Marks a <see cref="string"/> or <see cref="byte"/>[] data property of a record to be encrypted with standard
/// (randomised, AES-256-GCM) encryption by <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/>: it is
/// returned decrypted but cannot be filtered on.
/// </summary>
/// <remarks>
/// <para><b>Security.</b> IND-CPA and authenticated; only the value's length (and whether it is null) leaks.</para>
/// <para><b>Storage.</b> A <see cref="string"/> property stores the base64 of a standard-attached document (Alloy's
/// <c>StandardAttachedDocumentOps</c> format, the UTF-8 value inside); a <see cref="byte"/>[] property stores the
/// bytes.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class EncryptStandardAttribute : Attribute
{
}

/// <summary>
/// Marks the <see cref="string"/> or <see cref="byte"/>[] data property that stores the paired ICL info (key id, IV and
/// authentication tag, 54 bytes) of a vector property, which decryption and exact re-ranking need. A string property
/// holds the base64 of the bytes. In one-way mode nothing is stored in it.
/// </summary>
/// <remarks>The paired ICL info is not secret. Declare the property as a data property of the record, as any other.</remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class PairedIclInfoAttribute : Attribute
{
    /// <summary>Marks the companion of the vector property named <paramref name="vectorPropertyName"/>.</summary>
    /// <param name="vectorPropertyName">The name of the vector property (use <c>nameof</c>).</param>
    public PairedIclInfoAttribute(string vectorPropertyName)
    {
        VectorPropertyName = vectorPropertyName;
    }

    /// <summary>The name of the vector property whose paired ICL info this property stores.</summary>
    public string VectorPropertyName { get; }
}
