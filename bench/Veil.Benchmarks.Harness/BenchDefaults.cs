namespace Veil.Benchmarks.Harness;

/// <summary>The default sizes of a <c>veil bench</c> run, shared by the CLI and bench/Veil.Benchmarks' quick mode.</summary>
public static class BenchDefaults
{
    /// <summary>The vector dimensions measured.</summary>
    public static IReadOnlyList<int> Dimensions { get; } = [384, 768, 1536, 2048];

    /// <summary>Single-vector rounds per dimension.</summary>
    public const int Rounds = 41;

    /// <summary>Vectors in the batch throughput measurement.</summary>
    public const int BatchRows = 20_000;

    /// <summary>Vectors ingested into the store per round.</summary>
    public const int StoreRows = 100_000;

    /// <summary>Interleaved store ingest rounds per variant.</summary>
    public const int StoreRounds = 3;

    /// <summary>Top-10 queries per variant.</summary>
    public const int StoreQueries = 31;
}
