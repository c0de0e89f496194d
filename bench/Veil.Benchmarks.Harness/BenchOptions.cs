using Veil.Documents.Store;
namespace Veil.Benchmarks.Harness;

/// <summary>
/// What one <c>veil bench</c> run measures (<see cref="BenchRun.Run"/>): by default the vector encryption per
/// dimension, the DuckDB store and the embedding add-on; with <see cref="Sealed"/> the sealed mode (on DuckDB, or on
/// <see cref="Postgres"/>); with <see cref="Postgres"/> alone the PostgreSQL + pgvector scale run and the rotation.
/// The defaults are those of the CLI.
/// </summary>
public sealed record BenchOptions
{
    /// <summary>The vector dimensions measured (1 to 65 536).</summary>
    public IReadOnlyList<int> Dimensions { get; init; } = BenchDefaults.Dimensions;

    /// <summary>Interleaved single-vector rounds per dimension (at least 1).</summary>
    public int Rounds { get; init; } = BenchDefaults.Rounds;

    /// <summary>Vectors per batch in the throughput measurement (at least 1).</summary>
    public int BatchRows { get; init; } = BenchDefaults.BatchRows;

    /// <summary>Vectors (d = 384) in the DuckDB store measurement; 0 skips it.</summary>
    public int StoreRows { get; init; } = BenchDefaults.StoreRows;

    /// <summary>Ingests per variant in the store measurement (at least 1).</summary>
    public int StoreRounds { get; init; } = BenchDefaults.StoreRounds;

    /// <summary>Top-10 queries per variant in the store measurement (at least 1).</summary>
    public int StoreQueries { get; init; } = BenchDefaults.StoreQueries;

    /// <summary>Texts per pass in the embedding measurement; 0 skips it.</summary>
    public int EmbeddingTexts { get; init; } = EmbeddingBench.DefaultTexts;

    /// <summary>Where the embedding add-on is looked for; null for NuGet's default global packages folder.</summary>
    public string? PackagesFolder { get; init; }

    /// <summary>How to install the embedding add-on, named in the table when it is missing.</summary>
    public string InstallCommand { get; init; } = "veil models install minilm";

    /// <summary>Write JSON instead of a table (default and sealed runs).</summary>
    public bool Json { get; init; }

    /// <summary>Measure the sealed mode instead (<see cref="SealedBench"/>, or <see cref="SealedPostgresBench"/> with <see cref="Postgres"/>).</summary>
    public bool Sealed { get; init; }

    /// <summary>With <see cref="Sealed"/>: vectors stored (at least 10).</summary>
    public int SealedRows { get; init; } = SealedBench.DefaultRows;

    /// <summary>With <see cref="Sealed"/>: top-10 queries per variant (at least 1).</summary>
    public int SealedQueries { get; init; } = SealedBench.DefaultQueries;

    /// <summary>
    /// With <see cref="Sealed"/> on DuckDB: how the sealed vectors are stored (binary, the default; or the base64 text of
    /// collections created before binary columns, to compare the two in one build).
    /// </summary>
    public SealedVectorFormat SealedFormat { get; init; } = SealedVectorFormat.Binary;
    /// <summary>With <see cref="Sealed"/> and <see cref="Postgres"/>: the graph's beam widths swept at the default K′ after the default passes (each at least 1).</summary>
    public IReadOnlyList<int> SealedEfSearch { get; init; } = [128, 256, 512, 1024];

    /// <summary>With <see cref="Sealed"/>: raw float32 embeddings to sample the stored vectors around; null for random unit vectors.</summary>
    public string? Corpus { get; init; }

    /// <summary>An Npgsql connection string: measure that PostgreSQL + pgvector server instead; null for none.</summary>
    public string? Postgres { get; init; }

    /// <summary>With <see cref="Postgres"/>: rows per table of the scale run; 0 skips it.</summary>
    public int Rows { get; init; } = 100_000;

    /// <summary>With <see cref="Postgres"/>: the real 384-d embeddings the rows are sampled around (needed unless <see cref="Rows"/> is 0).</summary>
    public string? Centres { get; init; }

    /// <summary>With <see cref="Postgres"/>: held-out top-10 queries per variant (at least 1).</summary>
    public int Queries { get; init; } = 200;

    /// <summary>With <see cref="Postgres"/>: the HNSW ef_search values to query at (1 to 1000).</summary>
    public IReadOnlyList<int> EfSearch { get; init; } = [100, 200];

    /// <summary>With <see cref="Postgres"/>: the re-ranking K′ values of the encrypted search (at least 10).</summary>
    public IReadOnlyList<int> RerankCandidates { get; init; } = [100, 200];

    /// <summary>With <see cref="Postgres"/>: rows of the index-order comparison; 0 skips it.</summary>
    public int IndexOrderRows { get; init; } = 10_000;

    /// <summary>With <see cref="Postgres"/>: rows rotated in all (<see cref="RotationBench"/>); 0 skips it.</summary>
    public int RotationRows { get; init; }

    /// <summary>With <see cref="Postgres"/>: collections (one tenant each) the rotated rows are split over (at least 1).</summary>
    public int RotationTenants { get; init; } = 4;

    /// <summary>With <see cref="Postgres"/>: documents re-encrypted per transaction in the rotation.</summary>
    public int RotationBatchSize { get; init; } = Veil.Documents.Store.DocumentStore.DefaultRotationBatchSize;

    /// <summary>With <see cref="Postgres"/>: collections rotated at once (at least 1).</summary>
    public int RotationParallel { get; init; } = RotationBench.DefaultParallelCollections;

    /// <summary>Checks the settings of the run asked for; the messages name them as <c>veil bench</c>'s options.</summary>
    /// <exception cref="ArgumentException">A setting is out of range, or a file named does not exist.</exception>
    public void Validate()
    {
        if (Sealed)
        {
            Require(SealedRows >= 10 && SealedQueries >= 1, "--sealed-rows must be at least 10 and --sealed-queries at least 1.");
            Require(SealedEfSearch.All(e => e >= 1), "--sealed-ef-search values must be at least 1.");
            Require(Corpus is null || File.Exists(Corpus), $"--corpus {Corpus} does not exist.");
        }
        else if (Postgres is not null)
        {
            Require(
                (Rows == 0 || File.Exists(Centres)) && Rows >= 0 && Queries >= 1 && EfSearch.Count > 0 && EfSearch.All(e => e is >= 1 and <= 1000)
                    && RerankCandidates.All(k => k >= 10) && RotationRows >= 0 && RotationTenants >= 1 && RotationParallel >= 1 && (RotationRows == 0 || RotationRows >= RotationTenants),
                "--postgres needs --centres naming an existing file (unless --rows is 0), --queries at least 1, --ef-search values between 1 and 1000, --rerank-candidates at least 10, --rotation-parallel at least 1 and --rotation-rows at least --rotation-tenants (or 0).");
        }
        else
        {
            Require(
                Dimensions.Count > 0 && Dimensions.All(d => d is >= 1 and <= 65_536) && Rounds >= 1 && BatchRows >= 1 && StoreRows >= 0 && StoreRounds >= 1 && StoreQueries >= 1 && EmbeddingTexts >= 0,
                "--dimensions must be between 1 and 65536, --rounds, --batch-rows, --store-rounds and --store-queries at least 1, --store-rows and --embedding-texts at least 0.");
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
