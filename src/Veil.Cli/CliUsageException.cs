using Veil.Configuration;
using Veil.Documents.Store;

namespace Veil.Cli;

/// <summary>
/// Bad options or configuration, detected before any input is processed. The command prints the message (which
/// never contains secret values) and exits with <see cref="ExitCodes.InvalidOptions"/>.
/// </summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException()
    {
    }

    public CliUsageException(string message)
        : base(message)
    {
    }

    public CliUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The exceptions that mean bad options, configuration or store settings: the CLI's own and the libraries'
/// (<see cref="DocumentStoreException"/>, <see cref="ConfigurationFileException"/>). Each is reported as its message
/// alone and exits with <see cref="ExitCodes.InvalidOptions"/>: by <see cref="CliApp"/> for every command (<c>keys</c>
/// adds its prefix itself).
/// </summary>
internal static class UsageErrors
{
    public static bool Is(Exception e) => e is CliUsageException or DocumentStoreException or ConfigurationFileException;
}
