namespace Veil.Keys;

/// <summary>
/// A key-encryption key (KEK) held by a key management system: it wraps and unwraps secrets but never reveals its own
/// bytes. Implementations are one class per KMS (a PKCS#11 token, a passphrase-protected local file, a cloud KMS).
/// </summary>
/// <remarks>
/// <para><b>Guarantee.</b> Wrapping is authenticated encryption bound to <c>associatedData</c>: unwrapping with other
/// associated data, another KEK or altered bytes fails with a <see cref="System.Security.Cryptography.CryptographicException"/>
/// (typically <see cref="System.Security.Cryptography.AuthenticationTagMismatchException"/>) and returns nothing.</para>
/// <para><b>Security.</b> Implementations never put key bytes (their own or the wrapped ones) in exceptions, logs or
/// <see cref="object.ToString"/>.</para>
/// <para><b>Asynchronous.</b> Wrapping and unwrapping may be a call to a remote KMS, so they are asynchronous and
/// cancellable: an implementation checks the token before doing any work and throws
/// <see cref="OperationCanceledException"/> when it is already cancelled. An in-memory or token implementation may
/// complete synchronously.</para>
/// <para><b>Thread safety.</b> Implementations must be safe for concurrent use.</para>
/// </remarks>
public interface IKeyEncryptionKey : IDisposable
{
    /// <summary>The URI that names this key in its KMS (recorded in keysets next to each wrapped secret). Not secret.</summary>
    string KeyUri { get; }

    /// <summary>Encrypts <paramref name="key"/> under this KEK, authenticating <paramref name="associatedData"/>.</summary>
    /// <param name="key">The key to wrap; the caller keeps it unchanged until the returned task completes.</param>
    /// <param name="associatedData">What the wrapped key is bound to.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The wrapped key (format private to the implementation).</returns>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The KMS refused or failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<byte[]> WrapKeyAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken = default);

    /// <summary>Decrypts a key wrapped by <see cref="WrapKeyAsync"/> with the same <paramref name="associatedData"/>.</summary>
    /// <param name="wrappedKey">The wrapped key.</param>
    /// <param name="associatedData">What the wrapped key was bound to.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The cleartext key. The caller owns it and must zero it (<c>CryptographicOperations.ZeroMemory</c>) after use.</returns>
    /// <exception cref="System.Security.Cryptography.CryptographicException">
    /// The wrapped key was altered, was wrapped by another KEK or with other associated data, or the KMS failed.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<byte[]> UnwrapKeyAsync(ReadOnlyMemory<byte> wrappedKey, ReadOnlyMemory<byte> associatedData, CancellationToken cancellationToken = default);
}
