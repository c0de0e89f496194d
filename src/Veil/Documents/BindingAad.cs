using System.Buffers.Binary;
using System.Text;

namespace Veil.Documents;

/// <summary>
/// Builds the AES-GCM associated data of Veil's document binding (<see cref="DocumentBinding"/>,
/// <see cref="FieldBinding"/>), version 1:
/// <code>
/// "veil.document-binding.v1" (24 ASCII bytes) ‖ kind (1 byte: 1 standard-document field, 2 attached document)
/// ‖ u32 BE id length ‖ id
/// ‖ u32 BE name count ‖ (u32 BE name length ‖ UTF-8 name) for every field name, in ascending UTF-8 byte order
/// ‖ u32 BE name length ‖ UTF-8 name of the field this ciphertext holds
/// </code>
/// Every variable part is length-prefixed after a fixed label, so two different bindings never give the same bytes;
/// an unbound ciphertext has empty associated data, so it never authenticates as a bound one, nor the reverse.
/// </summary>
/// <remarks>
/// One builder serves one document: the common prefix is written once and each field's name is written after it in
/// the same buffer, so a document costs one allocation however many fields it has. Not thread-safe.
/// </remarks>
internal sealed class BindingAad
{
    private const int LengthSize = sizeof(uint);

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _buffer;
    private readonly int _prefixLength;

    /// <summary>Writes the prefix for <paramref name="document"/> and the field names (which are sorted in place).</summary>
    /// <exception cref="ArgumentNullException">A name is null.</exception>
    /// <exception cref="ArgumentException">A name occurs twice or is not valid UTF-16.</exception>
    public BindingAad(Kind kind, DocumentBinding document, string[] names)
    {
        foreach (string name in names)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(names));
        }

        Array.Sort(names, CompareCodePoints);
        ReadOnlySpan<byte> id = document.Id;
        int length = Label.Length + 1 + LengthSize + id.Length + LengthSize;
        int longest = 0;
        for (int i = 0; i < names.Length; i++)
        {
            if (i > 0 && string.Equals(names[i], names[i - 1], StringComparison.Ordinal))
            {
                throw new ArgumentException("A document binding cannot hold the same field name twice.", nameof(names));
            }

            int byteCount = ByteCount(names[i], nameof(names));
            length = checked(length + LengthSize + byteCount);
            longest = Math.Max(longest, byteCount);
        }

        _prefixLength = length;
        _buffer = new byte[checked(length + LengthSize + longest)];
        Span<byte> output = _buffer;
        Label.CopyTo(output);
        int offset = Label.Length;
        output[offset++] = (byte)kind;
        offset = WriteLengthPrefixed(output, offset, id);
        BinaryPrimitives.WriteUInt32BigEndian(output[offset..], (uint)names.Length);
        offset += LengthSize;
        foreach (string name in names)
        {
            offset = WriteName(output, offset, name);
        }
    }

    /// <summary>What the bound ciphertext is: the kind byte of the associated data.</summary>
    internal enum Kind : byte
    {
        /// <summary>A field of a standard document (<see cref="DocumentBinding"/>).</summary>
        StandardField = 1,

        /// <summary>An attached document holding one field of a record (<see cref="FieldBinding"/>).</summary>
        AttachedDocument = 2,
    }

    /// <summary>The versioned label every binding's associated data starts with.</summary>
    public static ReadOnlySpan<byte> Label => "veil.document-binding.v1"u8;

    /// <summary>
    /// The associated data of the field <paramref name="fieldName"/>, which must be one of the names the builder was
    /// made with. The span is valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> For(string fieldName)
    {
        int end = WriteName(_buffer, _prefixLength, fieldName);
        return _buffer.AsSpan(0, end);
    }

    /// <summary>The strict UTF-8 of <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">The text holds a lone surrogate.</exception>
    public static byte[] Utf8(string text, string paramName)
    {
        byte[] bytes = new byte[ByteCount(text, paramName)];
        s_strictUtf8.GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>
    /// Orders strings as their UTF-8 bytes order (by code point), not as <see cref="StringComparison.Ordinal"/> (by
    /// UTF-16 code unit), which differs when a surrogate pair meets a character from U+E000 to U+FFFF.
    /// </summary>
    internal static int CompareCodePoints(string? left, string? right)
    {
        if (left is null || right is null)
        {
            return left is null ? (right is null ? 0 : -1) : 1;
        }

        int shorter = Math.Min(left.Length, right.Length);
        for (int i = 0; i < shorter; i++)
        {
            if (left[i] != right[i])
            {
                return CodePointOrder(left[i]) - CodePointOrder(right[i]);
            }
        }

        return left.Length - right.Length;
    }

    // Surrogates (U+D800–U+DFFF) move above U+E000–U+FFFF, as the code points they encode are.
    private static int CodePointOrder(char c) => c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;

    private static int ByteCount(string text, string paramName)
    {
        try
        {
            return s_strictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("A document id or field name of a binding is not valid UTF-16 (it holds a lone surrogate).", paramName, e);
        }
    }

    private static int WriteName(Span<byte> output, int offset, string name)
    {
        int written = s_strictUtf8.GetBytes(name, output[(offset + LengthSize)..]);
        BinaryPrimitives.WriteUInt32BigEndian(output[offset..], (uint)written);
        return offset + LengthSize + written;
    }

    private static int WriteLengthPrefixed(Span<byte> output, int offset, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output[offset..], (uint)value.Length);
        value.CopyTo(output[(offset + LengthSize)..]);
        return offset + LengthSize + value.Length;
    }
}
