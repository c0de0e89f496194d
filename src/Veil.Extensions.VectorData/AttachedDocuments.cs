using System.Buffers.Binary;
using System.Security.Cryptography;
using Veil.Documents;
using Veil.Formats;

namespace Veil.Extensions.VectorData;

/// <summary>
/// Standard-attached documents (Alloy's <c>StandardAttachedDocumentOps</c> format, which the decorator stores in each
/// standard property) made from and read as one-field standard documents, so that any <see cref="IVeilOperations"/>
/// (the key service included) encrypts and decrypts them: an attached document is the EDEK's key-id header, the
/// u16 big-endian length of its V4 header, the V4 header, then the field's IV ‖ ciphertext ‖ tag, and a V5 field is
/// <c>00 49 52 4F 4E</c> before the same IV ‖ ciphertext ‖ tag. Both use no associated data, so the bytes are the same.
/// </summary>
internal static class AttachedDocuments
{
    /// <summary>The field name of the one-field documents (not authenticated by unbound standard encryption).</summary>
    public const string Field = "v";

    private const int LengthPrefix = 2;

    private static ReadOnlySpan<byte> V5Magic => [0x00, 0x49, 0x52, 0x4F, 0x4E];

    private static ReadOnlySpan<byte> CloakedSearchMagic => [0x04, 0x49, 0x52, 0x4F, 0x4E];

    /// <summary>The one-field document of a plaintext.</summary>
    public static IReadOnlyDictionary<string, byte[]> Plaintext(byte[] plaintext) => new Dictionary<string, byte[]>(1, StringComparer.Ordinal) { [Field] = plaintext };

    /// <summary>The attached document of a one-field encrypted document.</summary>
    /// <exception cref="CryptographicException">The document is not one V5 field under a key-id-headed EDEK.</exception>
    public static byte[] Attach(EncryptedDocument document)
    {
        if (document.Fields.Count != 1 || !document.Fields.TryGetValue(Field, out byte[]? field) || !field.AsSpan().StartsWith(V5Magic)
            || document.Edek.Length < KeyIdHeader.Length || document.Edek.Length - KeyIdHeader.Length > ushort.MaxValue)
        {
            throw new CryptographicException("The key holder returned a standard document that is not one V5 field under a key-id-headed EDEK.");
        }

        int headerLength = document.Edek.Length - KeyIdHeader.Length;
        ReadOnlySpan<byte> body = field.AsSpan(V5Magic.Length);
        byte[] attached = new byte[KeyIdHeader.Length + LengthPrefix + headerLength + body.Length];
        document.Edek.AsSpan(0, KeyIdHeader.Length).CopyTo(attached);
        BinaryPrimitives.WriteUInt16BigEndian(attached.AsSpan(KeyIdHeader.Length), (ushort)headerLength);
        document.Edek.AsSpan(KeyIdHeader.Length).CopyTo(attached.AsSpan(KeyIdHeader.Length + LengthPrefix));
        body.CopyTo(attached.AsSpan(KeyIdHeader.Length + LengthPrefix + headerLength));
        return attached;
    }

    /// <summary>
    /// The one-field encrypted document of an attached document (current or Cloaked Search format; the latter names no
    /// secret, so its EDEK gets key id 0 and every configured secret is tried, as the attached format's reader does).
    /// </summary>
    /// <exception cref="CryptographicException">The attached document is malformed.</exception>
    public static EncryptedDocument Detach(byte[] attached)
    {
        byte[] keyIdHeader;
        int offset;
        if (attached.AsSpan().StartsWith(CloakedSearchMagic))
        {
            keyIdHeader = new KeyIdHeader(default, EdekType.Standalone, PayloadType.StandardEdek).ToArray();
            offset = CloakedSearchMagic.Length;
        }
        else if (KeyIdHeader.TryParse(attached, out KeyIdHeader header) && header.EdekType == EdekType.Standalone && header.PayloadType == PayloadType.StandardEdek)
        {
            keyIdHeader = attached[..KeyIdHeader.Length];
            offset = KeyIdHeader.Length;
        }
        else
        {
            throw new CryptographicException("The attached document's header is missing or malformed.");
        }

        if (attached.Length - offset < LengthPrefix)
        {
            throw new CryptographicException("The attached document is too short to hold its header length.");
        }

        int headerLength = BinaryPrimitives.ReadUInt16BigEndian(attached.AsSpan(offset));
        int headerOffset = offset + LengthPrefix;
        if (headerLength > attached.Length - headerOffset)
        {
            throw new CryptographicException("The attached document's header length runs past the end of the document.");
        }

        byte[] edek = [.. keyIdHeader, .. attached.AsSpan(headerOffset, headerLength)];
        byte[] field = [.. V5Magic, .. attached.AsSpan(headerOffset + headerLength)];
        return new EncryptedDocument(edek, new Dictionary<string, byte[]>(1, StringComparer.Ordinal) { [Field] = field });
    }
}
