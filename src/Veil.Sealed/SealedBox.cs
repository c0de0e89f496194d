using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Veil.Keys;

namespace Veil.Sealed;

/// <summary>What a sealed box holds; part of its header and of its associated data.</summary>
internal enum SealedKind : byte
{
    /// <summary>One record's vector (float32 little-endian).</summary>
    Vector = 1,

    /// <summary>A snapshot of the key holder's index.</summary>
    IndexSnapshot = 2,

    /// <summary>One entry of the index's change log.</summary>
    IndexLogEntry = 3,

    /// <summary>A named record of the index storage (the head record, a re-seal checkpoint).</summary>
    IndexRecord = 4,
}

/// <summary>
/// The sealed format, version 1: <c>version (1) ‖ kind (1) ‖ key id (u32 BE) ‖ nonce (12) ‖ AES-256-GCM ciphertext ‖
/// tag (16)</c>. The associated data is <c>"veil-sealed/v1" ‖ header (6) ‖ u32be len ‖ collection name ‖ u32be len ‖
/// context</c>, where the context is the record key (vectors), the sequence number (log entries), the sequence number, snapshot id, chunk
/// index and chunk count (snapshot chunks) or the record name (named records): a box moved to
/// another record, collection, kind or sequence number, or altered in any byte, fails to open.
/// </summary>
internal static class SealedBox
{
    public const byte Version = 1;
    public const int HeaderLength = 6;
    public const int NonceLength = 12;
    public const int TagLength = 16;
    public const int Overhead = HeaderLength + NonceLength + TagLength;

    private static ReadOnlySpan<byte> Label => "veil-sealed/v1"u8;

    /// <summary>Seals <paramref name="plaintext"/> under the keyring's primary key.</summary>
    public static byte[] Seal(SealedKeyring keys, SealedKind kind, string collection, ReadOnlySpan<byte> context, ReadOnlySpan<byte> plaintext)
    {
        using var sealer = new SealedBoxSealer(keys, kind, collection);
        byte[] box = new byte[Overhead + plaintext.Length];
        sealer.Seal(context, plaintext, box);
        return box;
    }

    /// <summary>Opens a box; false (never an exception) when it is malformed, of another kind, under an unknown key, or fails authentication.</summary>
    public static bool TryOpen(SealedKeyring keys, SealedKind kind, string collection, ReadOnlySpan<byte> context, ReadOnlySpan<byte> box, out byte[] plaintext)
    {
        plaintext = [];
        if (box.Length < Overhead || box[0] != Version || box[1] != (byte)kind)
        {
            return false;
        }

        using AesGcm? aes = keys.Create(BinaryPrimitives.ReadUInt32BigEndian(box[2..]), Purpose(kind));
        if (aes is null)
        {
            return false;
        }

        byte[] aad = AssociatedData(box[..HeaderLength], collection, context);
        byte[] output = new byte[box.Length - Overhead];
        try
        {
            aes.Decrypt(box.Slice(HeaderLength, NonceLength), box.Slice(HeaderLength + NonceLength, output.Length), box[^TagLength..], output, aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        plaintext = output;
        return true;
    }

    /// <summary>The key id a box claims in its header, or null when the box is too short to have one.</summary>
    public static KeyId? KeyIdOf(ReadOnlySpan<byte> box) =>
        box.Length < HeaderLength ? null : new KeyId(BinaryPrimitives.ReadUInt32BigEndian(box[2..]));

    private static SealedKeyPurpose Purpose(SealedKind kind) => kind == SealedKind.Vector ? SealedKeyPurpose.Vector : SealedKeyPurpose.Index;

    private static byte[] AssociatedData(ReadOnlySpan<byte> header, string collection, ReadOnlySpan<byte> context)
    {
        byte[] aad = new byte[AssociatedDataPrefixLength(collection) + 4 + context.Length];
        int prefix = WriteAssociatedDataPrefix(header, collection, aad);
        WriteContext(context, aad.AsSpan(prefix));
        return aad;
    }

    /// <summary>The length of <c>"veil-sealed/v1" ‖ header ‖ u32be len ‖ collection name</c>.</summary>
    internal static int AssociatedDataPrefixLength(string collection) => Label.Length + HeaderLength + 4 + Encoding.UTF8.GetByteCount(collection);

    /// <summary>Writes the part of the associated data that precedes the context; returns its length.</summary>
    internal static int WriteAssociatedDataPrefix(ReadOnlySpan<byte> header, string collection, Span<byte> destination)
    {
        Label.CopyTo(destination);
        Span<byte> span = destination[Label.Length..];
        header.CopyTo(span);
        span = span[HeaderLength..];
        int nameLength = Encoding.UTF8.GetBytes(collection, span[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)nameLength);
        return Label.Length + HeaderLength + 4 + nameLength;
    }

    /// <summary>Writes <c>u32be len ‖ context</c>, the end of the associated data.</summary>
    internal static void WriteContext(ReadOnlySpan<byte> context, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)context.Length);
        context.CopyTo(destination[4..]);
    }

    internal static void WriteHeader(SealedKind kind, uint keyId, Span<byte> header)
    {
        header[0] = Version;
        header[1] = (byte)kind;
        BinaryPrimitives.WriteUInt32BigEndian(header[2..], keyId);
    }

    internal static SealedKeyPurpose PurposeOf(SealedKind kind) => Purpose(kind);
}
