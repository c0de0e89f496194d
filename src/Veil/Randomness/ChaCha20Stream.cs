using System.Runtime.CompilerServices;

namespace Veil.Randomness;

/// <summary>
/// A ChaCha20 word stream with rand_chacha's <c>ChaCha20Rng</c> semantics: the seed is the key, the keystream is read
/// as little-endian u32 words; <see cref="NextUInt64"/> joins two consecutive words, low first (also across buffer
/// refills); <see cref="FillBytes"/> copies whole words and discards the unused bytes of the last one.
/// </summary>
/// <remarks>The caller provides the buffer (a multiple of 16 words), so the hot path does not allocate.</remarks>
internal ref struct ChaCha20Stream
{
    private readonly Span<uint> _buffer;
    private ChaChaKey _key;
    private ulong _nextBlock;
    private int _index;

    /// <summary>Starts the stream of <paramref name="seed"/> at word <paramref name="wordPosition"/>.</summary>
    public ChaCha20Stream(ReadOnlySpan<byte> seed, Span<uint> buffer, ulong wordPosition = 0)
    {
        if (buffer.Length == 0 || buffer.Length % ChaCha20.BlockWords != 0)
        {
            throw new ArgumentException("The buffer must hold a positive number of whole 16-word blocks.", nameof(buffer));
        }

        _buffer = buffer;
        _key = ChaChaKey.FromBytes(seed);
        _nextBlock = wordPosition / ChaCha20.BlockWords;
        _index = buffer.Length;
        int skip = (int)(wordPosition % ChaCha20.BlockWords);
        if (skip != 0)
        {
            Refill();
            _index = skip;
        }
    }

    /// <summary>The number of words consumed so far.</summary>
    public readonly ulong WordPosition => unchecked((_nextBlock * ChaCha20.BlockWords) - (ulong)(_buffer.Length - _index));

    /// <summary>The buffered words not yet consumed (refilling first when empty).</summary>
    public ReadOnlySpan<uint> Available
    {
        get
        {
            if (_index >= _buffer.Length)
            {
                Refill();
            }

            return _buffer[_index..];
        }
    }

    /// <summary>Marks <paramref name="words"/> words of <see cref="Available"/> as consumed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance(int words) => _index += words;

    /// <summary>The next word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint NextUInt32()
    {
        if (_index >= _buffer.Length)
        {
            Refill();
        }

        return _buffer[_index++];
    }

    /// <summary>The next two words as one u64, low word first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        if (_index + 1 < _buffer.Length)
        {
            ulong value = _buffer[_index] | ((ulong)_buffer[_index + 1] << 32);
            _index += 2;
            return value;
        }

        ulong low = NextUInt32();
        return low | ((ulong)NextUInt32() << 32);
    }

    /// <summary>Fills <paramref name="destination"/> with whole little-endian words; the rest of a partial last word is dropped.</summary>
    public void FillBytes(Span<byte> destination)
    {
        Span<byte> word = stackalloc byte[4];
        while (destination.Length > 0)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(word, NextUInt32());
            int n = Math.Min(4, destination.Length);
            word[..n].CopyTo(destination);
            destination = destination[n..];
        }
    }

    private void Refill()
    {
        ChaCha20.GenerateBlocks(_key, _nextBlock, _buffer);
        _nextBlock = unchecked(_nextBlock + (ulong)(_buffer.Length / ChaCha20.BlockWords));
        _index = 0;
    }
}
