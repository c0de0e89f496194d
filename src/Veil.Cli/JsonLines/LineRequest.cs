namespace Veil.Cli.JsonLines;

/// <summary>The parsed content of one input line. Subclasses add the fields their command reads.</summary>
internal abstract class LineRequest
{
    /// <summary>The <c>id</c> token exactly as it appeared in the input (UTF-8), or null when absent.</summary>
    public byte[]? RawId { get; set; }
}
