using System.Security.Cryptography;

namespace Veil.Protocol;

/// <summary>
/// The kind of a failed item (<c>code</c> on the wire). The values are ordered by severity:
/// <see cref="JsonLinesProcessor"/> reports the most severe one met.
/// </summary>
public enum ItemErrorCode
{
    /// <summary>The item succeeded.</summary>
    None = 0,

    /// <summary><c>invalid_input</c>: malformed JSON, a missing member, a value of the wrong type or out of range.</summary>
    InvalidInput = 1,

    /// <summary><c>key_not_available</c>: the ciphertext names a key that is not configured (retired or foreign).</summary>
    KeyNotAvailable = 2,

    /// <summary><c>internal</c>: an unexpected failure; only its type is reported.</summary>
    Internal = 3,

    /// <summary><c>integrity</c>: tampered or foreign ciphertext (authentication failure, malformed header or EDEK).</summary>
    Integrity = 4,
}

/// <summary>An item's failure as the protocol reports it: a message safe to show and its code.</summary>
/// <param name="Code">The kind of failure.</param>
/// <param name="Message">A message that never contains key bytes or plaintext.</param>
public readonly record struct ItemError(ItemErrorCode Code, string Message)
{
    /// <summary>
    /// The one mapping from an exception met by an item (or by its whole batch) to what the caller sees. Messages of
    /// the core's exceptions (<see cref="CryptographicException"/>, <see cref="ArgumentException"/>) and of
    /// <see cref="ItemFormatException"/> never contain key bytes or plaintext and are kept; anything else shows only
    /// its type, since its message could carry request data.
    /// </summary>
    public static ItemError From(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            ItemFormatException => new(ItemErrorCode.InvalidInput, error.Message),
            KeyNotAvailableException => new(ItemErrorCode.KeyNotAvailable, error.Message),
            CryptographicException => new(ItemErrorCode.Integrity, error.Message),
            ArgumentException => new(ItemErrorCode.InvalidInput, error.Message),
            _ => new(ItemErrorCode.Internal, $"unexpected error: {error.GetType().Name}"),
        };
    }

    /// <summary>The wire name of <paramref name="code"/> (<c>invalid_input</c>, …); null for <see cref="ItemErrorCode.None"/>.</summary>
    public static string? WireName(ItemErrorCode code) => code switch
    {
        ItemErrorCode.InvalidInput => "invalid_input",
        ItemErrorCode.KeyNotAvailable => "key_not_available",
        ItemErrorCode.Internal => "internal",
        ItemErrorCode.Integrity => "integrity",
        _ => null,
    };

    /// <summary>The code of a wire name; <see cref="ItemErrorCode.Internal"/> for a name this version does not know.</summary>
    public static ItemErrorCode FromWireName(string? name) => name switch
    {
        "invalid_input" => ItemErrorCode.InvalidInput,
        "key_not_available" => ItemErrorCode.KeyNotAvailable,
        "integrity" => ItemErrorCode.Integrity,
        _ => ItemErrorCode.Internal,
    };
}

/// <summary>
/// Input that is not valid protocol: malformed JSON, a missing member or a value of the wrong type. The message names
/// the member, never its value (which may be plaintext).
/// </summary>
public sealed class ItemFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ItemFormatException()
    {
    }

    /// <summary>Creates the exception with a message that names the member, never its value.</summary>
    public ItemFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ItemFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
