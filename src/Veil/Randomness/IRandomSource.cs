namespace Veil.Randomness;

/// <summary>Where IVs, nonces and data keys come from. Production uses <see cref="SystemRandomSource"/>.</summary>
internal interface IRandomSource
{
    /// <summary>Fills <paramref name="destination"/> with random bytes. Thread-safe.</summary>
    void Fill(Span<byte> destination);
}

/// <summary>The operating system's CSPRNG.</summary>
internal sealed class SystemRandomSource : IRandomSource
{
    /// <summary>The shared instance.</summary>
    public static SystemRandomSource Instance { get; } = new();

    /// <inheritdoc/>
    public void Fill(Span<byte> destination) => System.Security.Cryptography.RandomNumberGenerator.Fill(destination);
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
