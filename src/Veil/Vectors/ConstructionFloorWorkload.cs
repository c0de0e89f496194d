using System.Security.Cryptography;

namespace Veil.Vectors;

/// <summary>
/// The work no implementation of vector encryption can avoid for one d-dimensional vector: the ChaCha20 keystream the
/// perturbation consumes (2d + 1 words, in whole blocks) and HMAC-SHA256 over the 4·d ciphertext bytes. Benchmark
/// harnesses (<c>veil bench</c>) report encryption time as a multiple of it.
/// </summary>
/// <remarks>
/// It runs under a random throwaway key, never a real one (a tag computed under a real key over chosen bytes would be
/// a forgery), and returns nothing: the cost does not depend on the key. Not thread-safe: use one per thread.
/// </remarks>
public sealed class ConstructionFloorWorkload : IDisposable
{
    private readonly VectorEncryptionKey _key;
    private readonly uint[] _keystream;
    private readonly byte[] _tag = new byte[32];

    /// <summary>Prepares the workload for vectors of <paramref name="dimensions"/> coordinates.</summary>
    /// <param name="dimensions">The vector dimension.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimensions"/> is not positive.</exception>
    public ConstructionFloorWorkload(int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        Dimensions = dimensions;
        _keystream = new uint[ConstructionFloor.KeystreamWords(dimensions)];
        byte[] key = RandomNumberGenerator.GetBytes(VectorEncryptionKey.KeyLength);
        _key = VectorEncryptionKey.Create(1f, key);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>The vector dimension.</summary>
    public int Dimensions { get; }

    /// <summary>Does the floor's work once over <paramref name="ciphertext"/>.</summary>
    /// <param name="ciphertext">A ciphertext of <see cref="Dimensions"/> coordinates (its values do not matter).</param>
    /// <exception cref="ArgumentException">The length is not <see cref="Dimensions"/>.</exception>
    /// <exception cref="ObjectDisposedException">The workload was disposed.</exception>
    public void Run(ReadOnlySpan<float> ciphertext)
    {
        ObjectDisposedException.ThrowIf(_key.IsDisposed, this);
        if (ciphertext.Length != Dimensions)
        {
            throw new ArgumentException($"The ciphertext has {ciphertext.Length} coordinates; the workload was prepared for {Dimensions}.", nameof(ciphertext));
        }

        ConstructionFloor.Run(_key, ciphertext, _keystream, _tag);
    }

    /// <summary>Zeroes the throwaway key.</summary>
    public void Dispose() => _key.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"ConstructionFloorWorkload (d = {Dimensions})";
}
