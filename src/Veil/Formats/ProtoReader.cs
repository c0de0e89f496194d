using System.Security.Cryptography;

namespace Veil.Formats;

/// <summary>The protobuf wire types this reader understands (groups, types 3 and 4, are rejected).</summary>
internal enum ProtoWireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    Fixed32 = 5,
}

/// <summary>
/// A minimal, allocation-free protobuf reader over attacker-controlled bytes. Every malformation (truncation,
/// over-long varints, lengths beyond the buffer, field number 0, groups or unknown wire types) throws a
/// <see cref="CryptographicException"/> naming <c>what</c> was being parsed, and nothing else.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _what;
    private int _position;

    /// <summary>Reads the message in <paramref name="data"/>; <paramref name="what"/> names it in error messages.</summary>
    public ProtoReader(ReadOnlySpan<byte> data, string what)
    {
        _data = data;
        _what = what;
        _position = 0;
    }

    /// <summary>Reads the next tag, or returns false at the end of the message.</summary>
    public bool TryReadTag(out int fieldNumber, out ProtoWireType wireType)
    {
        fieldNumber = 0;
        wireType = default;
        if (_position >= _data.Length)
        {
            return false;
        }

        ulong tag = ReadVarint();
        ulong field = tag >> 3;
        int type = (int)(tag & 7);
        if (field == 0 || field > 536_870_911 || type is not (0 or 1 or 2 or 5))
        {
            throw Malformed();
        }

        fieldNumber = (int)field;
        wireType = (ProtoWireType)type;
        return true;
    }

    /// <summary>Reads a varint (at most 10 bytes).</summary>
    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw Malformed();
            }

            byte b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw Malformed();
    }

    /// <summary>Reads the payload of a length-delimited field (bytes, string or embedded message).</summary>
    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw Malformed();
        }

        ReadOnlySpan<byte> value = _data.Slice(_position, (int)length);
        _position += (int)length;
        return value;
    }

    /// <summary>Reads an enum or int32 value the way proto3 does (the low 32 bits of the varint).</summary>
    public int ReadInt32() => unchecked((int)ReadVarint());

    /// <summary>Skips a field of <paramref name="wireType"/>.</summary>
    public void Skip(ProtoWireType wireType)
    {
        switch (wireType)
        {
            case ProtoWireType.Varint:
                ReadVarint();
                break;
            case ProtoWireType.Fixed64:
                Advance(8);
                break;
            case ProtoWireType.Fixed32:
                Advance(4);
                break;
            case ProtoWireType.LengthDelimited:
                ReadLengthDelimited();
                break;
            default:
                throw Malformed();
        }
    }

    /// <summary>Throws unless the field just read has the wire type its schema requires.</summary>
    public readonly void Expect(ProtoWireType actual, ProtoWireType expected)
    {
        if (actual != expected)
        {
            throw Malformed();
        }
    }

    /// <summary>The exception for a malformed message.</summary>
    public readonly CryptographicException Malformed() => new($"The {_what} is not a valid protobuf message.");

    private void Advance(int count)
    {
        if (count > _data.Length - _position)
        {
            throw Malformed();
        }

        _position += count;
    }
}
