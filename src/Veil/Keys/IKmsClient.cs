namespace Veil.Keys;

/// <summary>
/// A key management system that hands out key-encryption keys by URI, in the manner of Tink's <c>KMSClient</c>
/// (<c>Supported(keyURI)</c> / <c>GetAEAD(keyURI)</c>). Each provider claims a URI scheme, for example
/// <c>pkcs11:</c> or <c>local:</c>.
/// </summary>
public interface IKmsClient
{
    /// <summary>Whether this client can serve <paramref name="keyUri"/> (by its scheme or prefix; no I/O).</summary>
    bool Supports(string keyUri);

    /// <summary>Opens the existing KEK named by <paramref name="keyUri"/>. The caller disposes it.</summary>
    /// <exception cref="ArgumentException">The URI is not supported or is malformed.</exception>
    /// <exception cref="KeyNotAvailableException">The key does not exist, or the KMS is unreachable or denies access.</exception>
    IKeyEncryptionKey GetKey(string keyUri);
}
