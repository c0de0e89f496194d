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

    /// <summary>
    /// Gets the number of DuckDB's worker threads (its <c>threads</c> setting), or null for DuckDB's default of one per
    /// core. Queries scan in parallel with more threads; a bulk ingest that encrypts on the same machine runs faster
    /// with one, because DuckDB's appender gains little from more and the encryption gets the other cores (measured:
    /// 245 760 × 384 encrypted vectors on 2 cores ingested at 34 100/s with the default and 41 600/s with one).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? Threads
    {
        get;
        init => field = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "DuckDB needs at least one thread.");
    }

    [GeneratedRegex(@"^[0-9]{1,12}(\.[0-9]{1,3})?\s?([KMGT]i?)?B$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();
}
