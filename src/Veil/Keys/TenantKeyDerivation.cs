using System.Security.Cryptography;
using System.Text;

namespace Veil.Keys;

/// <summary>
/// Alloy's standalone key derivation. The vector and deterministic keys of a tenant are
/// HMAC-SHA512(secret, UTF-8(tenant ‖ "-" ‖ derivationPath)); the standard-mode key-encryption key is
/// HMAC-SHA256(secret, UTF-8(tenant ‖ "-encryption_key")), with a legacy HKDF-SHA256 variant accepted on decrypt.
/// The secret path is not an input: it only selects the secret.
/// </summary>
internal static class TenantKeyDerivation
{
    /// <summary>Output size of <see cref="DeriveSha512"/>.</summary>
    public const int Sha512Length = 64;

    /// <summary>Size of a standard key-encryption key.</summary>
    public const int KekLength = 32;

    private const int StackLimit = 512;

    /// <summary>HMAC-SHA512(secret, tenant ‖ "-" ‖ derivationPath) into <paramref name="destination"/> (64 bytes).</summary>
    public static void DeriveSha512(Secret secret, TenantId tenant, DerivationPath derivationPath, Span<byte> destination)
    {
        string message = string.Concat(tenant.Value, "-", derivationPath.Value);
        int length = Encoding.UTF8.GetByteCount(message);
        Span<byte> buffer = length <= StackLimit ? stackalloc byte[StackLimit] : new byte[length];
        int written = Encoding.UTF8.GetBytes(message, buffer);
        HMACSHA512.HashData(secret.Span, buffer[..written], destination);
    }

    /// <summary>The standard-mode KEK: HMAC-SHA256(secret, tenant ‖ "-encryption_key").</summary>
    public static void DeriveKek(Secret secret, TenantId tenant, Span<byte> destination)
    {
        byte[] message = Encoding.UTF8.GetBytes(tenant.Value + "-encryption_key");
        HMACSHA256.HashData(secret.Span, message, destination);
    }

    /// <summary>The legacy (Cloaked Search) KEK: HKDF-SHA256(salt = secret, ikm = tenant, info = "encryption_key").</summary>
    public static void DeriveLegacyKek(Secret secret, TenantId tenant, Span<byte> destination)
    {
        HKDF.DeriveKey(
            HashAlgorithmName.SHA256,
            Encoding.UTF8.GetBytes(tenant.Value),
            destination[..KekLength],
            secret.Span,
            "encryption_key"u8);
    }
}
