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
/// <para><b>Field binding.</b> When a record stores several fields as separate attached documents, Alloy's format
/// cannot tell if two of them were swapped, or one moved to another record. The overloads taking a
/// <see cref="FieldBinding"/> (Veil only, opt-in; not readable by Alloy) authenticate the record id, the field's name
/// and the names of the record's attached fields, so each of those is refused. <see cref="RekeyDocuments"/> keeps the
/// binding (the body is copied unchanged).</para>
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
        return EncryptDocument(keks, plaintext, tenant, aad: default);
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> as the field <paramref name="binding"/> names of the record it names: the
    /// ciphertext authenticates the record id, the field name and the record's field names. Decrypt it with
    /// <see cref="Decrypt(ReadOnlySpan{byte}, TenantId, FieldBinding)"/> and an equal binding; Alloy cannot read it.
    /// </summary>
    /// <returns>The attached document (same layout and length as an unbound one).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="binding"/> is null.</exception>
    /// <exception cref="KeyNotAvailableException">Standard encryption is not configured, or has no primary secret.</exception>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, TenantId tenant, FieldBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        using var keks = StandardEdekProtector.NewKekCache();
        return EncryptDocument(keks, plaintext, tenant, binding.AssociatedData);
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
            return EncryptDocument(keks, plaintext, tenant, aad: default);
        }, _protector.Random);
    }

    /// <summary>Encrypts several plaintexts for one tenant, each with its own data key and its own binding.</summary>
    /// <param name="plaintexts">The plaintexts.</param>
    /// <param name="tenant">The tenant whose key-encryption key wraps the data keys.</param>
    /// <param name="bindings">One binding per plaintext, in the same order.</param>
    /// <returns>One result per plaintext, in input order.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The lists have different lengths.</exception>
    public BatchResult<byte[]> EncryptBatch(IReadOnlyList<byte[]> plaintexts, TenantId tenant, IReadOnlyList<FieldBinding> bindings)
    {
        CheckBindings(plaintexts, bindings);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<byte[]>.Run(Indexes(plaintexts.Count), i =>
        {
            ArgumentNullException.ThrowIfNull(plaintexts[i], nameof(plaintexts));
            return EncryptDocument(keks, plaintexts[i], tenant, (bindings[i] ?? throw new ArgumentNullException(nameof(bindings))).AssociatedData);
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
        return DecryptDocument(keks, document, tenant, aad: default);
    }

    /// <summary>
    /// Decrypts an attached document encrypted with <see cref="Encrypt(ReadOnlySpan{byte}, TenantId, FieldBinding)"/>,
    /// checking that it is the field <paramref name="binding"/> names, of the record it names, among the same fields.
    /// </summary>
    /// <returns>The plaintext.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="binding"/> is null.</exception>
    /// <exception cref="KeyNotAvailableException">Standard encryption is not configured, or the document names a secret id that is not configured.</exception>
    /// <exception cref="AuthenticationTagMismatchException">The ciphertext was altered, belongs to another field or
    /// record, the record's fields changed, or it was encrypted without a binding.</exception>
    /// <exception cref="CryptographicException">The document is malformed, no configured secret (for this tenant)
    /// decrypts its data key, or the header signature is wrong.</exception>
    public byte[] Decrypt(ReadOnlySpan<byte> document, TenantId tenant, FieldBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        using var keks = StandardEdekProtector.NewKekCache();
        return DecryptDocument(keks, document, tenant, binding.AssociatedData);
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
            return DecryptDocument(keks, document, tenant, aad: default);
        });
    }

    /// <summary>Decrypts several bound attached documents of one tenant, each with its own binding.</summary>
    /// <param name="documents">The documents.</param>
    /// <param name="tenant">The tenant they were encrypted for.</param>
    /// <param name="bindings">The binding of each document, in the same order.</param>
    /// <returns>One result per document, in input order; a failing document does not affect the others.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The lists have different lengths.</exception>
    public BatchResult<byte[]> DecryptBatch(IReadOnlyList<byte[]> documents, TenantId tenant, IReadOnlyList<FieldBinding> bindings)
    {
        CheckBindings(documents, bindings);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<byte[]>.Run(Indexes(documents.Count), i =>
        {
            ArgumentNullException.ThrowIfNull(documents[i], nameof(documents));
            return DecryptDocument(keks, documents[i], tenant, (bindings[i] ?? throw new ArgumentNullException(nameof(bindings))).AssociatedData);
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

    private byte[] EncryptDocument(KekCache keks, ReadOnlySpan<byte> plaintext, TenantId tenant, ReadOnlySpan<byte> aad)
    {
        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            byte[] header = _protector.CreateDek(keks, tenant, dek, out KeyId keyId);
            int prefixLength = CheckedPrefixLength(header);
            byte[] document = StandardPayloads.EncryptBare(dek, plaintext, _protector.Random, prefixLength, aad);
            WritePrefix(document, keyId, header);
            return document;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    private byte[] DecryptDocument(KekCache keks, ReadOnlySpan<byte> document, TenantId tenant, ReadOnlySpan<byte> aad)
    {
        KeyId keyId = Parse(document, out int headerOffset, out int headerLength);
        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            _protector.Unwrap(keks, keyId, document.Slice(headerOffset, headerLength), tenant, dek);
            return aad.IsEmpty
                ? StandardPayloads.DecryptBare(dek, document[(headerOffset + headerLength)..])
                : DecryptBound(dek, document[(headerOffset + headerLength)..], aad);
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

    private static byte[] DecryptBound(ReadOnlySpan<byte> dek, ReadOnlySpan<byte> body, ReadOnlySpan<byte> aad)
    {
        try
        {
            return StandardPayloads.DecryptBare(dek, body, aad);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new AuthenticationTagMismatchException(
                "The bound attached document failed authentication: it was altered, belongs to another field or record, " +
                "the record's set of fields changed, or it was encrypted without a binding.", e);
        }
    }

    private static void CheckBindings(IReadOnlyList<byte[]> items, IReadOnlyList<FieldBinding> bindings)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(bindings);
        if (items.Count != bindings.Count)
        {
            throw new ArgumentException($"There are {items.Count} documents but {bindings.Count} bindings: give one binding per document.", nameof(bindings));
        }
    }

    private static int[] Indexes(int count) => Enumerable.Range(0, count).ToArray();

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
