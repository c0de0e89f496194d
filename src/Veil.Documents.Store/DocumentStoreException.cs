namespace Veil.Documents.Store;

/// <summary>
/// The store, a collection, an input file or the configuration cannot be used as asked: the store file is missing, the
/// collection does not exist or its name clashes with another, a file is not readable Parquet, the configuration lacks
/// a secret the store needs. Detected before any document is written. The message names what is wrong and how to fix
/// it; it never contains a secret value or a password.
/// </summary>
public sealed class DocumentStoreException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="DocumentStoreException"/> class.</summary>
    public DocumentStoreException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="DocumentStoreException"/> class with a message.</summary>
    /// <param name="message">What is wrong (never a secret value).</param>
    public DocumentStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="DocumentStoreException"/> class with a message and its cause.</summary>
    /// <param name="message">What is wrong (never a secret value).</param>
    /// <param name="innerException">The cause.</param>
    public DocumentStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
