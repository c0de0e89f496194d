namespace Veil.Protocol;

/// <summary>
/// The float memory of one chunk of JSON Lines items (the vectors read and the vectors made), cut from one block that
/// is kept from chunk to chunk: no array per vector, so nothing for the garbage collector to copy while a chunk waits
/// between the pipeline's stages. Allocation is thread-safe (a chunk is parsed and processed in parallel); what does
/// not fit is allocated as an array of its own and the block grows to the chunk's need at <see cref="Reset"/>.
/// </summary>
/// <remarks>The memory may hold plaintext vectors: <see cref="Reset"/> clears it.</remarks>
internal sealed class VectorArena
{
    private float[] _block = [];
    private long _used;

    /// <summary><paramref name="length"/> floats (zero when newly cut), valid until <see cref="Reset"/>.</summary>
    public Memory<float> Allocate(int length)
    {
        long end = Interlocked.Add(ref _used, length);
        return end <= _block.Length ? _block.AsMemory((int)(end - length), length) : new float[length];
    }

    /// <summary>A copy of <paramref name="values"/> in the arena.</summary>
    public ReadOnlyMemory<float> Copy(ReadOnlySpan<float> values)
    {
        Memory<float> memory = Allocate(values.Length);
        values.CopyTo(memory.Span);
        return memory;
    }

    /// <summary>
    /// Clears what was handed out and takes it all back, growing the block to what the chunk asked for; call it once
    /// nothing refers to the chunk's memory any more.
    /// </summary>
    public void Reset()
    {
        long used = Interlocked.Exchange(ref _used, 0);
        _block.AsSpan(0, (int)Math.Min(used, _block.Length)).Clear();
        if (used > _block.Length)
        {
            _block = new float[Math.Min(used + (used / 8), Array.MaxLength)];
        }
    }
}
