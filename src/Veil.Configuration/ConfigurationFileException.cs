namespace Veil.Configuration;

/// <summary>
/// A configuration file, keyset file, key URI or KMS credential cannot be used: the file is missing, unreadable or
/// invalid, the keyset already exists, the URI names no supported KMS, the passphrase or PIN variable is not set. The
/// message names what is wrong (a field, a file, an environment variable) and never contains a secret value.
/// </summary>
public sealed class ConfigurationFileException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ConfigurationFileException"/> class.</summary>
    public ConfigurationFileException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ConfigurationFileException"/> class with a message.</summary>
    /// <param name="message">What is wrong (never a secret value).</param>
    public ConfigurationFileException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ConfigurationFileException"/> class with a message and its cause.</summary>
    /// <param name="message">What is wrong (never a secret value).</param>
    /// <param name="innerException">The cause.</param>
    public ConfigurationFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
