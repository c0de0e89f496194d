using System.Buffers.Binary;
using System.Security.Cryptography;
using Veil.Formats;
using Veil.Keys;
using Veil.Randomness;
using KekCache = Veil.Keys.TenantCipherCache<Veil.Documents.StandardEdekProtector.KekId, System.Security.Cryptography.AesGcm>;

namespace Veil.Documents;

/// <summary>
/// Standard-attached encryption, wire-compatible with IronCore Alloy's standalone <c>StandardAttachedDocumentOps</c>:
/// one self-contained blob holds both the wrapped data key and the AES-256-GCM ciphertext of a single plaintext.
/// </summary>
/// <remarks>
/// <para><b>Format.</b> 6-byte key-id header (secret id, <c>0x82</c>, <c>0x00</c>) ‖ u16 big-endian length of the
/// V4 header ‖ signed <c>V4DocumentHeader</c> ‖ IV(12) ‖ ciphertext ‖ tag(16). Decryption also reads the older Cloaked
/// Search attached format, <c>04 49 52 4F 4E</c> ("\x04IRON") ‖ u16 BE header length ‖ V4 header ‖ IV ‖ ciphertext ‖
/// tag, whose secret is unknown, so every configured secret is tried.</para>
/// <para><b>Security.</b> The same guarantees and key hierarchy as <see cref="StandardDocumentOperations"/>; the blob
/// reveals the plaintext length and the secret id.</para>
/// <para><b>Thread safety.</b> Instances are immutable and safe for concurrent use.</para>
/// <para><b>Determinism.</b> Randomness is drawn as DEK (32 bytes), EDEK IV (12 bytes), data IV (12 bytes).</para>
/// </remarks>
public sealed class AttachedDocumentOperations
{
    private const int LengthPrefix = 2;

    private readonly StandardEdekProtector _protector;

    internal AttachedDocumentOperations(StandardSecrets? secrets, IRandomSource random)
    {
        _protector = new StandardEdekProtector(secrets, random);
    }

    /// <summary>The prefix of the older Cloaked Search attached format, "\x04IRON".</summary>
    private static ReadOnlySpan<byte> CloakedSearchMagic => [0x04, 0x49, 0x52, 0x4F, 0x4E];

    /// <summary>Encrypts <paramref name="plaintext"/> under a new data key wrapped for <paramref name="tenant"/>.</summary>
    /// <returns>The attached document.</returns>
    /// <exception cref="KeyNotAvailableException">Standard encryption is not configured, or has no primary secret.</exception>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, TenantId tenant)
    {
        using var keks = StandardEdekProtector.NewKekCache();
        return EncryptDocument(keks, plaintext, tenant);
    }

    /// <summary>Encrypts several plaintexts for one tenant, each with its own data key.</summary>
    /// <returns>One result per plaintext, in input order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="plaintexts"/> is null.</exception>
    public BatchResult<byte[]> EncryptBatch(IReadOnlyList<byte[]> plaintexts, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(plaintexts);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<byte[]>.Run(plaintexts, plaintext =>
        {
            ArgumentNullException.ThrowIfNull(plaintext, nameof(plaintexts));
            return EncryptDocument(keks, plaintext, tenant);
        }, _protector.Random);
    }

    /// <summary>Decrypts an attached document (current or Cloaked Search format).</summary>
    /// <returns>The plaintext.</returns>
    /// <exception cref="KeyNotAvailableException">Standard encryption is not configured, or the document names a secret id that is not configured.</exception>
    /// <exception cref="AuthenticationTagMismatchException">The ciphertext was tampered with.</exception>
    /// <exception cref="CryptographicException">The document is malformed, no configured secret (for this tenant)
    /// decrypts its data key, or the header signature is wrong.</exception>
    public byte[] Decrypt(ReadOnlySpan<byte> document, TenantId tenant)
    {
        using var keks = StandardEdekProtector.NewKekCache();
        return DecryptDocument(keks, document, tenant);
    }

    /// <summary>Decrypts several attached documents of one tenant.</summary>
    /// <returns>One result per document, in input order; a failing document does not affect the others.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="documents"/> is null.</exception>
    public BatchResult<byte[]> DecryptBatch(IReadOnlyList<byte[]> documents, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(documents);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<byte[]>.Run(documents, document =>
        {
            ArgumentNullException.ThrowIfNull(document, nameof(documents));
            return DecryptDocument(keks, document, tenant);
        });
    }

    /// <summary>
    /// Re-wraps the data keys of attached documents under the primary secret, for the same tenant or for
    /// <paramref name="newTenant"/>, with a fresh IV and a new header signature. The encrypted body is copied
    /// unchanged; documents in the Cloaked Search format come back in the current format.
    /// </summary>
    /// <returns>The re-keyed documents, in input order; a document that cannot be unwrapped fails alone.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="documents"/> is null.</exception>
    public BatchResult<byte[]> RekeyDocuments(IReadOnlyList<byte[]> documents, TenantId tenant, TenantId? newTenant)
    {
        ArgumentNullException.ThrowIfNull(documents);
        TenantId target = newTenant ?? tenant;
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<byte[]>.Run(documents, document => Rekey(keks, document, tenant, target), _protector.Random);
    }

    /// <summary>
    /// The 6-byte header every attached document made with secret <paramref name="id"/> starts with, for prefix
    /// searches over stored documents.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Part of the instance API, as in Alloy.")]
    public byte[] GetSearchableEdekPrefix(KeyId id) => StandardEdekProtector.EdekHeader(id).ToArray();

    private byte[] EncryptDocument(KekCache keks, ReadOnlySpan<byte> plaintext, TenantId tenant)
    {
        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            byte[] header = _protector.CreateDek(keks, tenant, dek, out KeyId keyId);
            int prefixLength = CheckedPrefixLength(header);
            byte[] document = StandardPayloads.EncryptBare(dek, plaintext, _protector.Random, prefixLength);
            WritePrefix(document, keyId, header);
            return document;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    private byte[] DecryptDocument(KekCache keks, ReadOnlySpan<byte> document, TenantId tenant)
    {
        KeyId keyId = Parse(document, out int headerOffset, out int headerLength);
        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            _protector.Unwrap(keks, keyId, document.Slice(headerOffset, headerLength), tenant, dek);
            return StandardPayloads.DecryptBare(dek, document[(headerOffset + headerLength)..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    private byte[] Rekey(KekCache keks, byte[] document, TenantId tenant, TenantId newTenant)
    {
        ArgumentNullException.ThrowIfNull(document);
        KeyId oldKeyId = Parse(document, out int headerOffset, out int headerLength);
        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            _protector.Unwrap(keks, oldKeyId, document.AsSpan(headerOffset, headerLength), tenant, dek);
            byte[] header = _protector.WrapWithPrimary(keks, dek, newTenant, out KeyId keyId);
            int prefixLength = CheckedPrefixLength(header);
            ReadOnlySpan<byte> body = document.AsSpan(headerOffset + headerLength);
            byte[] rekeyed = new byte[prefixLength + body.Length];
            WritePrefix(rekeyed, keyId, header);
            body.CopyTo(rekeyed.AsSpan(prefixLength));
            return rekeyed;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    /// <summary>Splits an attached document; returns the key id to use (0 = try all for the Cloaked Search format).</summary>
    private static KeyId Parse(ReadOnlySpan<byte> document, out int headerOffset, out int headerLength)
    {
        KeyId keyId;
        int offset;
        if (document.StartsWith(CloakedSearchMagic))
        {
            keyId = default;
            offset = CloakedSearchMagic.Length;
        }
        else if (KeyIdHeader.TryParse(document, out KeyIdHeader header))
        {
            if (header.EdekType != EdekType.Standalone || header.PayloadType != PayloadType.StandardEdek)
            {
                throw new CryptographicException(
                    $"The document is not a standalone standard attached document: its header type byte is 0x{document[4]:X2}, expected 0x82.");
            }

            keyId = header.KeyId;
            offset = KeyIdHeader.Length;
        }
        else
        {
            throw new CryptographicException("The attached document's header is missing or malformed.");
        }

        if (document.Length - offset < LengthPrefix)
        {
            throw new CryptographicException("The attached document is too short to hold its header length.");
        }

        headerLength = BinaryPrimitives.ReadUInt16BigEndian(document[offset..]);
        headerOffset = offset + LengthPrefix;
        if (headerLength > document.Length - headerOffset)
        {
            throw new CryptographicException("The attached document's header length runs past the end of the document.");
        }

        return keyId;
    }

    private static int CheckedPrefixLength(byte[] header)
    {
        if (header.Length > ushort.MaxValue)
        {
            throw new CryptographicException("The V4 header is too long for the attached format.");
        }

        return KeyIdHeader.Length + LengthPrefix + header.Length;
    }

    private static void WritePrefix(Span<byte> destination, KeyId keyId, byte[] header)
    {
        StandardEdekProtector.EdekHeader(keyId).WriteTo(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[KeyIdHeader.Length..], (ushort)header.Length);
        header.CopyTo(destination[(KeyIdHeader.Length + LengthPrefix)..]);
    }
}
