using System.Diagnostics;
using System.Text;

namespace Veil.Documents;

/// <summary>
/// Veil's opt-in binding of a standard-encrypted document to its id: with it, each field's AES-GCM ciphertext
/// authenticates the document id, the field's name and the names of every field of the document, so that swapping,
/// renaming, dropping or adding fields, or moving the document to another id, is refused on decrypt.
/// </summary>
/// <remarks>
/// <para><b>Trade-off.</b> A bound document is not readable by IronCore Alloy (nor by Veil without the binding): its
/// fields have Alloy's V5 layout but their tags cover associated data Alloy does not know. Decryption needs the same
/// document id that encryption used, so store or derive the id next to the document (for example the record key).
/// An unbound document does not decrypt as a bound one either.</para>
/// <para><b>Not protected.</b> Replacing a whole document with an older version stored under the same id (replay);
/// the number of fields, their names and the plaintext lengths, which stay visible; and a document of another tenant
/// (that is already refused by the tenant's key, not by the binding).</para>
/// <para>The associated data is length-prefixed and starts with a versioned label; docs/formats.md gives its layout.</para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class DocumentBinding
{
    private readonly byte[] _id;

    private DocumentBinding(byte[] id) => _id = id;

    /// <summary>The document id the ciphertexts are bound to (the bytes given, or the UTF-8 of the string).</summary>
    public ReadOnlyMemory<byte> DocumentId => _id;

    /// <summary>Binds to a document id given as text; it is encoded as UTF-8.</summary>
    /// <param name="documentId">The id, for example a record key.</param>
    /// <returns>The binding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="documentId"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="documentId"/> is not valid UTF-16 (it holds a lone surrogate).</exception>
    public static DocumentBinding ForId(string documentId)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        return new DocumentBinding(BindingAad.Utf8(documentId, nameof(documentId)));
    }

    /// <summary>Binds to a document id given as bytes (copied).</summary>
    /// <param name="documentId">The id.</param>
    /// <returns>The binding.</returns>
    public static DocumentBinding ForId(ReadOnlySpan<byte> documentId) => new(documentId.ToArray());

    /// <summary>The id's bytes, not copied.</summary>
    internal ReadOnlySpan<byte> Id => _id;

    /// <summary>Says how long the id is, never the id itself.</summary>
    public override string ToString() => $"DocumentBinding ({_id.Length}-byte id)";
}
