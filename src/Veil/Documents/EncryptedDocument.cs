using System.Diagnostics;

namespace Veil.Documents;

/// <summary>
/// A document encrypted with standard (AES-256-GCM) encryption: the encrypted data-encryption key (EDEK) and each
/// field encrypted under that key. Alloy's <c>EncryptedDocument</c>, byte for byte.
/// </summary>
/// <remarks>
/// <para><see cref="Edek"/> is Alloy's <c>EdekWithKeyIdHeader</c>: the 6-byte key-id header (secret id, <c>0x82</c>,
/// <c>0x00</c>) followed by a signed <c>V4DocumentHeader</c>. Each value of <see cref="Fields"/> is a V5 payload,
/// <c>00 49 52 4F 4E</c> ‖ IV(12) ‖ ciphertext ‖ tag(16), i.e. the plaintext length plus 33 bytes.</para>
/// <para><b>Security.</b> Nothing here is secret, but field lengths reveal plaintext lengths. The arrays are not
/// copied; do not change them while the document is in use.</para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class EncryptedDocument
{
    /// <summary>Pairs an EDEK with its encrypted fields (for documents read back from storage).</summary>
    /// <param name="edek">The EDEK with its key-id header.</param>
    /// <param name="fields">Field name → encrypted field bytes. Names are compared ordinally.</param>
    /// <exception cref="ArgumentNullException">An argument or a field value is null.</exception>
    public EncryptedDocument(byte[] edek, IReadOnlyDictionary<string, byte[]> fields)
    {
        ArgumentNullException.ThrowIfNull(edek);
        ArgumentNullException.ThrowIfNull(fields);
        var copy = new Dictionary<string, byte[]>(fields.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, byte[]> field in fields)
        {
            ArgumentNullException.ThrowIfNull(field.Value, nameof(fields));
            copy.Add(field.Key, field.Value);
        }

        Edek = edek;
        Fields = copy;
    }

    /// <summary>The encrypted data-encryption key, starting with its 6-byte key-id header.</summary>
    public byte[] Edek { get; }

    /// <summary>Field name → encrypted field bytes.</summary>
    public IReadOnlyDictionary<string, byte[]> Fields { get; }

    /// <inheritdoc/>
    public override string ToString() => $"EncryptedDocument ({Fields.Count} fields, EDEK {Edek.Length} bytes)";
}
