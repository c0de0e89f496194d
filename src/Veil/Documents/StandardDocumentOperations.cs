using System.Security.Cryptography;
using Veil.Keys;
using Veil.Randomness;
using KekCache = Veil.Keys.TenantCipherCache<Veil.Documents.StandardEdekProtector.KekId, System.Security.Cryptography.AesGcm>;

namespace Veil.Documents;

/// <summary>
/// Standard document encryption, wire-compatible with IronCore Alloy's standalone <c>StandardDocumentOps</c>: each
/// document gets a fresh random 256-bit data-encryption key (DEK), each field is encrypted with AES-256-GCM under it,
/// and the DEK is wrapped under a per-tenant key-encryption key derived from the primary standard secret.
/// </summary>
/// <remarks>
/// <para><b>Security.</b> Probabilistic (IND-CPA) and authenticated: equal plaintexts give unrelated ciphertexts,
/// and any change to a field or to the EDEK makes decryption fail. Ciphertexts reveal field names, plaintext
/// lengths and the id of the secret that encrypted them. Data keys and key-encryption keys are zeroed after use.</para>
/// <para><b>Key selection.</b> Encryption uses the primary secret. Decryption uses the secret named by the EDEK's
/// key id, or tries every configured secret when the id is 0; for each secret the current KEK is tried, then the
/// legacy (Cloaked Search) KEK.</para>
/// <para><b>Thread safety.</b> Instances are immutable and safe for concurrent use.</para>
/// <para><b>Determinism.</b> The randomness is drawn as DEK (32 bytes), EDEK IV (12 bytes), then one IV (12 bytes) per
/// field in ordinal order of field name, so a seeded random source reproduces Alloy's seeded output.</para>
/// </remarks>
public sealed class StandardDocumentOperations
{
    private readonly StandardEdekProtector _protector;

    internal StandardDocumentOperations(StandardSecrets? secrets, IRandomSource random)
    {
        _protector = new StandardEdekProtector(secrets, random);
    }

    /// <summary>Encrypts every field of a document under a new data key wrapped for <paramref name="tenant"/>.</summary>
    /// <param name="fields">Field name → plaintext bytes. Fields are encrypted in ordinal order of name.</param>
    /// <param name="tenant">The tenant whose key-encryption key wraps the data key.</param>
    /// <returns>The EDEK and the V5-encrypted fields, keyed by the same names.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/> or one of its values is null.</exception>
    /// <exception cref="KeyNotAvailableException">Standard encryption is not configured, or has no primary secret.</exception>
    public EncryptedDocument Encrypt(IReadOnlyDictionary<string, byte[]> fields, TenantId tenant)
    {
        using var keks = StandardEdekProtector.NewKekCache();
        return EncryptDocument(keks, fields, tenant);
    }

    /// <summary>Encrypts several documents for one tenant, each with its own data key.</summary>
    /// <returns>One result per document, in input order; a failing document does not affect the others.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="documents"/> is null.</exception>
    public BatchResult<EncryptedDocument> EncryptBatch(IReadOnlyList<IReadOnlyDictionary<string, byte[]>> documents, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(documents);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<EncryptedDocument>.Run(documents, document => EncryptDocument(keks, document, tenant), _protector.Random);
    }

    /// <summary>Decrypts every field of a document.</summary>
    /// <param name="document">The EDEK and encrypted fields. Fields may be V5, V3 or bare V4 payloads.</param>
    /// <param name="tenant">The tenant the document was encrypted for.</param>
    /// <returns>Field name → plaintext. Either every field decrypts or none is returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="document"/> is null.</exception>
    /// <exception cref="KeyNotAvailableException">Standard encryption is not configured, or the EDEK names a secret id that is not configured.</exception>
    /// <exception cref="AuthenticationTagMismatchException">A field was tampered with or belongs to another document.</exception>
    /// <exception cref="CryptographicException">The EDEK or a field is malformed, no configured secret (for this tenant)
    /// decrypts the EDEK, or the EDEK signature is wrong.</exception>
    public IReadOnlyDictionary<string, byte[]> Decrypt(EncryptedDocument document, TenantId tenant)
    {
        using var keks = StandardEdekProtector.NewKekCache();
        return DecryptDocument(keks, document, tenant);
    }

    /// <summary>Decrypts several documents of one tenant.</summary>
    /// <returns>One result per document, in input order; a failing document does not affect the others.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="documents"/> is null.</exception>
    public BatchResult<IReadOnlyDictionary<string, byte[]>> DecryptBatch(IReadOnlyList<EncryptedDocument> documents, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(documents);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<IReadOnlyDictionary<string, byte[]>>.Run(documents, document => DecryptDocument(keks, document, tenant));
    }

    /// <summary>
    /// Encrypts new fields under the data key of an existing EDEK (for example to add fields to a stored document).
    /// The returned document carries <paramref name="edek"/> unchanged.
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument or field value is null.</exception>
    /// <exception cref="KeyNotAvailableException">Standard encryption is not configured, or the EDEK names an unknown secret id.</exception>
    /// <exception cref="CryptographicException">The EDEK is malformed, cannot be decrypted for <paramref name="tenant"/>, or its signature is wrong.</exception>
    public EncryptedDocument EncryptWithExistingEdek(IReadOnlyDictionary<string, byte[]> fields, byte[] edek, TenantId tenant)
    {
        using var keks = StandardEdekProtector.NewKekCache();
        return EncryptUnderEdek(keks, fields, edek, tenant);
    }

    /// <summary>Batch form of <see cref="EncryptWithExistingEdek"/>.</summary>
    /// <param name="documents">Pairs of plaintext fields and the EDEK to encrypt them under.</param>
    /// <param name="tenant">The tenant the EDEKs belong to.</param>
    /// <returns>One result per document, in input order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="documents"/> is null.</exception>
    public BatchResult<EncryptedDocument> EncryptWithExistingEdekBatch(
        IReadOnlyList<(IReadOnlyDictionary<string, byte[]> Fields, byte[] Edek)> documents, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(documents);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<EncryptedDocument>.Run(documents, document => EncryptUnderEdek(keks, document.Fields, document.Edek, tenant), _protector.Random);
    }

    /// <summary>
    /// Re-wraps the data keys of stored EDEKs under the primary secret, for the same tenant or for
    /// <paramref name="newTenant"/>, with a fresh IV and a new header signature. The encrypted fields stay valid and
    /// unchanged: only the EDEKs need to be replaced.
    /// </summary>
    /// <param name="edeks">The EDEKs (with key-id headers) to re-key.</param>
    /// <param name="tenant">The tenant the EDEKs are currently wrapped for.</param>
    /// <param name="newTenant">The tenant to wrap them for, or null to keep <paramref name="tenant"/> (rotation to the primary secret).</param>
    /// <returns>The new EDEKs, in input order; an EDEK that cannot be unwrapped fails alone.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="edeks"/> is null.</exception>
    public BatchResult<byte[]> RekeyEdeks(IReadOnlyList<byte[]> edeks, TenantId tenant, TenantId? newTenant)
    {
        ArgumentNullException.ThrowIfNull(edeks);
        TenantId target = newTenant ?? tenant;
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<byte[]>.Run(edeks, edek => RekeyEdek(keks, edek, tenant, target), _protector.Random);
    }

    /// <summary>
    /// The 6-byte header that every EDEK made with secret <paramref name="id"/> starts with: search stored EDEKs for
    /// this prefix to find documents not yet re-keyed to a new primary.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Part of the instance API, as in Alloy.")]
    public byte[] GetSearchableEdekPrefix(KeyId id) => StandardEdekProtector.EdekHeader(id).ToArray();

    /// <summary>Known-answer hook: encrypts one field into the V5 format with the given DEK and IV source.</summary>
    internal static byte[] EncryptField(ReadOnlySpan<byte> dek, ReadOnlySpan<byte> plaintext, IRandomSource ivSource) =>
        StandardPayloads.EncryptV5(dek, plaintext, ivSource);

    private EncryptedDocument EncryptDocument(KekCache keks, IReadOnlyDictionary<string, byte[]> fields, TenantId tenant)
    {
        ValidateFields(fields);
        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            byte[] header = _protector.CreateDek(keks, tenant, dek, out KeyId keyId);
            byte[] edek = StandardEdekProtector.ComposeEdek(keyId, header);
            return new EncryptedDocument(edek, EncryptFields(dek, fields));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    private Dictionary<string, byte[]> DecryptDocument(KekCache keks, EncryptedDocument document, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(document);
        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            _protector.UnwrapEdek(keks, document.Edek, tenant, dek);
            return DecryptFields(dek, document.Fields);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    private EncryptedDocument EncryptUnderEdek(KekCache keks, IReadOnlyDictionary<string, byte[]> fields, byte[] edek, TenantId tenant)
    {
        ValidateFields(fields);
        ArgumentNullException.ThrowIfNull(edek);
        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            _protector.UnwrapEdek(keks, edek, tenant, dek);
            return new EncryptedDocument(edek, EncryptFields(dek, fields));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    private byte[] RekeyEdek(KekCache keks, byte[] edek, TenantId tenant, TenantId newTenant)
    {
        ArgumentNullException.ThrowIfNull(edek);
        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            _protector.UnwrapEdek(keks, edek, tenant, dek);
            byte[] header = _protector.WrapWithPrimary(keks, dek, newTenant, out KeyId keyId);
            return StandardEdekProtector.ComposeEdek(keyId, header);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    private Dictionary<string, byte[]> EncryptFields(ReadOnlySpan<byte> dek, IReadOnlyDictionary<string, byte[]> fields)
    {
        var encrypted = new Dictionary<string, byte[]>(fields.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, byte[]> field in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            encrypted.Add(field.Key, StandardPayloads.EncryptV5(dek, field.Value, _protector.Random));
        }

        return encrypted;
    }

    private static Dictionary<string, byte[]> DecryptFields(ReadOnlySpan<byte> dek, IReadOnlyDictionary<string, byte[]> fields)
    {
        var plaintexts = new Dictionary<string, byte[]>(fields.Count, StringComparer.Ordinal);
        try
        {
            foreach (KeyValuePair<string, byte[]> field in fields)
            {
                plaintexts.Add(field.Key, StandardPayloads.DecryptField(dek, field.Value));
            }

            return plaintexts;
        }
        catch
        {
            foreach (byte[] plaintext in plaintexts.Values)
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }

            throw;
        }
    }

    private static void ValidateFields(IReadOnlyDictionary<string, byte[]> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        foreach (KeyValuePair<string, byte[]> field in fields)
        {
            ArgumentNullException.ThrowIfNull(field.Value, nameof(fields));
        }
    }
}
