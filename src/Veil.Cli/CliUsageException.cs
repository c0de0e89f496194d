namespace Veil.Cli;

/// <summary>
/// Bad options or configuration, detected before any input is processed. The command prints the message (which
/// never contains secret values) and exits with <see cref="ExitCodes.InvalidOptions"/> (see <see cref="ExitCodes.For"/>).
/// </summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException(string message)
        : base(message)
    {
    }

    public CliUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
