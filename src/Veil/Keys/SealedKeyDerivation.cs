using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Veil.Keys;

/// <summary>What a sealed-mode key is for; each purpose gets its own key (<see cref="SealedKeyDerivation"/>).</summary>
public enum SealedKeyPurpose : byte
{
    /// <summary>Seals stored vectors (one AES-256-GCM ciphertext per record).</summary>
    Vector = 1,

    /// <summary>Seals the key holder's index: snapshots and change-log entries.</summary>
    Index = 2,
}

/// <summary>
/// Key derivation for the sealed mode: HMAC-SHA256(secret, 0xFF ‖ "veil-sealed/v1" ‖ 0x00 ‖ purpose ‖
/// u32be(len(tenant)) ‖ UTF-8(tenant)), a 32-byte AES-256-GCM key.
/// </summary>
/// <remarks>
/// The message starts with the byte 0xFF, which never occurs in UTF-8. Every Alloy derivation
/// (<see cref="TenantKeyDerivation"/>: the vector and deterministic keys, the standard KEK) MACs a UTF-8 string, so no
/// message of theirs can equal one of these, whatever the tenant and derivation path: a sealed key never equals a
/// DCPE, field or document key derived from the same secret.
/// <para>Public so that the sealed mode (<c>Veil.Sealed</c>) and other purpose-separated, non-Alloy uses of a
/// standard secret derive their keys here rather than from the secret's bytes, which never leave the core.</para>
/// </remarks>
public static class SealedKeyDerivation
{
    /// <summary>Size of a derived key.</summary>
    public const int KeyLength = 32;

    private static ReadOnlySpan<byte> Label => "veil-sealed/v1"u8;

    /// <summary>Derives the key of <paramref name="purpose"/> for <paramref name="tenant"/> into <paramref name="destination"/> (32 bytes).</summary>
    /// <param name="secret">The secret (a standard secret, in the sealed mode).</param>
    /// <param name="tenant">The tenant the key belongs to.</param>
    /// <param name="purpose">What the key is for.</param>
    /// <param name="destination">Receives the key: its first <see cref="KeyLength"/> bytes. The caller zeroes it after use.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="KeyLength"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="purpose"/> is not a defined purpose.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="secret"/> was disposed.</exception>
    public static void Derive(Secret secret, TenantId tenant, SealedKeyPurpose purpose, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (purpose is not (SealedKeyPurpose.Vector or SealedKeyPurpose.Index))
        {
            throw new ArgumentOutOfRangeException(nameof(purpose), "Not a sealed key purpose.");
        }

        if (destination.Length < KeyLength)
        {
            throw new ArgumentException($"The destination must hold {KeyLength} bytes.", nameof(destination));
        }

        byte[] tenantBytes = Encoding.UTF8.GetBytes(tenant.Value);
        byte[] message = new byte[1 + Label.Length + 1 + 1 + 4 + tenantBytes.Length];
        message[0] = 0xFF;
        Label.CopyTo(message.AsSpan(1));
        int offset = 1 + Label.Length;
        message[offset++] = 0x00;
        message[offset++] = (byte)purpose;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(offset), (uint)tenantBytes.Length);
        tenantBytes.CopyTo(message.AsSpan(offset + 4));
        HMACSHA256.HashData(secret.Span, message, destination[..KeyLength]);
    }
}
