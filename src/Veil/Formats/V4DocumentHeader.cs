using System.Security.Cryptography;

namespace Veil.Formats;

/// <summary>
/// <c>ironcorelabs.proto.V4DocumentHeader</c>, the signed header that carries a standard-mode EDEK (Appendix A of
/// the Alloy compatibility spec):
/// <code>
/// V4DocumentHeader      { 1 signature_info: SignatureInformation; 2 signed_payload: SignedPayload }
/// SignatureInformation  { 1 signature: bytes; 2 signature_type: enum (NONE = 0, HS256 = 1) }
/// SignedPayload         { 1 encryption_info: { 1 algorithm: enum (UNKNOWN = 0, AES256_GCM = 1) };
///                         2 edeks: repeated EdekWrapper; 3 user_metadata: map&lt;string, string&gt; }
/// EdekWrapper           oneof { 1 dcp_edek; 2 cmk_edek; 3 aes_256_gcm_edek: Aes256GcmEncryptedDek }
/// </code>
/// Decoding keeps the raw bytes of <c>signed_payload</c>, which is what the HS256 signature covers.
/// </summary>
internal sealed class V4DocumentHeader
{
    /// <summary><c>SignatureType.HS256</c>: HMAC-SHA256 keyed with the DEK.</summary>
    public const int SignatureTypeHs256 = 1;

    /// <summary><c>EncryptionInformation.Algorithm.AES256_GCM</c>.</summary>
    public const int AlgorithmAes256Gcm = 1;

    private const string What = "V4 document header";

    private V4DocumentHeader(int signatureType, byte[] signature, byte[] signedPayload, int edekCount, Aes256GcmEncryptedDek? aesEdek)
    {
        SignatureType = signatureType;
        Signature = signature;
        SignedPayload = signedPayload;
        EdekCount = edekCount;
        AesEdek = aesEdek;
    }

    /// <summary>The <c>signature_type</c> enum value.</summary>
    public int SignatureType { get; }

    /// <summary>The signature bytes.</summary>
    public byte[] Signature { get; }

    /// <summary>The serialized <c>SignedPayload</c> exactly as it appeared on the wire.</summary>
    public byte[] SignedPayload { get; }

    /// <summary>The number of EDEK wrappers in the payload.</summary>
    public int EdekCount { get; }

    /// <summary>The first AES-256-GCM EDEK in the payload, or null if it holds only other kinds (SaaS Shield, DCP).</summary>
    public Aes256GcmEncryptedDek? AesEdek { get; }

    /// <summary>
    /// Serializes a <c>SignedPayload</c> with <c>encryption_info.algorithm = AES256_GCM</c> and one EDEK wrapper
    /// holding <paramref name="edek"/> as <c>aes_256_gcm_edek</c> (no user metadata).
    /// </summary>
    public static byte[] EncodeSignedPayload(Aes256GcmEncryptedDek edek)
    {
        byte[] encryptionInfo = ProtoWriter.Build(output => ProtoWriter.WriteEnum(output, 1, AlgorithmAes256Gcm));
        byte[] aes = edek.Encode();
        byte[] wrapper = ProtoWriter.Build(output => ProtoWriter.WriteMessage(output, 3, aes));
        return ProtoWriter.Build(output =>
        {
            ProtoWriter.WriteMessage(output, 1, encryptionInfo);
            ProtoWriter.WriteMessage(output, 2, wrapper);
        });
    }

    /// <summary>Serializes a header from a serialized <c>SignedPayload</c> and its HS256 signature.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> signedPayload, byte[] signature)
    {
        byte[] signatureInfo = ProtoWriter.Build(output =>
        {
            ProtoWriter.WriteBytes(output, 1, signature);
            ProtoWriter.WriteEnum(output, 2, SignatureTypeHs256);
        });
        byte[] payload = signedPayload.ToArray();
        return ProtoWriter.Build(output =>
        {
            ProtoWriter.WriteMessage(output, 1, signatureInfo);
            ProtoWriter.WriteMessage(output, 2, payload);
        });
    }

    /// <summary>
    /// Parses and validates a header: it must have <c>signature_info</c>, <c>signed_payload</c> and at least one EDEK.
    /// Throws only <see cref="CryptographicException"/>.
    /// </summary>
    public static V4DocumentHeader Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data, What);
        byte[]? signatureInfo = null;
        byte[]? signedPayload = null;
        while (reader.TryReadTag(out int field, out ProtoWireType type))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(type, ProtoWireType.LengthDelimited);
                    // A repeated singular message would be merged by protobuf; refuse it instead of guessing what was signed.
                    if (signatureInfo is not null)
                    {
                        throw reader.Malformed();
                    }

                    signatureInfo = reader.ReadLengthDelimited().ToArray();
                    break;
                case 2:
                    reader.Expect(type, ProtoWireType.LengthDelimited);
                    if (signedPayload is not null)
                    {
                        throw reader.Malformed();
                    }

                    signedPayload = reader.ReadLengthDelimited().ToArray();
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        if (signatureInfo is null || signedPayload is null)
        {
            throw new CryptographicException($"The {What} lacks its signature information or signed payload.");
        }

        (int signatureType, byte[] signature) = DecodeSignatureInfo(signatureInfo);
        (int edekCount, Aes256GcmEncryptedDek? aesEdek) = DecodeSignedPayload(signedPayload);
        if (edekCount == 0)
        {
            throw new CryptographicException($"The {What} holds no EDEK.");
        }

        return new V4DocumentHeader(signatureType, signature, signedPayload, edekCount, aesEdek);
    }

    private static (int Type, byte[] Signature) DecodeSignatureInfo(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data, What);
        byte[] signature = [];
        int type = 0;
        while (reader.TryReadTag(out int field, out ProtoWireType wireType))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(wireType, ProtoWireType.LengthDelimited);
                    signature = reader.ReadLengthDelimited().ToArray();
                    break;
                case 2:
                    reader.Expect(wireType, ProtoWireType.Varint);
                    type = reader.ReadInt32();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return (type, signature);
    }

    private static (int EdekCount, Aes256GcmEncryptedDek? AesEdek) DecodeSignedPayload(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data, What);
        int count = 0;
        Aes256GcmEncryptedDek? first = null;
        while (reader.TryReadTag(out int field, out ProtoWireType type))
        {
            if (field == 2)
            {
                reader.Expect(type, ProtoWireType.LengthDelimited);
                count++;
                Aes256GcmEncryptedDek? aes = DecodeEdekWrapper(reader.ReadLengthDelimited());
                first ??= aes;
            }
            else
            {
                // encryption_info (1) and user_metadata (3) do not affect decryption; they are covered by the signature.
                reader.Skip(type);
            }
        }

        return (count, first);
    }

    private static Aes256GcmEncryptedDek? DecodeEdekWrapper(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data, What);
        Aes256GcmEncryptedDek? aes = null;
        while (reader.TryReadTag(out int field, out ProtoWireType type))
        {
            switch (field)
            {
                case 1 or 2:
                    // dcp_edek / cmk_edek: another member of the oneof replaces any earlier one.
                    reader.Expect(type, ProtoWireType.LengthDelimited);
                    reader.ReadLengthDelimited();
                    aes = null;
                    break;
                case 3:
                    reader.Expect(type, ProtoWireType.LengthDelimited);
                    aes = Aes256GcmEncryptedDek.Decode(reader.ReadLengthDelimited());
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        return aes;
    }
}
