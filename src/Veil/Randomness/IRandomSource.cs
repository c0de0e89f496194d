namespace Veil.Randomness;

/// <summary>Where IVs, nonces and data keys come from. Production uses <see cref="SystemRandomSource"/>.</summary>
internal interface IRandomSource
{
    /// <summary>Fills <paramref name="destination"/> with random bytes. Thread-safe.</summary>
    void Fill(Span<byte> destination);

    /// <summary>
    /// Whether the bytes are a function of a seed (the insecure test mode). Batches then run their items one after
    /// another, so that each draws in input order and seeded output is reproducible.
    /// </summary>
    bool IsDeterministic { get; }
}

/// <summary>
/// The operating system's CSPRNG. Small requests (IVs) are served from a per-thread buffer refilled 4 KiB at a time,
/// because one OS call costs about as much as a third of a vector encryption; served bytes are wiped from the buffer.
/// </summary>
internal sealed class SystemRandomSource : IRandomSource
{
    private const int BufferSize = 4096;
    private const int BufferedRequestLimit = 64;

    [ThreadStatic]
    private static byte[]? s_buffer;

    [ThreadStatic]
    private static int s_position;

    /// <summary>The shared instance.</summary>
    public static SystemRandomSource Instance { get; } = new();

    /// <inheritdoc/>
    public bool IsDeterministic => false;

    /// <inheritdoc/>
    public void Fill(Span<byte> destination)
    {
        if (destination.Length > BufferedRequestLimit)
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(destination);
            return;
        }

        byte[]? buffer = s_buffer;
        if (buffer is null || BufferSize - s_position < destination.Length)
        {
            buffer ??= s_buffer = GC.AllocateArray<byte>(BufferSize, pinned: true);
            System.Security.Cryptography.RandomNumberGenerator.Fill(buffer);
            s_position = 0;
        }

        Span<byte> chunk = buffer.AsSpan(s_position, destination.Length);
        chunk.CopyTo(destination);
        chunk.Clear();
        s_position += destination.Length;
    }
}

/// <summary>
/// INSECURE: Alloy's seeded test randomness, a ChaCha20 stream seeded with <c>seed_from_u64(seed)</c> (an i32 seed
/// sign-extends). Every value it produces is predictable from the seed. Exists only to reproduce known answers.
/// </summary>
internal sealed class SeededRandomSource : IRandomSource
{
    private readonly byte[] _seed = new byte[ChaCha20.KeyBytes];
    private readonly uint[] _buffer = new uint[4 * ChaCha20.BlockWords];
    private readonly Lock _lock = new();
    private ulong _position;

    public SeededRandomSource(long seed) => SeedFromU64.Expand(unchecked((ulong)seed), _seed);

    /// <inheritdoc/>
    public bool IsDeterministic => true;

    /// <inheritdoc/>
    public void Fill(Span<byte> destination)
    {
        lock (_lock)
        {
            var stream = new ChaCha20Stream(_seed, _buffer, _position);
            stream.FillBytes(destination);
            _position = stream.WordPosition;
        }
    }
}
