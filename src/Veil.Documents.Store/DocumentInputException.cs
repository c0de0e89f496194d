using System.Globalization;

namespace Veil.Documents.Store;

/// <summary>
/// A line of JSON Lines input (or a row of a Parquet file) that cannot be ingested: malformed, without an id or a
/// vector, or with a vector of the wrong length or with a NaN or infinite element. Thrown when the input reaches it;
/// the documents of the transactions before it stay stored. The message names the line and the field, never a value
/// other than the document's id.
/// </summary>
public sealed class DocumentInputException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="DocumentInputException"/> class.</summary>
    /// <param name="line">The line (or row) number, from 1.</param>
    /// <param name="message">What is wrong with it.</param>
    /// <param name="inner">The cause, if any.</param>
    /// <param name="unit">What <paramref name="line"/> counts: "line" or "row".</param>
    public DocumentInputException(long line, string message, Exception? inner = null, string unit = "line")
        : base(string.Create(CultureInfo.InvariantCulture, $"Invalid input: {unit} {line}: {message}."), inner)
    {
        Line = line;
    }

    /// <summary>Gets the line (or row) number, from 1.</summary>
    public long Line { get; }
}
