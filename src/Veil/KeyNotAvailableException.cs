using System.Security.Cryptography;
using Veil.Keys;

namespace Veil;

/// <summary>
/// The key a ciphertext names (by its key id), or that an operation needs, is not configured: for example data
/// encrypted with a secret that has since been retired, or a secret path with no current secret.
/// </summary>
public sealed class KeyNotAvailableException : CryptographicException
{
    /// <summary>Creates the exception.</summary>
    public KeyNotAvailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public KeyNotAvailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public KeyNotAvailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a missing key id.</summary>
    public KeyNotAvailableException(string message, KeyId keyId)
        : base(message) => KeyId = keyId;

    /// <summary>The key id that was asked for, when one was.</summary>
    public KeyId? KeyId { get; }
}
