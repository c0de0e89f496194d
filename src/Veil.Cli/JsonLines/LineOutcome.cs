using System.Security.Cryptography;

namespace Veil.Cli.JsonLines;

/// <summary>How a line failed, which decides the exit code.</summary>
internal enum FailureKind
{
    /// <summary>The line succeeded.</summary>
    None,

    /// <summary>Bad input, a missing key or an unexpected error: <see cref="ExitCodes.Failed"/>.</summary>
    Failed,

    /// <summary>Tampered or foreign ciphertext: <see cref="ExitCodes.IntegrityFailure"/>.</summary>
    Integrity,
}

/// <summary>The result of one line: a value, or an error message and its kind.</summary>
internal readonly struct LineOutcome<T>
{
    private LineOutcome(T? value, string? error, FailureKind kind)
    {
        Value = value;
        Error = error;
        Kind = kind;
    }

    public T? Value { get; }

    public string? Error { get; }

    public FailureKind Kind { get; }

    public bool IsSuccess => Kind == FailureKind.None;

    public static LineOutcome<T> Success(T value) => new(value, null, FailureKind.None);

    public static LineOutcome<T> Failure(string message, FailureKind kind) => new(default, message, kind);

    public static LineOutcome<T> Failure(Exception error) => new(default, LineErrors.Describe(error), LineErrors.Classify(error));
}

/// <summary>Turns exceptions into line errors.</summary>
internal static class LineErrors
{
    /// <summary>
    /// Authentication failures and other cryptographic failures reading a ciphertext (malformed header, bad EDEK
    /// signature) are integrity failures; a key id that is not configured, bad input and anything else are not.
    /// </summary>
    public static FailureKind Classify(Exception error) => error switch
    {
        AuthenticationTagMismatchException => FailureKind.Integrity,
        KeyNotAvailableException => FailureKind.Failed,
        CryptographicException => FailureKind.Integrity,
        _ => FailureKind.Failed,
    };

    /// <summary>The message to print. Core exception messages never contain key bytes or plaintext.</summary>
    public static string Describe(Exception error) => error switch
    {
        LineFormatException or CryptographicException or ArgumentException => error.Message,
        _ => $"unexpected error: {error.GetType().Name}: {error.Message}",
    };
}

/// <summary>A line that is not valid input: malformed JSON, a missing field or a value of the wrong type.</summary>
internal sealed class LineFormatException : Exception
{
    public LineFormatException()
    {
    }

    public LineFormatException(string message)
        : base(message)
    {
    }

    public LineFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
