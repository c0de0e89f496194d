using System.Text.RegularExpressions;

namespace Veil.Stores.DuckDb;

/// <summary>Settings of a <see cref="DuckDbVectorStore"/>.</summary>
public sealed partial class DuckDbStoreOptions
{
    /// <summary>The default <see cref="MemoryLimit"/>.</summary>
    public const string DefaultMemoryLimit = "512MB";

    /// <summary>
    /// Gets the most memory DuckDB's buffer pool may use, as DuckDB writes sizes: a number and a unit (B, KB, MB, GB,
    /// TB, or KiB … TiB), for example <c>512MB</c> (the default) or <c>4GB</c>.
    /// </summary>
    /// <remarks>
    /// DuckDB's own default is 80 % of RAM; a streamed ingest of 10^6 × 384 vectors grew past 2.3 GB with it. Beyond the
    /// limit, tables stay on disk and are read back through the operating system's cache. A larger limit keeps more of
    /// a large table in memory for queries; the process needs a few hundred MB above it.
    /// </remarks>
    /// <exception cref="ArgumentException">The value is not a number followed by a unit.</exception>
    public string MemoryLimit
    {
        get;
        init => field = SizePattern().IsMatch(value ?? string.Empty)
            ? value!
            : throw new ArgumentException($"The DuckDB memory limit '{value}' is not a size such as 512MB or 4GB.", nameof(value));
    } = DefaultMemoryLimit;

    [GeneratedRegex(@"^[0-9]{1,12}(\.[0-9]{1,3})?\s?([KMGT]i?)?B$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();
}
