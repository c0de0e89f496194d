namespace Veil.Formats;

/// <summary>
/// A minimal, allocation-free protobuf wire-format reader for the small messages in ciphertext headers. Reads
/// attacker-controlled bytes: every method returns false on malformed input instead of throwing.
/// </summary>
internal ref struct ProtobufReader
{
    private ReadOnlySpan<byte> _remaining;

    public ProtobufReader(ReadOnlySpan<byte> message) => _remaining = message;

    /// <summary>Whether all input has been read.</summary>
    public readonly bool IsAtEnd => _remaining.IsEmpty;

    /// <summary>Reads the next field's number and wire type.</summary>
    public bool TryReadTag(out int fieldNumber, out int wireType)
    {
        fieldNumber = 0;
        wireType = 0;
        if (!TryReadVarint(out ulong tag) || tag > int.MaxValue)
        {
            return false;
        }

        fieldNumber = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return fieldNumber > 0;
    }

    /// <summary>Reads a length-delimited value (wire type 2).</summary>
    public bool TryReadLengthDelimited(out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TryReadVarint(out ulong length) || length > (ulong)_remaining.Length)
        {
            return false;
        }

        value = _remaining[..(int)length];
        _remaining = _remaining[(int)length..];
        return true;
    }

    /// <summary>Reads a base-128 varint of at most 10 bytes.</summary>
    public bool TryReadVarint(out ulong value)
    {
        value = 0;
        for (int i = 0; i < 10 && i < _remaining.Length; i++)
        {
            byte b = _remaining[i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                _remaining = _remaining[(i + 1)..];
                return true;
            }
        }

        return false;
    }

    /// <summary>Skips a field of the given wire type (groups are not supported and fail).</summary>
    public bool TrySkip(int wireType)
    {
        switch (wireType)
        {
            case 0:
                return TryReadVarint(out _);
            case 1:
                return TrySkipBytes(8);
            case 2:
                return TryReadLengthDelimited(out _);
            case 5:
                return TrySkipBytes(4);
            default:
                return false;
        }
    }

    private bool TrySkipBytes(int count)
    {
        if (_remaining.Length < count)
        {
            return false;
        }

        _remaining = _remaining[count..];
        return true;
    }
}
