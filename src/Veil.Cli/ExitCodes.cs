namespace Veil.Cli;

/// <summary>The process exit codes of <c>veil</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Every line (or the whole command) succeeded.</summary>
    public const int Success = 0;

    /// <summary>Bad arguments or configuration; nothing was processed.</summary>
    public const int InvalidOptions = 1;

    /// <summary>Some lines failed (malformed JSON, bad input, a missing key) or an unexpected error occurred.</summary>
    public const int Failed = 2;

    /// <summary>
    /// At least one line failed authentication or decryption of tampered or foreign data: an
    /// <see cref="System.Security.Cryptography.AuthenticationTagMismatchException"/> or another cryptographic failure
    /// reading a ciphertext (malformed header, bad EDEK signature). A key id that is not configured is
    /// <see cref="Failed"/> instead.
    /// </summary>
    public const int IntegrityFailure = 3;

    /// <summary>The exit code of a keyset that does not open: <see cref="IntegrityFailure"/> when it was altered, else <see cref="Failed"/>.</summary>
    public static int Of(Veil.Configuration.KeysetUnavailableException e) => e.Altered ? IntegrityFailure : Failed;
}
