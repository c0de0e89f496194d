using System.Buffers.Binary;
using System.Text;

namespace Veil.Sealed;

/// <summary>
/// The bytes of a record key, as bound into a sealed vector's associated data and written into index snapshots and
/// log entries: a type tag, then UTF-8 (string), the 16 bytes of a Guid, or a big-endian int or long.
/// </summary>
internal static class RecordKeyCodec<TKey>
    where TKey : notnull
{
    /// <summary>Throws when <typeparamref name="TKey"/> is not a supported key type.</summary>
    public static void EnsureSupported()
    {
        if (typeof(TKey) != typeof(string) && typeof(TKey) != typeof(Guid) && typeof(TKey) != typeof(int) && typeof(TKey) != typeof(long))
        {
            throw new NotSupportedException($"The sealed collection supports string, Guid, int and long keys, not '{typeof(TKey).Name}'.");
        }
    }

    public static byte[] Encode(TKey key)
    {
        switch (key)
        {
            case string text:
                byte[] utf8 = new byte[1 + Encoding.UTF8.GetByteCount(text)];
                utf8[0] = (byte)'s';
                Encoding.UTF8.GetBytes(text, utf8.AsSpan(1));
                return utf8;
            case Guid guid:
                byte[] g = new byte[17];
                g[0] = (byte)'g';
                guid.TryWriteBytes(g.AsSpan(1), bigEndian: true, out _);
                return g;
            case int number:
                byte[] i = new byte[5];
                i[0] = (byte)'i';
                BinaryPrimitives.WriteInt32BigEndian(i.AsSpan(1), number);
                return i;
            case long number:
                byte[] l = new byte[9];
                l[0] = (byte)'l';
                BinaryPrimitives.WriteInt64BigEndian(l.AsSpan(1), number);
                return l;
            default:
                throw new NotSupportedException($"The sealed collection supports string, Guid, int and long keys, not '{key.GetType().Name}'.");
        }
    }

    /// <exception cref="InvalidDataException">The bytes are not a key of type <typeparamref name="TKey"/>.</exception>
    public static TKey Decode(ReadOnlySpan<byte> bytes)
    {
        object? key = bytes.Length == 0 ? null : (char)bytes[0] switch
        {
            's' when typeof(TKey) == typeof(string) => Encoding.UTF8.GetString(bytes[1..]),
            'g' when typeof(TKey) == typeof(Guid) && bytes.Length == 17 => new Guid(bytes[1..], bigEndian: true),
            'i' when typeof(TKey) == typeof(int) && bytes.Length == 5 => BinaryPrimitives.ReadInt32BigEndian(bytes[1..]),
            'l' when typeof(TKey) == typeof(long) && bytes.Length == 9 => BinaryPrimitives.ReadInt64BigEndian(bytes[1..]),
            _ => null,
        };
        return key is TKey typed ? typed : throw new InvalidDataException("A sealed index entry holds a key of another type.");
    }
}
