using System.Diagnostics;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.MechanismParams;
using Veil.Keys;

namespace Veil.Kms.Pkcs11;

/// <summary>
/// A KEK inside a PKCS#11 token, used through one logged-in session. Wrapped form: 12-byte IV ‖ AES-GCM ciphertext ‖
/// 16-byte tag, computed by the token (<c>CKM_AES_GCM</c>) with the keyset's associated data.
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
internal sealed class Pkcs11KeyEncryptionKey : IKeyEncryptionKey
{
    private const int IvLength = 12;
    private const int TagBits = 128;

    private readonly Pkcs11Module _module;
    private readonly ISession _session;
    private readonly IObjectHandle _key;
    private readonly Lock _lock = new();
    private bool _disposed;

    public Pkcs11KeyEncryptionKey(string keyUri, Pkcs11Module module, ISession session, IObjectHandle key)
    {
        KeyUri = keyUri;
        _module = module;
        _session = session;
        _key = key;
    }

    public string KeyUri { get; }

    /// <summary>PKCS#11 calls are synchronous: it completes synchronously, after checking the token.</summary>
    public ValueTask<byte[]> WrapKeyAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(WrapKey(key.Span, associatedData.Span));
    }

    /// <summary>PKCS#11 calls are synchronous: it completes synchronously, after checking the token.</summary>
    public ValueTask<byte[]> UnwrapKeyAsync(ReadOnlyMemory<byte> wrappedKey, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(UnwrapKey(wrappedKey.Span, associatedData.Span));
    }

    private byte[] WrapKey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> associatedData)
    {
        byte[] iv = RandomNumberGenerator.GetBytes(IvLength);
        byte[] plaintext = key.ToArray();
        try
        {
            byte[] ciphertext = Run(iv, associatedData, mechanism => _session.Encrypt(mechanism, _key, plaintext), "wrap");
            return [.. iv, .. ciphertext];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private byte[] UnwrapKey(ReadOnlySpan<byte> wrappedKey, ReadOnlySpan<byte> associatedData)
    {
        if (wrappedKey.Length < IvLength + (TagBits / 8))
        {
            throw new AuthenticationTagMismatchException("The wrapped key is too short.");
        }

        byte[] iv = wrappedKey[..IvLength].ToArray();
        byte[] ciphertext = wrappedKey[IvLength..].ToArray();
        return Run(iv, associatedData, mechanism => _session.Decrypt(mechanism, _key, ciphertext), "unwrap");
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _session.Dispose();
            _module.Release();
        }
    }

    public override string ToString() => $"Pkcs11KeyEncryptionKey ({Pkcs11UriRedaction.Redact(KeyUri)})";

    private byte[] Run(byte[] iv, ReadOnlySpan<byte> associatedData, Func<IMechanism, byte[]> operation, string what)
    {
        byte[] aad = associatedData.ToArray();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using ICkGcmParams parameters = _session.Factories.MechanismParamsFactory.CreateCkGcmParams(iv, IvLength * 8, aad, TagBits);
            using IMechanism mechanism = _session.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM, parameters);
            try
            {
                return operation(mechanism);
            }
            catch (Pkcs11Exception e) when (what == "unwrap" && e.RV is CKR.CKR_ENCRYPTED_DATA_INVALID or CKR.CKR_ENCRYPTED_DATA_LEN_RANGE or CKR.CKR_GENERAL_ERROR or CKR.CKR_FUNCTION_FAILED)
            {
                throw new AuthenticationTagMismatchException($"The PKCS#11 token rejected the wrapped key ({e.RV}).", e);
            }
            catch (Pkcs11Exception e)
            {
                throw new CryptographicException($"PKCS#11 {what} with '{Pkcs11UriRedaction.Redact(KeyUri)}' failed: {e.RV}.", e);
            }
        }
    }
}
