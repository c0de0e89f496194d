using System.Security.Cryptography;
using Veil.Formats;
using Veil.Keys;
using Veil.Randomness;
using KekCache = Veil.Keys.TenantCipherCache<Veil.Documents.StandardEdekProtector.KekId, System.Security.Cryptography.AesGcm>;

namespace Veil.Documents;

/// <summary>
/// The one mechanism behind standard and standard-attached documents: creates data-encryption keys, wraps them
/// under a tenant's key-encryption key into a signed <see cref="V4DocumentHeader"/>, and unwraps and verifies them.
/// </summary>
/// <remarks>
/// KEK = HMAC-SHA256(secret, tenant ‖ "-encryption_key"); on unwrap the legacy Cloaked Search KEK
/// HKDF-SHA256(salt = secret, ikm = tenant, info = "encryption_key") is tried next. The EDEK is
/// AES-256-GCM(KEK, random 12-byte IV, DEK, no AAD) and the header signature is HMAC-SHA256(DEK, SignedPayload).
/// KEKs and their ciphers come from a <see cref="NewKekCache">KEK cache</see> that the caller makes per operation or
/// batch, so a batch derives each tenant KEK once; DEK buffers belong to the caller.
/// </remarks>
internal sealed class StandardEdekProtector
{
    /// <summary>Data-encryption key size.</summary>
    public const int DekLength = 32;

    /// <summary>AES-GCM IV size.</summary>
    public const int IvLength = 12;

    /// <summary>AES-GCM tag size.</summary>
    public const int TagLength = 16;

    private readonly StandardSecrets? _secrets;

    public StandardEdekProtector(StandardSecrets? secrets, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _secrets = secrets;
        Random = random;
    }

    /// <summary>The randomness for DEKs and IVs.</summary>
    public IRandomSource Random { get; }

    /// <summary>A cache of tenant KEK ciphers for one operation or batch; dispose it when the batch ends.</summary>
    public static KekCache NewKekCache() => new(
        TenantKeyDerivation.KekLength,
        (id, kek) =>
        {
            if (id.Legacy)
            {
                TenantKeyDerivation.DeriveLegacyKek(id.Secret.Secret, id.Tenant, kek);
            }
            else
            {
                TenantKeyDerivation.DeriveKek(id.Secret.Secret, id.Tenant, kek);
            }
        },
        kek => new AesGcm(kek, TagLength));

    /// <summary>The standalone StandardEdek key-id header for <paramref name="id"/>.</summary>
    public static KeyIdHeader EdekHeader(KeyId id) => new(id, EdekType.Standalone, PayloadType.StandardEdek);

    /// <summary>
    /// Draws a new DEK into <paramref name="dek"/> (32 random bytes, then a 12-byte IV for the EDEK) and wraps it under
    /// the primary secret's KEK for <paramref name="tenant"/>.
    /// </summary>
    /// <returns>The serialized V4 header; <paramref name="keyId"/> is the primary secret's id.</returns>
    public byte[] CreateDek(KekCache keks, TenantId tenant, Span<byte> dek, out KeyId keyId)
    {
        IdentifiedSecret primary = RequirePrimary();
        Random.Fill(dek[..DekLength]);
        keyId = primary.Id;
        return Wrap(keks, primary, dek[..DekLength], tenant);
    }

    /// <summary>Wraps an existing DEK under the primary secret's KEK for <paramref name="tenant"/>, with a fresh IV and a new signature.</summary>
    public byte[] WrapWithPrimary(KekCache keks, ReadOnlySpan<byte> dek, TenantId tenant, out KeyId keyId)
    {
        IdentifiedSecret primary = RequirePrimary();
        keyId = primary.Id;
        return Wrap(keks, primary, dek, tenant);
    }

    /// <summary>Builds <c>EdekWithKeyIdHeader</c> = 6-byte header (key id, 0x82, 0) ‖ V4 header.</summary>
    public static byte[] ComposeEdek(KeyId keyId, ReadOnlySpan<byte> v4Header)
    {
        byte[] edek = new byte[KeyIdHeader.Length + v4Header.Length];
        EdekHeader(keyId).WriteTo(edek);
        v4Header.CopyTo(edek.AsSpan(KeyIdHeader.Length));
        return edek;
    }

    /// <summary>Unwraps an <c>EdekWithKeyIdHeader</c> into <paramref name="dek"/> (32 bytes), verifying its signature.</summary>
    public void UnwrapEdek(KekCache keks, ReadOnlySpan<byte> edek, TenantId tenant, Span<byte> dek)
    {
        if (!KeyIdHeader.TryParse(edek, out KeyIdHeader header))
        {
            throw new CryptographicException("The EDEK's key-id header is missing or malformed.");
        }

        if (header.EdekType != EdekType.Standalone || header.PayloadType != PayloadType.StandardEdek)
        {
            throw new CryptographicException(
                $"The EDEK is not a standalone standard EDEK: its header type byte is 0x{edek[4]:X2}, expected 0x82.");
        }

        Unwrap(keks, header.KeyId, edek[KeyIdHeader.Length..], tenant, dek);
    }

    /// <summary>
    /// Unwraps the DEK in a serialized V4 header into <paramref name="dek"/> (32 bytes) and verifies the header's
    /// HS256 signature with it. Key id 0 tries every configured secret, in configuration order.
    /// </summary>
    /// <exception cref="KeyNotAvailableException">Standard encryption is not configured, or no secret has <paramref name="keyId"/>.</exception>
    /// <exception cref="CryptographicException">The header is malformed, no secret unwraps the EDEK, or the signature is wrong.</exception>
    public void Unwrap(KekCache keks, KeyId keyId, ReadOnlySpan<byte> v4Header, TenantId tenant, Span<byte> dek)
    {
        StandardSecrets secrets = RequireSecrets();
        IReadOnlyList<IdentifiedSecret> candidates = keyId.Value == 0
            ? secrets.Secrets
            : [secrets.Find(keyId) ?? throw new KeyNotAvailableException(
                $"No standard secret with key id {keyId} is configured, so the EDEK cannot be decrypted.", keyId)];

        V4DocumentHeader header = V4DocumentHeader.Decode(v4Header);
        Aes256GcmEncryptedDek edek = header.AesEdek
            ?? throw new CryptographicException("The EDEK holds no AES-256-GCM encrypted DEK (it may be a SaaS Shield EDEK).");
        if (edek.Iv.Length != IvLength || edek.Ciphertext.Length != DekLength + TagLength)
        {
            throw new CryptographicException("The AES-256-GCM EDEK has an IV or ciphertext of the wrong length.");
        }

        if (header.SignatureType != V4DocumentHeader.SignatureTypeHs256)
        {
            // Alloy always signs with HS256; an unsigned (NONE) header is refused rather than trusted.
            throw new CryptographicException("The EDEK header is not signed with HS256.");
        }

        Span<byte> target = dek[..DekLength];
        if (!TryUnwrapWithAny(keks, candidates, edek, tenant, target))
        {
            throw new CryptographicException("No secret could be found to decrypt the EDEK.");
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(target, header.SignedPayload, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, header.Signature))
        {
            CryptographicOperations.ZeroMemory(target);
            throw new CryptographicException("EDEK signature verification failed.");
        }
    }

    /// <summary>The secrets, or <see cref="KeyNotAvailableException"/> when standard encryption is not configured.</summary>
    public StandardSecrets RequireSecrets() => _secrets
        ?? throw new KeyNotAvailableException("Standard encryption is not configured: no standard secrets were provided.");

    /// <summary>The primary secret, or <see cref="KeyNotAvailableException"/>.</summary>
    public IdentifiedSecret RequirePrimary() => RequireSecrets().Primary
        ?? throw new KeyNotAvailableException("No primary standard secret is configured, so standard encryption cannot encrypt.");

    private byte[] Wrap(KekCache keks, IdentifiedSecret secret, ReadOnlySpan<byte> dek, TenantId tenant)
    {
        byte[] iv = new byte[IvLength];
        Random.Fill(iv);
        byte[] ciphertext = new byte[DekLength + TagLength];
        keks.Get(new KekId(secret, tenant, Legacy: false))
            .Encrypt(iv, dek, ciphertext.AsSpan(0, DekLength), ciphertext.AsSpan(DekLength, TagLength));

        byte[] payload = V4DocumentHeader.EncodeSignedPayload(new Aes256GcmEncryptedDek(iv, ciphertext, secret.Id.ToString()));
        byte[] signature = HMACSHA256.HashData(dek, payload);
        return V4DocumentHeader.Encode(payload, signature);
    }

    private static bool TryUnwrapWithAny(
        KekCache keks, IReadOnlyList<IdentifiedSecret> candidates, Aes256GcmEncryptedDek edek, TenantId tenant, Span<byte> dek)
    {
        foreach (IdentifiedSecret candidate in candidates)
        {
            if (TryUnwrap(keks.Get(new KekId(candidate, tenant, Legacy: false)), edek, dek)
                || TryUnwrap(keks.Get(new KekId(candidate, tenant, Legacy: true)), edek, dek))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryUnwrap(AesGcm aes, Aes256GcmEncryptedDek edek, Span<byte> dek)
    {
        try
        {
            aes.Decrypt(edek.Iv, edek.Ciphertext.AsSpan(0, DekLength), edek.Ciphertext.AsSpan(DekLength, TagLength), dek);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    /// <summary>What selects a KEK: the secret (by instance), the tenant, and whether it is the legacy Cloaked Search KEK.</summary>
    internal readonly record struct KekId(IdentifiedSecret Secret, TenantId Tenant, bool Legacy);
}
