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
/// <para><b>Field binding.</b> Alloy's format authenticates each field alone: whoever can write the store can swap two
/// fields' ciphertexts, rename, drop or copy a field, or move a whole document to another id, and it still decrypts.
/// The overloads taking a <see cref="DocumentBinding"/> (Veil only, opt-in; not readable by Alloy) bind each field
/// to its name, the document id and the document's whole set of field names, so each of those is refused.</para>
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
        return EncryptDocument(keks, fields, tenant, binding: null);
    }

    /// <summary>
    /// Encrypts every field of a document bound to <paramref name="binding"/>'s document id: each field's ciphertext
    /// authenticates its name, the id and the names of every field, so that swapping, renaming, dropping or adding a
    /// field, or moving the document to another id, makes decryption fail. Decrypt it with
    /// <see cref="Decrypt(EncryptedDocument, TenantId, DocumentBinding)"/> and the same id; Alloy cannot read it.
    /// </summary>
    /// <param name="fields">Field name → plaintext bytes; at least one field.</param>
    /// <param name="tenant">The tenant whose key-encryption key wraps the data key.</param>
    /// <param name="binding">The document id to bind to.</param>
    /// <returns>The EDEK and the encrypted fields (V5 layout, bound), keyed by the same names.</returns>
    /// <exception cref="ArgumentNullException">An argument or field value is null.</exception>
    /// <exception cref="ArgumentException">The document has no field, or a field name is not valid UTF-16.</exception>
    /// <exception cref="KeyNotAvailableException">Standard encryption is not configured, or has no primary secret.</exception>
    public EncryptedDocument Encrypt(IReadOnlyDictionary<string, byte[]> fields, TenantId tenant, DocumentBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        using var keks = StandardEdekProtector.NewKekCache();
        return EncryptDocument(keks, fields, tenant, binding);
    }

    /// <summary>Encrypts several documents for one tenant, each with its own data key.</summary>
    /// <returns>One result per document, in input order; a failing document does not affect the others.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="documents"/> is null.</exception>
    public BatchResult<EncryptedDocument> EncryptBatch(IReadOnlyList<IReadOnlyDictionary<string, byte[]>> documents, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(documents);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<EncryptedDocument>.Run(documents, document => EncryptDocument(keks, document, tenant, binding: null), _protector.Random);
    }

    /// <summary>Encrypts several documents for one tenant, each bound to its own document id (see <see cref="Encrypt(IReadOnlyDictionary{string, byte[]}, TenantId, DocumentBinding)"/>).</summary>
    /// <param name="documents">The documents.</param>
    /// <param name="tenant">The tenant whose key-encryption key wraps the data keys.</param>
    /// <param name="bindings">One binding per document, in the same order.</param>
    /// <returns>One result per document, in input order; a failing document does not affect the others.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The lists have different lengths.</exception>
    public BatchResult<EncryptedDocument> EncryptBatch(
        IReadOnlyList<IReadOnlyDictionary<string, byte[]>> documents, TenantId tenant, IReadOnlyList<DocumentBinding> bindings)
    {
        CheckBindings(documents, bindings);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<EncryptedDocument>.Run(
            Indexes(documents.Count), i => EncryptDocument(keks, documents[i], tenant, bindings[i] ?? throw new ArgumentNullException(nameof(bindings))), _protector.Random);
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
        return DecryptDocument(keks, document, tenant, binding: null);
    }

    /// <summary>
    /// Decrypts every field of a document encrypted with
    /// <see cref="Encrypt(IReadOnlyDictionary{string, byte[]}, TenantId, DocumentBinding)"/>, checking that each field
    /// is under its own name, in a document of the same id and with the same set of field names.
    /// </summary>
    /// <param name="document">The EDEK and the bound fields.</param>
    /// <param name="tenant">The tenant the document was encrypted for.</param>
    /// <param name="binding">The document id it was bound to.</param>
    /// <returns>Field name → plaintext. Either every field decrypts or none is returned.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="KeyNotAvailableException">Standard encryption is not configured, or the EDEK names a secret id that is not configured.</exception>
    /// <exception cref="AuthenticationTagMismatchException">A field was altered, swapped, renamed, added or dropped,
    /// the document belongs to another id, or it was encrypted without a binding.</exception>
    /// <exception cref="CryptographicException">The document has no field, a field is not a V5 payload, the EDEK is
    /// malformed, no configured secret (for this tenant) decrypts it, or its signature is wrong.</exception>
    public IReadOnlyDictionary<string, byte[]> Decrypt(EncryptedDocument document, TenantId tenant, DocumentBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        using var keks = StandardEdekProtector.NewKekCache();
        return DecryptDocument(keks, document, tenant, binding);
    }

    /// <summary>Decrypts several documents of one tenant.</summary>
    /// <returns>One result per document, in input order; a failing document does not affect the others.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="documents"/> is null.</exception>
    public BatchResult<IReadOnlyDictionary<string, byte[]>> DecryptBatch(IReadOnlyList<EncryptedDocument> documents, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(documents);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<IReadOnlyDictionary<string, byte[]>>.Run(documents, document => DecryptDocument(keks, document, tenant, binding: null));
    }

    /// <summary>Decrypts several bound documents of one tenant (see <see cref="Decrypt(EncryptedDocument, TenantId, DocumentBinding)"/>).</summary>
    /// <param name="documents">The documents.</param>
    /// <param name="tenant">The tenant they were encrypted for.</param>
    /// <param name="bindings">The binding of each document, in the same order.</param>
    /// <returns>One result per document, in input order; a failing document does not affect the others.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The lists have different lengths.</exception>
    public BatchResult<IReadOnlyDictionary<string, byte[]>> DecryptBatch(
        IReadOnlyList<EncryptedDocument> documents, TenantId tenant, IReadOnlyList<DocumentBinding> bindings)
    {
        CheckBindings(documents, bindings);
        using var keks = StandardEdekProtector.NewKekCache();
        return BatchResult<IReadOnlyDictionary<string, byte[]>>.Run(
            Indexes(documents.Count), i => DecryptDocument(keks, documents[i], tenant, bindings[i] ?? throw new ArgumentNullException(nameof(bindings))));
    }

    /// <summary>
    /// Encrypts new fields under the data key of an existing EDEK (for example to add fields to a stored document).
    /// The returned document carries <paramref name="edek"/> unchanged. The fields are in Alloy's (unbound) format; a
    /// document bound with a <see cref="DocumentBinding"/> binds its whole set of field names, so to change one,
    /// decrypt it and encrypt it again whole.
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
    /// unchanged: only the EDEKs need to be replaced. This works for bound documents too (the binding is in the fields,
    /// not in the EDEK).
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

    private EncryptedDocument EncryptDocument(KekCache keks, IReadOnlyDictionary<string, byte[]> fields, TenantId tenant, DocumentBinding? binding)
    {
        ValidateFields(fields);
        if (binding is not null && fields.Count == 0)
        {
            throw new ArgumentException("A bound document needs at least one field (otherwise removing every field could not be detected).", nameof(fields));
        }

        BindingAad? aad = Aad(fields, binding);
        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            byte[] header = _protector.CreateDek(keks, tenant, dek, out KeyId keyId);
            byte[] edek = StandardEdekProtector.ComposeEdek(keyId, header);
            return new EncryptedDocument(edek, EncryptFields(dek, fields, aad));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    private Dictionary<string, byte[]> DecryptDocument(KekCache keks, EncryptedDocument document, TenantId tenant, DocumentBinding? binding)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (binding is not null && document.Fields.Count == 0)
        {
            // Encryption refuses an empty bound document, so this one had every field removed.
            throw new CryptographicException("The bound document has no field left: a bound document always has at least one.");
        }

        BindingAad? aad;
        try
        {
            aad = Aad(document.Fields, binding);
        }
        catch (ArgumentException e)
        {
            // Bound encryption refuses such names, so the stored document was altered.
            throw new CryptographicException("A field name of the bound document is not valid UTF-16.", e);
        }

        byte[] dek = GC.AllocateArray<byte>(StandardEdekProtector.DekLength, pinned: true);
        try
        {
            _protector.UnwrapEdek(keks, document.Edek, tenant, dek);
            return DecryptFields(dek, document.Fields, aad);
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
            return new EncryptedDocument(edek, EncryptFields(dek, fields, aad: null));
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

    /// <summary>The associated-data builder of a bound document (null when unbound, Alloy's format).</summary>
    private static BindingAad? Aad(IReadOnlyDictionary<string, byte[]> fields, DocumentBinding? binding) =>
        binding is null ? null : new BindingAad(BindingAad.Kind.StandardField, binding, [.. fields.Keys]);

    private Dictionary<string, byte[]> EncryptFields(ReadOnlySpan<byte> dek, IReadOnlyDictionary<string, byte[]> fields, BindingAad? aad)
    {
        var encrypted = new Dictionary<string, byte[]>(fields.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, byte[]> field in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            encrypted.Add(field.Key, StandardPayloads.EncryptV5(dek, field.Value, _protector.Random, aad is null ? default : aad.For(field.Key)));
        }

        return encrypted;
    }

    private static Dictionary<string, byte[]> DecryptFields(ReadOnlySpan<byte> dek, IReadOnlyDictionary<string, byte[]> fields, BindingAad? aad)
    {
        var plaintexts = new Dictionary<string, byte[]>(fields.Count, StringComparer.Ordinal);
        try
        {
            foreach (KeyValuePair<string, byte[]> field in fields)
            {
                plaintexts.Add(field.Key, aad is null
                    ? StandardPayloads.DecryptField(dek, field.Value)
                    : DecryptBoundField(dek, field.Value, aad.For(field.Key)));
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

    private static byte[] DecryptBoundField(ReadOnlySpan<byte> dek, ReadOnlySpan<byte> field, ReadOnlySpan<byte> aad)
    {
        try
        {
            return StandardPayloads.DecryptBoundV5(dek, field, aad);
        }
        catch (AuthenticationTagMismatchException e)
        {
            // No field name in the message: the names are the store's, and so attacker-controlled.
            throw new AuthenticationTagMismatchException(
                "A field of the bound document failed authentication: it was altered, swapped with another field, renamed, " +
                "added or removed, the document belongs to another id, or it was encrypted without a binding.", e);
        }
    }

    private static void CheckBindings<T>(IReadOnlyList<T> documents, IReadOnlyList<DocumentBinding> bindings)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(bindings);
        if (documents.Count != bindings.Count)
        {
            throw new ArgumentException($"There are {documents.Count} documents but {bindings.Count} bindings: give one binding per document.", nameof(bindings));
        }
    }

    private static int[] Indexes(int count) => Enumerable.Range(0, count).ToArray();

    private static void ValidateFields(IReadOnlyDictionary<string, byte[]> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        foreach (KeyValuePair<string, byte[]> field in fields)
        {
            ArgumentNullException.ThrowIfNull(field.Value, nameof(fields));
        }
    }
}
