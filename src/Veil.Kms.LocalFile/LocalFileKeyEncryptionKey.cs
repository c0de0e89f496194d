using System.Diagnostics;
using System.Security.Cryptography;
using Veil.Keys;

namespace Veil.Kms.LocalFile;

/// <summary>An AES-256-GCM KEK derived from a passphrase. Wrapped form: 12-byte nonce ‖ ciphertext ‖ 16-byte tag.</summary>
[DebuggerDisplay("LocalFileKeyEncryptionKey ({KeyUri}, redacted)")]
internal sealed class LocalFileKeyEncryptionKey : IKeyEncryptionKey
{
    public const int KeyLength = 32;
    private const int NonceLength = 12;
    private const int TagLength = 16;

    private readonly byte[] _key;
    private readonly Lock _lock = new();
    private bool _disposed;

    public LocalFileKeyEncryptionKey(string keyUri, byte[] pinnedKey)
    {
        KeyUri = keyUri;
        _key = pinnedKey;
    }

    public string KeyUri { get; }

    public ValueTask<byte[]> WrapKeyAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(WrapKey(key.Span, associatedData.Span));
    }

    public ValueTask<byte[]> UnwrapKeyAsync(ReadOnlyMemory<byte> wrappedKey, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(UnwrapKey(wrappedKey.Span, associatedData.Span));
    }

    /// <summary>AES-256-GCM in memory (nothing to wait for): nonce, ciphertext, tag.</summary>
    internal byte[] WrapKey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> associatedData)
    {
        byte[] output = new byte[NonceLength + key.Length + TagLength];
        Span<byte> nonce = output.AsSpan(0, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var gcm = new AesGcm(_key, TagLength);
            gcm.Encrypt(nonce, key, output.AsSpan(NonceLength, key.Length), output.AsSpan(NonceLength + key.Length), associatedData);
        }

        return output;
    }

    internal byte[] UnwrapKey(ReadOnlySpan<byte> wrappedKey, ReadOnlySpan<byte> associatedData)
    {
        if (wrappedKey.Length < NonceLength + TagLength)
        {
            throw new AuthenticationTagMismatchException("The wrapped key is too short.");
        }

        int length = wrappedKey.Length - NonceLength - TagLength;
        byte[] output = new byte[length];
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var gcm = new AesGcm(_key, TagLength);
            gcm.Decrypt(wrappedKey[..NonceLength], wrappedKey.Slice(NonceLength, length), wrappedKey[(NonceLength + length)..], output, associatedData);
        }

        return output;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            CryptographicOperations.ZeroMemory(_key);
            _disposed = true;
        }
    }

    public override string ToString() => $"LocalFileKeyEncryptionKey ({KeyUri}, redacted)";
}
