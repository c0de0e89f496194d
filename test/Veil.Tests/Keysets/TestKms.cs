using System.Security.Cryptography;
using Veil.Keys;

namespace Veil.Tests.Keysets;

/// <summary>An in-memory AES-256-GCM KMS for keyset tests; records every cleartext it wraps so tests can compare.</summary>
internal sealed class TestKms : IKmsClient
{
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public List<byte[]> Wrapped { get; } = [];

    public int GetKeyCalls { get; private set; }

    /// <summary>Runs on every GetKeyAsync, before the key is returned (for example to cancel mid-operation).</summary>
    public Action? OnGetKey { get; set; }

    /// <summary>How many keys every KEK of this KMS has unwrapped.</summary>
    public int UnwrapCalls { get; private set; }

    /// <summary>Uses <paramref name="key"/> as the KEK at <paramref name="uri"/> (for keysets stored as test vectors).</summary>
    public void AddKey(string uri, byte[] key) => _keys[uri] = key;

    public TestKek Kek(string uri = "test:kek")
    {
        if (!_keys.TryGetValue(uri, out byte[]? key))
        {
            key = RandomNumberGenerator.GetBytes(32);
            _keys.Add(uri, key);
        }

        return new TestKek(uri, key, Wrapped, () => UnwrapCalls++);
    }

    public bool Supports(string keyUri) => keyUri.StartsWith("test:", StringComparison.Ordinal);

    public ValueTask<IKeyEncryptionKey> GetKeyAsync(string keyUri, CancellationToken cancellationToken = default)
    {
        GetKeyCalls++; // counted before the token is checked: a cancelled caller must not get here at all
        OnGetKey?.Invoke();
        cancellationToken.ThrowIfCancellationRequested();
        return _keys.ContainsKey(keyUri) ? ValueTask.FromResult<IKeyEncryptionKey>(Kek(keyUri)) : throw new KeyNotAvailableException($"no key {keyUri}");
    }
}

internal sealed class TestKek(string uri, byte[] key, List<byte[]> wrapped, Action onUnwrap) : IKeyEncryptionKey
{
    public string KeyUri { get; } = uri;

    /// <summary>Records the call (in the KMS's Wrapped list) before checking the token, so tests see any call a cancelled caller makes.</summary>
    public ValueTask<byte[]> WrapKeyAsync(ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken = default)
    {
        byte[] result = WrapKey(plaintext.Span, associatedData.Span);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(result);
    }

    /// <summary>Counts the call before checking the token (see <see cref="WrapKeyAsync"/>).</summary>
    public ValueTask<byte[]> UnwrapKeyAsync(ReadOnlyMemory<byte> wrappedKey, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken = default)
    {
        byte[] result = UnwrapKey(wrappedKey.Span, associatedData.Span);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(result);
    }

    public byte[] WrapKey(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        wrapped.Add(plaintext.ToArray());
        byte[] output = new byte[12 + plaintext.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(output.AsSpan(0, 12), plaintext, output.AsSpan(12, plaintext.Length), output.AsSpan(12 + plaintext.Length), associatedData);
        return output;
    }

    public byte[] UnwrapKey(ReadOnlySpan<byte> wrappedKey, ReadOnlySpan<byte> associatedData)
    {
        onUnwrap();
        int length = wrappedKey.Length - 28;
        if (length < 0)
        {
            throw new AuthenticationTagMismatchException();
        }

        byte[] output = new byte[length];
        using var gcm = new AesGcm(key, 16);
        gcm.Decrypt(wrappedKey[..12], wrappedKey.Slice(12, length), wrappedKey[(12 + length)..], output, associatedData);
        return output;
    }

    public void Dispose()
    {
    }
}
