using System.Diagnostics;
using System.Security.Cryptography;
using Veil.Keys;

namespace Veil.Sealed;

/// <summary>
/// The sealed-mode keys of one tenant, derived from the keyset's standard (AES-256-GCM) secrets with a purpose of their
/// own: one key seals vectors, another seals the key holder's index. The primary secret seals; every configured secret
/// opens, so rotating the standard secret keeps old rows readable.
/// </summary>
/// <remarks>
/// <para><b>Security.</b> Derived keys live in pinned arrays zeroed on <see cref="Dispose"/>; they never appear in
/// <see cref="ToString"/>, the debugger display or exceptions.</para>
/// <para><b>Thread safety.</b> Safe for concurrent use; do not dispose while other threads use it.</para>
/// </remarks>
[DebuggerDisplay("SealedKeyring (tenant {Tenant}, {_keys.Count} keys, redacted)")]
public sealed class SealedKeyring : IDisposable
{
    private readonly Dictionary<(uint Id, SealedKeyPurpose Purpose), byte[]> _keys = [];
    private bool _disposed;

    /// <summary>Derives the keys of <paramref name="tenant"/> from every secret of <paramref name="secrets"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="secrets"/> has no primary secret (nothing could seal).</exception>
    public SealedKeyring(StandardSecrets secrets, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.PrimaryId is not { } primary)
        {
            throw new ArgumentException("The sealed mode needs a primary standard secret to seal with.", nameof(secrets));
        }

        Tenant = tenant;
        PrimaryId = primary;
        foreach (IdentifiedSecret secret in secrets.Secrets)
        {
            foreach (SealedKeyPurpose purpose in (ReadOnlySpan<SealedKeyPurpose>)[SealedKeyPurpose.Vector, SealedKeyPurpose.Index])
            {
                byte[] key = GC.AllocateArray<byte>(SealedKeyDerivation.KeyLength, pinned: true);
                SealedKeyDerivation.Derive(secret.Secret, tenant, purpose, key);
                _keys[(secret.Id.Value, purpose)] = key;
            }
        }
    }

    /// <summary>The tenant the keys belong to (not secret).</summary>
    public TenantId Tenant { get; }

    /// <summary>The id of the secret that seals (written into every sealed header).</summary>
    public KeyId PrimaryId { get; }

    /// <summary>Zeroes the derived keys.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        foreach (byte[] key in _keys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }

        _disposed = true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"SealedKeyring (tenant {Tenant}, redacted)";

    /// <summary>An AES-GCM instance for <paramref name="id"/> and <paramref name="purpose"/>, or null when the id is unknown.</summary>
    internal AesGcm? Create(uint id, SealedKeyPurpose purpose)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _keys.TryGetValue((id, purpose), out byte[]? key) ? new AesGcm(key, SealedBox.TagLength) : null;
    }
}
