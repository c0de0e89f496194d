using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Veil.Formats;
using Veil.Keys;
using SivCache = Veil.Keys.TenantCipherCache<Veil.Fields.DeterministicFieldOperations.SivKeyId, Veil.Fields.AesSiv>;

namespace Veil.Fields;

/// <summary>
/// <b>Warning: deterministic; equal plaintexts give equal ciphertexts, which leaks equality and frequency.</b>
/// Deterministic field encryption, wire-compatible with Alloy's standalone <c>DeterministicFieldOps</c>: use it only for
/// values that must support exact-match queries or indexing (for example filterable metadata). Prefer randomized
/// (standard) encryption for everything else.
/// </summary>
/// <remarks>
/// <para><b>Algorithm.</b> AES-SIV (RFC 5297) with a 64-byte key, one empty associated-data component, and the
/// key HMAC-SHA512(secret, UTF-8(tenant ‖ "-" ‖ derivation path)). The stored bytes are the 6-byte key-id header
/// (key id, <see cref="EdekType.Standalone"/> | <see cref="PayloadType.DeterministicField"/>, 0) followed by the
/// 16-byte synthetic IV and a ciphertext as long as the plaintext.</para>
/// <para><b>Security.</b> Within one tenant, derivation path and secret, equal plaintexts always give equal
/// ciphertexts, so anyone who sees the ciphertexts learns which values repeat and how often; plaintext lengths are
/// visible too. Ciphertexts are authenticated: tampering, the wrong tenant or the wrong derivation path is detected.
/// Exception messages and <c>ToString</c> output never contain key bytes or plaintext.</para>
/// <para><b>Rotation.</b> Encrypt with the current secret; query with <see cref="GenerateQueryFieldValues"/> (one value
/// per live secret); re-encrypt stored values with <see cref="RotateField"/>; find values not yet rotated with
/// <see cref="GetInRotationPrefix"/>.</para>
/// <para><b>Thread safety.</b> All members are thread-safe. Batch operations run items in parallel.</para>
/// </remarks>
public sealed class DeterministicFieldOperations
{
    private const string DecryptionFailedMessage = "Failed deterministic decryption. Ensure the data and tenant ID are correct.";

    // Alloy passes one associated-data component that is the empty string; that differs from passing none.
    private static readonly ReadOnlyMemory<byte>[] s_associatedData = [ReadOnlyMemory<byte>.Empty];

    private readonly IReadOnlyDictionary<SecretPath, RotatableSecret> _secrets;

    /// <summary>Creates the operations over the deterministic section of a configuration (not copied).</summary>
    internal DeterministicFieldOperations(IReadOnlyDictionary<SecretPath, RotatableSecret> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _secrets = secrets;
    }

    /// <summary>
    /// <b>Warning: deterministic; equal plaintexts give equal ciphertexts, which leaks equality and frequency.</b>
    /// Encrypts <paramref name="plaintext"/> with the current secret of <paramref name="secretPath"/>.
    /// </summary>
    /// <param name="plaintext">The value (any length, including empty).</param>
    /// <param name="secretPath">Selects the configured secret.</param>
    /// <param name="derivationPath">Together with the tenant, selects the derived key.</param>
    /// <param name="tenantId">The tenant whose key is used.</param>
    /// <returns>The field, whose ciphertext is 22 bytes longer than the plaintext.</returns>
    /// <exception cref="ArgumentException"><paramref name="secretPath"/> is not configured.</exception>
    /// <exception cref="KeyNotAvailableException">The secret path has no current secret (only an in-rotation one).</exception>
    public EncryptedField EncryptDeterministically(
        ReadOnlySpan<byte> plaintext, SecretPath secretPath, DerivationPath derivationPath, TenantId tenantId)
    {
        using SivCache sivs = NewSivCache();
        return EncryptCurrent(sivs, plaintext, secretPath, derivationPath, tenantId);
    }

    /// <summary>
    /// <b>Warning: deterministic; equal plaintexts give equal ciphertexts, which leaks equality and frequency.</b>
    /// Encrypts every field with the current secret of its secret path, in parallel. Items fail individually.
    /// </summary>
    /// <param name="fields">The fields to encrypt.</param>
    /// <param name="tenantId">The tenant whose keys are used.</param>
    /// <returns>One result per field, in input order; failures carry the exception <see cref="EncryptDeterministically"/> would throw.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/> is null.</exception>
    public BatchResult<EncryptedField> EncryptDeterministicallyBatch(IReadOnlyList<PlaintextField> fields, TenantId tenantId)
    {
        ArgumentNullException.ThrowIfNull(fields);
        using SivCache sivs = NewSivCache();
        return BatchResult<EncryptedField>.Run(fields, field =>
        {
            ArgumentNullException.ThrowIfNull(field);
            return EncryptCurrent(sivs, field.Plaintext.Span, field.SecretPath, field.DerivationPath, tenantId);
        });
    }

    /// <summary>Decrypts and authenticates <paramref name="field"/>, using the live secret its header names.</summary>
    /// <param name="field">The encrypted field.</param>
    /// <param name="tenantId">The tenant it was encrypted for.</param>
    /// <returns>The plaintext.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="field"/> is null.</exception>
    /// <exception cref="ArgumentException">The field's secret path is not configured.</exception>
    /// <exception cref="KeyNotAvailableException">The header names a key id that is neither the current nor the in-rotation secret.</exception>
    /// <exception cref="AuthenticationTagMismatchException">
    /// The data was altered, or the tenant or derivation path differs from the one used to encrypt.
    /// </exception>
    /// <exception cref="CryptographicException">The header is malformed, is not a Standalone deterministic field, or the data is too short.</exception>
    public byte[] Decrypt(EncryptedField field, TenantId tenantId)
    {
        using SivCache sivs = NewSivCache();
        return DecryptField(sivs, field, tenantId);
    }
    /// <summary>
    /// Decrypts and authenticates <paramref name="field"/>, returning false instead of throwing for anything that
    /// comes from the ciphertext bytes: a malformed or foreign header, an unknown key id, truncation or tampering,
    /// and the wrong tenant or derivation path.
    /// </summary>
    /// <param name="field">The encrypted field.</param>
    /// <param name="tenantId">The tenant it was encrypted for.</param>
    /// <param name="plaintext">The plaintext when the method returns true; otherwise null.</param>
    /// <returns>Whether the field decrypted and authenticated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="field"/> is null.</exception>
    /// <exception cref="ArgumentException">The field's secret path is not configured (a configuration error, not bad data).</exception>
    public bool TryDecrypt(EncryptedField field, TenantId tenantId, [NotNullWhen(true)] out byte[]? plaintext)
    {
        ArgumentNullException.ThrowIfNull(field);
        RotatableSecret secrets = GetSecrets(field.SecretPath, nameof(field));
        if (TryResolve(secrets, field, out IdentifiedSecret? secret, out _) is not null)
        {
            plaintext = null;
            return false;
        }

        using SivCache sivs = NewSivCache();
        return TryDecryptWith(sivs, secret!, field, tenantId, out plaintext);
    }

    /// <summary>Decrypts every field, in parallel. Items fail individually.</summary>
    /// <param name="fields">The encrypted fields.</param>
    /// <param name="tenantId">The tenant they were encrypted for.</param>
    /// <returns>One result per field, in input order; failures carry the exception <see cref="Decrypt"/> would throw.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/> is null.</exception>
    public BatchResult<byte[]> DecryptBatch(IReadOnlyList<EncryptedField> fields, TenantId tenantId)
    {
        ArgumentNullException.ThrowIfNull(fields);
        using SivCache sivs = NewSivCache();
        return BatchResult<byte[]>.Run(fields, field => DecryptField(sivs, field, tenantId));
    }

    /// <summary>
    /// <b>Warning: deterministic; equal plaintexts give equal ciphertexts, which leaks equality and frequency.</b>
    /// Encrypts a query value once per live secret of <paramref name="secretPath"/>: the current secret first, then
    /// the in-rotation secret. Match stored values against all of them while a rotation is in progress.
    /// </summary>
    /// <param name="plaintext">The value to search for.</param>
    /// <param name="secretPath">Selects the configured secrets.</param>
    /// <param name="derivationPath">Together with the tenant, selects the derived keys.</param>
    /// <param name="tenantId">The tenant whose keys are used.</param>
    /// <returns>One or two fields, current first.</returns>
    /// <exception cref="ArgumentException"><paramref name="secretPath"/> is not configured.</exception>
    public IReadOnlyList<EncryptedField> GenerateQueryFieldValues(
        ReadOnlySpan<byte> plaintext, SecretPath secretPath, DerivationPath derivationPath, TenantId tenantId)
    {
        using SivCache sivs = NewSivCache();
        return QueryValues(sivs, plaintext, secretPath, derivationPath, tenantId);
    }

    /// <summary>
    /// <b>Warning: deterministic; equal plaintexts give equal ciphertexts, which leaks equality and frequency.</b>
    /// <see cref="GenerateQueryFieldValues"/> for every field, in parallel. Items fail individually.
    /// </summary>
    /// <param name="fields">The query values.</param>
    /// <param name="tenantId">The tenant whose keys are used.</param>
    /// <returns>One result per field, in input order, each listing the current secret's value first.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/> is null.</exception>
    public BatchResult<IReadOnlyList<EncryptedField>> GenerateQueryFieldValuesBatch(IReadOnlyList<PlaintextField> fields, TenantId tenantId)
    {
        ArgumentNullException.ThrowIfNull(fields);
        using SivCache sivs = NewSivCache();
        return BatchResult<IReadOnlyList<EncryptedField>>.Run(fields, field =>
        {
            ArgumentNullException.ThrowIfNull(field);
            return QueryValues(sivs, field.Plaintext.Span, field.SecretPath, field.DerivationPath, tenantId);
        });
    }

    /// <summary>
    /// Re-encrypts <paramref name="field"/> with the current secret of its secret path and, when
    /// <paramref name="newTenantId"/> is given, for that tenant. When the header already names the current secret and
    /// the tenant is unchanged, returns <paramref name="field"/> itself without decrypting it.
    /// </summary>
    /// <param name="field">The stored field.</param>
    /// <param name="tenantId">The tenant it was encrypted for.</param>
    /// <param name="newTenantId">The tenant to re-encrypt for, or null to keep <paramref name="tenantId"/>.</param>
    /// <returns>The rotated field, or <paramref name="field"/> unchanged.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="field"/> is null.</exception>
    /// <exception cref="ArgumentException">The field's secret path is not configured.</exception>
    /// <exception cref="KeyNotAvailableException">There is no current secret, or the header names an unknown key id.</exception>
    /// <exception cref="AuthenticationTagMismatchException">The field does not authenticate (see <see cref="Decrypt"/>).</exception>
    /// <exception cref="CryptographicException">The header is malformed or is not a Standalone deterministic field.</exception>
    public EncryptedField RotateField(EncryptedField field, TenantId tenantId, TenantId? newTenantId = null)
    {
        using SivCache sivs = NewSivCache();
        return Rotate(sivs, field, tenantId, newTenantId);
    }

    /// <summary>
    /// <see cref="RotateField"/> for every field, in parallel. Items fail individually; unchanged items are returned
    /// as the same instances.
    /// </summary>
    /// <param name="fields">The stored fields.</param>
    /// <param name="tenantId">The tenant they were encrypted for.</param>
    /// <param name="newTenantId">The tenant to re-encrypt for, or null to keep <paramref name="tenantId"/>.</param>
    /// <returns>One result per field, in input order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/> is null.</exception>
    public BatchResult<EncryptedField> RotateFields(IReadOnlyList<EncryptedField> fields, TenantId tenantId, TenantId? newTenantId = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        using SivCache sivs = NewSivCache();
        return BatchResult<EncryptedField>.Run(fields, field => Rotate(sivs, field, tenantId, newTenantId));
    }

    /// <summary>
    /// The 6-byte header that fields encrypted with the in-rotation secret of <paramref name="secretPath"/> start
    /// with, for prefix searches that find values not yet rotated.
    /// </summary>
    /// <param name="secretPath">Selects the configured secrets.</param>
    /// <param name="derivationPath">Not used by standalone keys (the header does not depend on it); kept for Alloy API parity.</param>
    /// <param name="tenantId">Not used by standalone keys (the header does not depend on it); kept for Alloy API parity.</param>
    /// <returns>A new 6-byte array: the key id (big-endian), <c>0x80</c>, <c>0x00</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="secretPath"/> is not configured.</exception>
    /// <exception cref="KeyNotAvailableException">The secret path has no in-rotation secret.</exception>
    public byte[] GetInRotationPrefix(SecretPath secretPath, DerivationPath derivationPath, TenantId tenantId)
    {
        _ = derivationPath;
        _ = tenantId;
        RotatableSecret secrets = GetSecrets(secretPath, nameof(secretPath));
        IdentifiedSecret inRotation = secrets.InRotation ?? throw new KeyNotAvailableException(
            $"No in-rotation secret exists in the deterministic configuration for secret path '{secretPath}'.");
        return new KeyIdHeader(inRotation.Id, EdekType.Standalone, PayloadType.DeterministicField).ToArray();
    }

    private static SivCache NewSivCache() => new(
        TenantKeyDerivation.Sha512Length,
        (id, key) => TenantKeyDerivation.DeriveSha512(id.Secret.Secret, id.Tenant, id.DerivationPath, key),
        key => new AesSiv(key));

    private EncryptedField EncryptCurrent(
        SivCache sivs, ReadOnlySpan<byte> plaintext, SecretPath secretPath, DerivationPath derivationPath, TenantId tenantId)
    {
        RotatableSecret secrets = GetSecrets(secretPath, nameof(secretPath));
        IdentifiedSecret current = secrets.Current ?? throw NoCurrentSecret(secretPath);
        return EncryptWith(sivs, current, plaintext, secretPath, derivationPath, tenantId);
    }

    private byte[] DecryptField(SivCache sivs, EncryptedField field, TenantId tenantId)
    {
        ArgumentNullException.ThrowIfNull(field);
        RotatableSecret secrets = GetSecrets(field.SecretPath, nameof(field));
        Exception? error = TryResolve(secrets, field, out IdentifiedSecret? secret, out _);
        if (error is not null)
        {
            throw error;
        }

        if (!TryDecryptWith(sivs, secret!, field, tenantId, out byte[]? plaintext))
        {
            throw new AuthenticationTagMismatchException(DecryptionFailedMessage);
        }

        return plaintext;
    }

    private ReadOnlyCollection<EncryptedField> QueryValues(
        SivCache sivs, ReadOnlySpan<byte> plaintext, SecretPath secretPath, DerivationPath derivationPath, TenantId tenantId)
    {
        RotatableSecret secrets = GetSecrets(secretPath, nameof(secretPath));
        var values = new List<EncryptedField>(2);
        foreach (IdentifiedSecret secret in secrets.Live)
        {
            values.Add(EncryptWith(sivs, secret, plaintext, secretPath, derivationPath, tenantId));
        }

        return values.AsReadOnly();
    }

    private EncryptedField Rotate(SivCache sivs, EncryptedField field, TenantId tenantId, TenantId? newTenantId)
    {
        ArgumentNullException.ThrowIfNull(field);
        RotatableSecret secrets = GetSecrets(field.SecretPath, nameof(field));
        IdentifiedSecret current = secrets.Current ?? throw NoCurrentSecret(field.SecretPath);
        Exception? error = TryResolve(secrets, field, out IdentifiedSecret? secret, out KeyIdHeader header);
        if (error is not null)
        {
            throw error;
        }

        TenantId targetTenant = newTenantId ?? tenantId;
        if (header.KeyId == current.Id && targetTenant == tenantId)
        {
            return field;
        }

        if (!TryDecryptWith(sivs, secret!, field, tenantId, out byte[]? plaintext))
        {
            throw new AuthenticationTagMismatchException(DecryptionFailedMessage);
        }

        try
        {
            return EncryptWith(sivs, current, plaintext, field.SecretPath, field.DerivationPath, targetTenant);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private RotatableSecret GetSecrets(SecretPath secretPath, string paramName) =>
        _secrets.TryGetValue(secretPath, out RotatableSecret? secrets)
            ? secrets
            : throw new ArgumentException(
                $"Provided secret path '{secretPath}' does not exist in the deterministic configuration.", paramName);

    private static KeyNotAvailableException NoCurrentSecret(SecretPath secretPath) =>
        new($"No current secret exists in the deterministic configuration for secret path '{secretPath}'.");

    /// <summary>
    /// Checks the header and length of <paramref name="field"/> and finds the secret its key id names. Returns the
    /// exception describing the first problem, or null.
    /// </summary>
    private static Exception? TryResolve(
        RotatableSecret secrets, EncryptedField field, out IdentifiedSecret? secret, out KeyIdHeader header)
    {
        secret = null;
        ReadOnlySpan<byte> bytes = field.Ciphertext;
        if (!KeyIdHeader.TryParse(bytes, out header))
        {
            return new CryptographicException("The encrypted field's key-id header was invalid.");
        }

        if (header.EdekType != EdekType.Standalone || header.PayloadType != PayloadType.DeterministicField)
        {
            return new CryptographicException(
                $"The data indicated that this was not a Standalone deterministic field wrapped value. Found: {header.EdekType} {header.PayloadType}.");
        }

        if (bytes.Length < EncryptedField.Overhead)
        {
            return new CryptographicException(
                $"The encrypted field was {bytes.Length} bytes, shorter than the {EncryptedField.Overhead}-byte minimum of a deterministic field.");
        }

        secret = secrets.Find(header.KeyId);
        if (secret is null)
        {
            return new KeyNotAvailableException(
                $"Secret with key ID {header.KeyId} does not exist in the deterministic configuration for secret path '{field.SecretPath}'.",
                header.KeyId);
        }

        return null;
    }

    private static EncryptedField EncryptWith(
        SivCache sivs, IdentifiedSecret secret, ReadOnlySpan<byte> plaintext, SecretPath secretPath, DerivationPath derivationPath, TenantId tenantId)
    {
        byte[] output = new byte[EncryptedField.Overhead + plaintext.Length];
        new KeyIdHeader(secret.Id, EdekType.Standalone, PayloadType.DeterministicField).WriteTo(output);
        sivs.Get(new SivKeyId(secret, tenantId, derivationPath)).Encrypt(plaintext, output.AsSpan(KeyIdHeader.Length), s_associatedData);
        return new EncryptedField(output, secretPath, derivationPath);
    }

    /// <summary>Decrypts a field whose header and length <see cref="TryResolve"/> accepted.</summary>
    private static bool TryDecryptWith(
        SivCache sivs, IdentifiedSecret secret, EncryptedField field, TenantId tenantId, [NotNullWhen(true)] out byte[]? plaintext)
    {
        ReadOnlySpan<byte> sivOutput = field.Ciphertext.AsSpan(KeyIdHeader.Length);
        byte[] buffer = new byte[sivOutput.Length - AesSiv.SivLength];
        AesSiv siv = sivs.Get(new SivKeyId(secret, tenantId, field.DerivationPath));
        plaintext = siv.TryDecrypt(sivOutput, buffer, s_associatedData) ? buffer : null;
        return plaintext is not null;
    }

    /// <summary>What selects a deterministic key: the secret (by instance), the tenant and the derivation path.</summary>
    internal readonly record struct SivKeyId(IdentifiedSecret Secret, TenantId Tenant, DerivationPath DerivationPath);
}
