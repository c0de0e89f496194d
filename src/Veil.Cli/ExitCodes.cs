// ClassifierKeyMismatchException belongs to the experimental evaluation library (VEIL001), which veil train/predict expose.
#pragma warning disable VEIL001

using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.VectorData;
using Veil.Configuration;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;
using Veil.Evaluation.Training;
using Veil.Protocol;

namespace Veil.Cli;

/// <summary>The process exit codes of <c>veil</c>, and the one mapping of the exceptions a command lets through to them.</summary>
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
    /// <see cref="AuthenticationTagMismatchException"/> or another cryptographic failure reading a ciphertext (malformed
    /// header, bad EDEK signature), or a keyset was altered. A key id that is not configured is <see cref="Failed"/> instead.
    /// </summary>
    public const int IntegrityFailure = 3;

    /// <summary>The exit code of a pipeline whose most severe item failure is <paramref name="worst"/>.</summary>
    public static int Of(ItemErrorCode worst) => worst switch
    {
        ItemErrorCode.None => Success,
        ItemErrorCode.Integrity => IntegrityFailure,
        _ => Failed,
    };

    /// <summary>
    /// The exit code of an exception a command let through and the kind of failure its message is prefixed with on
    /// stderr, or null for an unexpected one (a bug: reported with its type). A value a library's parser or range check
    /// refuses (<see cref="FormatException"/>, <see cref="ArgumentOutOfRangeException"/>: "Invalid options: --betas …"),
    /// other bad options, configuration or input, or a model offered another key are <see cref="InvalidOptions"/>; a
    /// keyset or KMS that fails, an unreadable file or input, a failing store or model install is <see cref="Failed"/>;
    /// an altered keyset is <see cref="IntegrityFailure"/>.
    /// </summary>
    public static (int Code, string Kind)? For(Exception e) => e switch
    {
        ArgumentNullException or ObjectDisposedException => null,
        FormatException or ArgumentOutOfRangeException => (InvalidOptions, "Invalid options: "),
        ClassifierKeyMismatchException => (InvalidOptions, "Refused: "),
        CliUsageException or DocumentStoreException or ConfigurationFileException or OptionsValidationException or ArgumentException or InvalidOperationException => (InvalidOptions, string.Empty),
        KeysetUnavailableException keyset => (keyset.Altered ? IntegrityFailure : Failed, string.Empty),
        KeyNotAvailableException { InnerException: CryptographicException and not KeyNotAvailableException } => (IntegrityFailure, string.Empty),
        VectorStoreException => (Failed, "the store failed: "),
        CryptographicException or IOException or UnauthorizedAccessException or DocumentInputException or PackagedModelInstallException => (Failed, string.Empty),
        _ => null,
    };
}
