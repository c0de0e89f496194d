using System.Buffers.Binary;

namespace Veil.Formats;

/// <summary>Who holds the key behind a ciphertext: the high nibble of header byte 4.</summary>
public enum EdekType : byte
{
    /// <summary>Keys from an IronCore Tenant Security Proxy (Alloy "SaaS Shield").</summary>
    SaasShield = 0x00,

    /// <summary>IronCore Data Control Platform.</summary>
    DataControlPlatform = 0x40,

    /// <summary>Keys derived locally from configured secrets (Alloy "standalone"; what Veil writes).</summary>
    Standalone = 0x80,
}

/// <summary>What follows the header: the low nibble of header byte 4.</summary>
public enum PayloadType : byte
{
    /// <summary>An AES-SIV deterministic field ciphertext.</summary>
    DeterministicField = 0,

    /// <summary>Vector encryption metadata (IV and authentication tag).</summary>
    VectorMetadata = 1,

    /// <summary>A standard-mode encrypted data-encryption key (V4 document header).</summary>
    StandardEdek = 2,
}

/// <summary>
/// The 6-byte key-id header that starts every Alloy V5 ciphertext: key id (u32 big-endian), EDEK type | payload
/// type, and a zero byte.
/// </summary>
/// <param name="KeyId">The id of the secret that encrypted the data.</param>
/// <param name="EdekType">Who holds the key.</param>
/// <param name="PayloadType">What follows the header.</param>
public readonly record struct KeyIdHeader(Keys.KeyId KeyId, EdekType EdekType, PayloadType PayloadType)
{
    /// <summary>The header length in bytes.</summary>
    public const int Length = 6;

    /// <summary>Parses the first <see cref="Length"/> bytes of <paramref name="source"/>.</summary>
    /// <returns>False when the input is shorter than 6 bytes or the header is malformed (unknown type bits, non-zero padding).</returns>
    public static bool TryParse(ReadOnlySpan<byte> source, out KeyIdHeader header)
    {
        header = default;
        if (source.Length < Length || source[5] != 0)
        {
            return false;
        }

        byte edek = (byte)(source[4] & 0xF0);
        byte payload = (byte)(source[4] & 0x0F);
        if (edek is not (0x00 or 0x40 or 0x80) || payload > 2)
        {
            return false;
        }

        header = new KeyIdHeader(new Keys.KeyId(BinaryPrimitives.ReadUInt32BigEndian(source)), (EdekType)edek, (PayloadType)payload);
        return true;
    }

    /// <summary>Writes the header into the first <see cref="Length"/> bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 6 bytes.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination must hold at least {Length} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, KeyId.Value);
        destination[4] = (byte)((byte)EdekType | (byte)PayloadType);
        destination[5] = 0;
    }

    /// <summary>The header as a new 6-byte array (for prefix searches over stored ciphertexts).</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }
}
