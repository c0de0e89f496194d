using System.Diagnostics;
using System.Security.Cryptography;

namespace Veil.Keys;

/// <summary>
/// Root secret bytes from which per-tenant keys are derived. At least 32 bytes, which should come from a
/// cryptographically secure random source (<see cref="Generate"/>).
/// </summary>
/// <remarks>
/// <para><b>Security.</b> The bytes are held in a pinned array that is zeroed on <see cref="Dispose"/>. They never
/// appear in <see cref="ToString"/>, the debugger display or any exception message.</para>
/// <para><b>Thread safety.</b> Reading is thread-safe; do not dispose while other threads use the secret.</para>
/// </remarks>
[DebuggerDisplay("Secret ({Length} bytes, redacted)")]
public sealed class Secret : IDisposable
{
    /// <summary>The minimum secret length in bytes (Alloy: "at least 32 cryptographically random bytes").</summary>
    public const int MinimumLength = 32;

    private readonly byte[] _bytes;
    private bool _disposed;

    /// <summary>Copies <paramref name="secretBytes"/> into a new secret.</summary>
    /// <exception cref="ArgumentException">Fewer than <see cref="MinimumLength"/> bytes.</exception>
    public Secret(ReadOnlySpan<byte> secretBytes)
    {
        if (secretBytes.Length < MinimumLength)
        {
            throw new ArgumentException(
                $"Secrets must be at least {MinimumLength} cryptographically random bytes; got {secretBytes.Length}.",
                nameof(secretBytes));
        }

        _bytes = GC.AllocateArray<byte>(secretBytes.Length, pinned: true);
        secretBytes.CopyTo(_bytes);
    }

    /// <summary>The secret's length in bytes (not secret).</summary>
    public int Length => _bytes.Length;

    /// <summary>Creates a secret of <paramref name="length"/> bytes from the operating system's CSPRNG.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is below <see cref="MinimumLength"/>.</exception>
    public static Secret Generate(int length = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, MinimumLength);
        byte[] buffer = GC.AllocateArray<byte>(length, pinned: true);
        try
        {
            RandomNumberGenerator.Fill(buffer);
            return new Secret(buffer);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>The secret bytes as memory, for asynchronous wrapping; valid until <see cref="Dispose"/>.</summary>
    internal ReadOnlyMemory<byte> Memory
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    internal ReadOnlySpan<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    /// <summary>Zeroes the secret bytes.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_bytes);
            _disposed = true;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Secret ({Length} bytes, redacted)";
}
