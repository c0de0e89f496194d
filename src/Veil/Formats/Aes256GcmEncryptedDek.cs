using System.Text;

namespace Veil.Formats;

/// <summary>
/// <c>ironcorelabs.proto.Aes256GcmEncryptedDek</c>: a data-encryption key wrapped with AES-256-GCM under a
/// key-encryption key. Fields: 1 <c>iv</c> (12 bytes), 2 <c>ciphertext</c> (32-byte DEK ‖ 16-byte tag),
/// 3 <c>id</c> (the standard secret id in decimal). Not secret.
/// </summary>
internal sealed class Aes256GcmEncryptedDek
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public Aes256GcmEncryptedDek(byte[] iv, byte[] ciphertext, string id)
    {
        Iv = iv;
        Ciphertext = ciphertext;
        Id = id;
    }

    /// <summary>The IV the DEK was wrapped with.</summary>
    public byte[] Iv { get; }

    /// <summary>The wrapped DEK followed by the GCM tag.</summary>
    public byte[] Ciphertext { get; }

    /// <summary>The id of the secret the KEK came from, as a decimal string (informational; decryption uses the key-id header).</summary>
    public string Id { get; }

    /// <summary>Serializes the message.</summary>
    public byte[] Encode() => ProtoWriter.Build(output =>
    {
        ProtoWriter.WriteBytes(output, 1, Iv);
        ProtoWriter.WriteBytes(output, 2, Ciphertext);
        ProtoWriter.WriteString(output, 3, Id);
    });

    /// <summary>Parses the message; throws only <see cref="System.Security.Cryptography.CryptographicException"/>.</summary>
    public static Aes256GcmEncryptedDek Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data, "AES-256-GCM EDEK");
        byte[] iv = [];
        byte[] ciphertext = [];
        string id = string.Empty;
        while (reader.TryReadTag(out int field, out ProtoWireType type))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(type, ProtoWireType.LengthDelimited);
                    iv = reader.ReadLengthDelimited().ToArray();
                    break;
                case 2:
                    reader.Expect(type, ProtoWireType.LengthDelimited);
                    ciphertext = reader.ReadLengthDelimited().ToArray();
                    break;
                case 3:
                    reader.Expect(type, ProtoWireType.LengthDelimited);
                    ReadOnlySpan<byte> idBytes = reader.ReadLengthDelimited();
                    try
                    {
                        id = s_strictUtf8.GetString(idBytes);
                    }
                    catch (DecoderFallbackException)
                    {
                        throw reader.Malformed();
                    }

                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        return new Aes256GcmEncryptedDek(iv, ciphertext, id);
    }
}
