namespace Veil.Keys;

/// <summary>
/// A key management system that hands out key-encryption keys by URI, in the manner of Tink's <c>KMSClient</c>
/// (<c>Supported(keyURI)</c> / <c>GetAEAD(keyURI)</c>). Each provider claims a URI scheme, for example
/// <c>pkcs11:</c> or <c>local:</c>.
/// </summary>
/// <remarks>
/// <b>Asynchronous.</b> Opening a key may reach a remote KMS or a token, so it is asynchronous and cancellable: an
/// implementation checks <c>cancellationToken</c> before doing any work and throws
/// <see cref="OperationCanceledException"/> when it is already cancelled.
/// </remarks>
public interface IKmsClient
{
    /// <summary>Whether this client can serve <paramref name="keyUri"/> (by its scheme or prefix; no I/O).</summary>
    bool Supports(string keyUri);

    /// <summary>Opens the existing KEK named by <paramref name="keyUri"/>. The caller disposes it.</summary>
    /// <param name="keyUri">The key's URI.</param>
    /// <param name="cancellationToken">Cancels opening the key.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The URI is not supported or is malformed.</exception>
    /// <exception cref="KeyNotAvailableException">The key does not exist, or the KMS is unreachable or denies access.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<IKeyEncryptionKey> GetKeyAsync(string keyUri, CancellationToken cancellationToken = default);
}
