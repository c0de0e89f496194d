using Veil.Keys;

namespace Veil.Formats;

/// <summary>
/// Alloy's <c>paired_icl_info</c>: the 6-byte key-id header (payload type VectorMetadata) followed by the protobuf
/// <c>VectorEncryptionMetadata { bytes iv = 1; bytes auth_hash = 2; }</c>. Canonically 54 bytes:
/// <c>kid(4) 81 00 0A 0C iv(12) 12 20 tag(32)</c>.
/// </summary>
internal static class VectorMetadata
{
    /// <summary>The IV length.</summary>
    public const int IvLength = 12;

    /// <summary>The tag length.</summary>
    public const int TagLength = 32;

    /// <summary>The canonical encoded length.</summary>
    public const int Length = KeyIdHeader.Length + 2 + IvLength + 2 + TagLength;

    /// <summary>Writes the canonical encoding into the first <see cref="Length"/> bytes of <paramref name="destination"/>.</summary>
    public static void Write(KeyId keyId, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> tag, Span<byte> destination)
    {
        new KeyIdHeader(keyId, EdekType.Standalone, PayloadType.VectorMetadata).WriteTo(destination);
        destination[6] = 0x0A;
        destination[7] = IvLength;
        iv.CopyTo(destination[8..]);
        destination[20] = 0x12;
        destination[21] = TagLength;
        tag.CopyTo(destination[22..]);
    }

    /// <summary>Parses <paramref name="source"/> into its header, IV and tag.</summary>
    public static VectorMetadataStatus TryParse(
        ReadOnlySpan<byte> source,
        out KeyIdHeader header,
        out ReadOnlySpan<byte> iv,
        out ReadOnlySpan<byte> tag)
    {
        iv = default;
        tag = default;
        if (!KeyIdHeader.TryParse(source, out header))
        {
            return VectorMetadataStatus.MalformedHeader;
        }

        if (header.EdekType != EdekType.Standalone || header.PayloadType != PayloadType.VectorMetadata)
        {
            return VectorMetadataStatus.WrongType;
        }

        try
        {
            var reader = new ProtoReader(source[KeyIdHeader.Length..], "vector encryption metadata");
            while (reader.TryReadTag(out int field, out ProtoWireType wireType))
            {
                if (field is 1 or 2 && wireType == ProtoWireType.LengthDelimited)
                {
                    // proto3: the last occurrence of a singular field wins.
                    if (field == 1)
                    {
                        iv = reader.ReadLengthDelimited();
                    }
                    else
                    {
                        tag = reader.ReadLengthDelimited();
                    }
                }
                else
                {
                    reader.Skip(wireType);
                }
            }
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return VectorMetadataStatus.MalformedProtobuf;
        }

        if (iv.Length != IvLength)
        {
            return VectorMetadataStatus.InvalidIv;
        }

        return tag.Length != TagLength ? VectorMetadataStatus.InvalidTag : VectorMetadataStatus.Valid;
    }
}

/// <summary>The outcome of parsing vector metadata.</summary>
internal enum VectorMetadataStatus
{
    Valid,
    MalformedHeader,
    WrongType,
    MalformedProtobuf,
    InvalidIv,
    InvalidTag,
}
