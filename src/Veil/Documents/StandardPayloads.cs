using System.Buffers.Binary;
using System.Security.Cryptography;
using Veil.Formats;
using Veil.Randomness;

namespace Veil.Documents;

/// <summary>
/// Encrypting and decrypting data under a DEK in the formats Alloy reads. All are AES-256-GCM with no AAD (except
/// Veil's opt-in bound fields, V5 or bare, whose AAD is a <see cref="BindingAad"/>):
/// <list type="bullet">
/// <item>V5 field (written): <c>00 49 52 4F 4E</c> ("\0IRON") ‖ IV(12) ‖ ciphertext ‖ tag(16);</item>
/// <item>V3 field (read): <c>03 "IRON"</c> ‖ u16 BE header length ‖ v3DocumentHeader ‖ IV ‖ ciphertext ‖ tag;</item>
/// <item>bare V4 (read, and the body of attached documents): IV(12) ‖ ciphertext ‖ tag(16).</item>
/// </list>
/// </summary>
internal static class StandardPayloads
{
    /// <summary>The V5 field prefix "\0IRON".</summary>
    public static ReadOnlySpan<byte> V5Magic => [0x00, 0x49, 0x52, 0x4F, 0x4E];

    /// <summary>The V3 field prefix "\x03IRON".</summary>
    public static ReadOnlySpan<byte> V3Magic => [0x03, 0x49, 0x52, 0x4F, 0x4E];

    /// <summary>The bytes that bare AES-GCM adds to a plaintext (IV and tag).</summary>
    public const int Overhead = StandardEdekProtector.IvLength + StandardEdekProtector.TagLength;

    /// <summary>
    /// Encrypts a field into the V5 format, drawing its IV (12 bytes) from <paramref name="random"/>. Exposed for
    /// known-answer tests of the core with a given DEK and IV source.
    /// </summary>
    public static byte[] EncryptV5(ReadOnlySpan<byte> dek, ReadOnlySpan<byte> plaintext, IRandomSource random, ReadOnlySpan<byte> associatedData = default)
    {
        byte[] output = EncryptBare(dek, plaintext, random, V5Magic.Length, associatedData);
        V5Magic.CopyTo(output);
        return output;
    }

    /// <summary>
    /// Encrypts into IV ‖ ciphertext ‖ tag, written after <paramref name="prefixLength"/> bytes that the caller fills.
    /// Empty <paramref name="associatedData"/> (Alloy's formats) is the same as none.
    /// </summary>
    public static byte[] EncryptBare(ReadOnlySpan<byte> dek, ReadOnlySpan<byte> plaintext, IRandomSource random, int prefixLength, ReadOnlySpan<byte> associatedData = default)
    {
        byte[] output = new byte[prefixLength + Overhead + plaintext.Length];
        Span<byte> body = output.AsSpan(prefixLength);
        Span<byte> iv = body[..StandardEdekProtector.IvLength];
        random.Fill(iv);
        using var aes = new AesGcm(dek, StandardEdekProtector.TagLength);
        aes.Encrypt(
            iv,
            plaintext,
            body.Slice(StandardEdekProtector.IvLength, plaintext.Length),
            body[^StandardEdekProtector.TagLength..],
            associatedData);
        return output;
    }

    /// <summary>Decrypts a document field in any format Alloy reads: V3, V5, else bare V4.</summary>
    /// <exception cref="AuthenticationTagMismatchException">The field was tampered with or belongs to another DEK.</exception>
    /// <exception cref="CryptographicException">The field is malformed.</exception>
    public static byte[] DecryptField(ReadOnlySpan<byte> dek, ReadOnlySpan<byte> field)
    {
        if (field.StartsWith(V3Magic))
        {
            return DecryptV3(dek, field[V3Magic.Length..]);
        }

        if (field.StartsWith(V5Magic))
        {
            return DecryptBare(dek, field[V5Magic.Length..]);
        }

        return DecryptBare(dek, field);
    }

    /// <summary>
    /// Decrypts a bound field: only the V5 layout, with <paramref name="associatedData"/> (V3 and bare V4 fields are
    /// Alloy's legacy formats, never bound).
    /// </summary>
    /// <exception cref="AuthenticationTagMismatchException">The field was altered, or its binding differs.</exception>
    /// <exception cref="CryptographicException">The field is not a V5 payload.</exception>
    public static byte[] DecryptBoundV5(ReadOnlySpan<byte> dek, ReadOnlySpan<byte> field, ReadOnlySpan<byte> associatedData)
    {
        if (!field.StartsWith(V5Magic))
        {
            throw new CryptographicException("A field of a bound document must be a V5 payload (starting with \\0IRON).");
        }

        return DecryptBare(dek, field[V5Magic.Length..], associatedData);
    }

    /// <summary>Decrypts IV ‖ ciphertext ‖ tag; empty <paramref name="associatedData"/> is the same as none.</summary>
    public static byte[] DecryptBare(ReadOnlySpan<byte> dek, ReadOnlySpan<byte> ivCiphertextTag, ReadOnlySpan<byte> associatedData = default)
    {
        if (ivCiphertextTag.Length < Overhead)
        {
            throw new CryptographicException("The encrypted data is too short to hold an IV and an authentication tag.");
        }

        byte[] plaintext = new byte[ivCiphertextTag.Length - Overhead];
        using var aes = new AesGcm(dek, StandardEdekProtector.TagLength);
        aes.Decrypt(
            ivCiphertextTag[..StandardEdekProtector.IvLength],
            ivCiphertextTag[StandardEdekProtector.IvLength..^StandardEdekProtector.TagLength],
            ivCiphertextTag[^StandardEdekProtector.TagLength..],
            plaintext,
            associatedData);
        return plaintext;
    }

    private static byte[] DecryptV3(ReadOnlySpan<byte> dek, ReadOnlySpan<byte> rest)
    {
        if (rest.Length < 2)
        {
            throw new CryptographicException("The V3 field is too short to hold its header length.");
        }

        int headerLength = BinaryPrimitives.ReadUInt16BigEndian(rest);
        if (headerLength > rest.Length - 2)
        {
            throw new CryptographicException("The V3 field's header length runs past the end of the field.");
        }

        V3DocumentHeader header = V3DocumentHeader.Decode(rest.Slice(2, headerLength));
        VerifyV3Signature(dek, header);
        return DecryptBare(dek, rest[(2 + headerLength)..]);
    }

    /// <summary>
    /// The V3 rule: with a SaaS Shield header and a non-empty <c>sig</c>, AES-256-GCM-encrypt the serialized
    /// SaaSShieldHeader with the DEK and the first 12 bytes of <c>sig</c> as IV, and compare the tag with the last 16
    /// bytes of <c>sig</c>. Otherwise (old Java SDK documents) there is nothing to check.
    /// </summary>
    private static void VerifyV3Signature(ReadOnlySpan<byte> dek, V3DocumentHeader header)
    {
        if (header.SaasShieldHeader is not { } saasShield || header.Sig.Length == 0)
        {
            return;
        }

        ReadOnlySpan<byte> sig = header.Sig;
        if (sig.Length < Overhead)
        {
            throw new CryptographicException("The V3 header signature is too short.");
        }

        byte[] discard = new byte[saasShield.Length];
        Span<byte> tag = stackalloc byte[StandardEdekProtector.TagLength];
        using (var aes = new AesGcm(dek, StandardEdekProtector.TagLength))
        {
            aes.Encrypt(sig[..StandardEdekProtector.IvLength], saasShield, discard, tag);
        }

        if (!CryptographicOperations.FixedTimeEquals(tag, sig[^StandardEdekProtector.TagLength..]))
        {
            throw new CryptographicException("The V3 header signature verification failed.");
        }
    }
}
