using System.Buffers.Binary;
using System.Security.Cryptography;
using Veil.Documents;
using Veil.Formats;
using Veil.Keys;

namespace Veil.Tests.Documents;

/// <summary>Builds EDEKs, headers and legacy payloads by hand, for formats Veil reads but does not write.</summary>
internal static class DocumentBuilders
{
    public static ReadOnlySpan<byte> CloakedSearchMagic => [0x04, 0x49, 0x52, 0x4F, 0x4E];

    /// <summary>A signed V4 header wrapping <paramref name="dek"/> with <paramref name="kek"/>.</summary>
    public static byte[] V4Header(byte[] kek, byte[] dek, string id = "1", byte[]? signature = null)
    {
        byte[] payload = SignedPayload(kek, dek, id);
        return V4DocumentHeader.Encode(payload, signature ?? HMACSHA256.HashData(dek, payload));
    }

    public static byte[] SignedPayload(byte[] kek, byte[] dek, string id = "1")
    {
        byte[] iv = RandomNumberGenerator.GetBytes(12);
        byte[] wrapped = new byte[48];
        using (var aes = new AesGcm(kek, 16))
        {
            aes.Encrypt(iv, dek, wrapped.AsSpan(0, 32), wrapped.AsSpan(32, 16));
        }

        return V4DocumentHeader.EncodeSignedPayload(new Aes256GcmEncryptedDek(iv, wrapped, id));
    }

    /// <summary>An EDEK with its key-id header.</summary>
    public static byte[] Edek(uint keyId, byte[] v4Header) => StandardEdekProtector.ComposeEdek(new KeyId(keyId), v4Header);

    public static byte[] Kek(Secret secret, TenantId tenant)
    {
        byte[] kek = new byte[32];
        TenantKeyDerivation.DeriveKek(secret, tenant, kek);
        return kek;
    }

    public static byte[] LegacyKek(Secret secret, TenantId tenant)
    {
        byte[] kek = new byte[32];
        TenantKeyDerivation.DeriveLegacyKek(secret, tenant, kek);
        return kek;
    }

    /// <summary>A bare V4 field: IV ‖ ciphertext ‖ tag.</summary>
    public static byte[] BareV4Field(byte[] dek, byte[] plaintext)
    {
        byte[] iv = RandomNumberGenerator.GetBytes(12);
        byte[] output = new byte[12 + plaintext.Length + 16];
        iv.CopyTo(output, 0);
        using var aes = new AesGcm(dek, 16);
        aes.Encrypt(iv, plaintext, output.AsSpan(12, plaintext.Length), output.AsSpan(12 + plaintext.Length));
        return output;
    }

    /// <summary>
    /// A V3 field. With <paramref name="tenant"/>, the header is a SaaS Shield one signed as Appendix A describes
    /// (the tag of AES-GCM over the serialized SaaSShieldHeader); <paramref name="corruptSignature"/> flips its last byte.
    /// </summary>
    public static byte[] V3Field(byte[] dek, byte[] plaintext, string? tenant, bool corruptSignature = false)
    {
        byte[] header;
        if (tenant is null)
        {
            header = [];
        }
        else
        {
            byte[] tenantBytes = System.Text.Encoding.UTF8.GetBytes(tenant);
            byte[] saasShield = [0x0A, (byte)tenantBytes.Length, .. tenantBytes];
            byte[] sigIv = RandomNumberGenerator.GetBytes(12);
            byte[] sigCiphertext = new byte[saasShield.Length];
            byte[] sigTag = new byte[16];
            using (var aes = new AesGcm(dek, 16))
            {
                aes.Encrypt(sigIv, saasShield, sigCiphertext, sigTag);
            }

            if (corruptSignature)
            {
                sigTag[^1] ^= 1;
            }

            byte[] sig = [.. sigIv, .. sigCiphertext, .. sigTag];
            header = [0x0A, (byte)sig.Length, .. sig, 0x1A, (byte)saasShield.Length, .. saasShield];
        }

        byte[] lengthBytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(lengthBytes, (ushort)header.Length);
        return [0x03, 0x49, 0x52, 0x4F, 0x4E, .. lengthBytes, .. header, .. BareV4Field(dek, plaintext)];
    }

    /// <summary>Re-frames a current attached document in the Cloaked Search <c>04 IRON</c> format.</summary>
    public static byte[] ToCloakedSearchFormat(byte[] attached) => [.. CloakedSearchMagic, .. attached.AsSpan(6)];
}
