namespace Veil.Formats;

/// <summary>
/// Z85 (ZeroMQ RFC 32) text encoding, and Alloy's prefix helper for searching stored ciphertext headers in stores that
/// hold them as Z85 text.
/// </summary>
public static class Z85
{
    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

    /// <summary>Encodes <paramref name="data"/>, whose length must be a multiple of 4.</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 4.</exception>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        if (data.Length % 4 != 0)
        {
            throw new ArgumentException("Z85 encodes whole groups of 4 bytes.", nameof(data));
        }

        var chars = new char[data.Length / 4 * 5];
        for (int group = 0; group < data.Length / 4; group++)
        {
            uint value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data.Slice(group * 4, 4));
            for (int i = 4; i >= 0; i--)
            {
                chars[(group * 5) + i] = Alphabet[(int)(value % 85)];
                value /= 85;
            }
        }

        return new string(chars);
    }

    /// <summary>
    /// Alloy's <c>encode_prefix_z85</c>: pads a 6-byte header with two zero bytes, encodes it and drops the last three
    /// characters, which depend only on the padding. The result is a prefix of the Z85 form of every ciphertext that
    /// starts with <paramref name="prefix"/>.
    /// </summary>
    public static string EncodePrefix(ReadOnlySpan<byte> prefix)
    {
        Span<byte> padded = stackalloc byte[prefix.Length + 2];
        prefix.CopyTo(padded);
        if (padded.Length % 4 != 0)
        {
            throw new ArgumentException("The prefix plus two bytes of padding must be a multiple of 4 bytes.", nameof(prefix));
        }

        string encoded = Encode(padded);
        return encoded[..^3];
    }
}
