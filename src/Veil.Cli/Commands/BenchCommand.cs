using System.CommandLine;
using Veil.Benchmarks.Harness;
using Veil.Cli.Benchmarking;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil bench</c>: single-vector encrypt and decrypt µs, batch throughput, and the ratio to the construction floor
/// (ChaCha20 keystream + HMAC-SHA256 over the ciphertext) for each dimension, all measured in one run.
/// </summary>
internal sealed class BenchCommand : Command
{
    private readonly CliConsole _console;

    public BenchCommand(CliConsole console)
        : base("bench", "Measure vector encryption on this machine: single-vector encrypt/decrypt µs, batch throughput on every core, and the ratio to the construction floor, in one run.")
    {
        _console = console;
        Options.Add(DimensionsOption);
        Options.Add(RoundsOption);
        Options.Add(BatchRowsOption);
        Options.Add(StoreRowsOption);
        Options.Add(StoreRoundsOption);
        Options.Add(StoreQueriesOption);
        Options.Add(JsonOption);
        Options.Add(EmbeddingTextsOption);
        Options.Add(PostgresOption);
        Options.Add(RowsOption);
        Options.Add(CentresOption);
        Options.Add(QueriesOption);
        Options.Add(EfSearchOption);
        Options.Add(RerankCandidatesOption);
        Options.Add(IndexOrderRowsOption);
        Options.Add(RotationRowsOption);
        Options.Add(RotationTenantsOption);
        SetAction((parseResult, _) => Task.FromResult(Run(parseResult)));
    }

    internal Option<int[]> DimensionsOption { get; } = new("--dimensions")
    {
        Description = "Dimensions to measure.",
        DefaultValueFactory = _ => [.. BenchDefaults.Dimensions],
        AllowMultipleArgumentsPerToken = true,
    };

    internal Option<int> RoundsOption { get; } = new("--rounds")
    {
        Description = "Interleaved measurement rounds per dimension (about 6 ms each); figures are medians over rounds.",
        DefaultValueFactory = _ => BenchDefaults.Rounds,
    };

    internal Option<int> BatchRowsOption { get; } = new("--batch-rows")
    {
        Description = "Vectors per batch in the throughput measurement.",
        DefaultValueFactory = _ => BenchDefaults.BatchRows,
    };

    internal Option<int> StoreRowsOption { get; } = new("--store-rows")
    {
        Description = "Vectors (d = 384) in the DuckDB store measurement: ingest (encrypt + store) and the top-10 query ratio; 0 skips it.",
        DefaultValueFactory = _ => BenchDefaults.StoreRows,
    };

    internal Option<int> StoreRoundsOption { get; } = new("--store-rounds")
    {
        Description = "Ingests per variant in the DuckDB store measurement, interleaved in rotating order; figures are medians.",
        DefaultValueFactory = _ => BenchDefaults.StoreRounds,
    };

    internal Option<int> StoreQueriesOption { get; } = new("--store-queries")
    {
        Description = "Top-10 queries per variant in the DuckDB store measurement; figures are medians.",
        DefaultValueFactory = _ => BenchDefaults.StoreQueries,
    };

    internal Option<bool> JsonOption { get; } = new("--json")
    {
        Description = "Write the results as JSON instead of a table.",
    };

    internal Option<int> EmbeddingTextsOption { get; } = EmbeddingBench.TextsOption();

    internal Option<string?> PostgresOption { get; } = new("--postgres")
    {
        Description = "Instead of the default measurements, measure a PostgreSQL + pgvector server at scale (an Npgsql connection string): encrypted beside plaintext ingest, HNSW build, top-10 query p50/p99 and recall@10 against exact search. Its tables (veil_scale_*, named per run) are dropped at the end.",
    };

    internal Option<int> RowsOption { get; } = new("--rows")
    {
        Description = "With --postgres: rows per table; 0 skips the store measurement.",
        DefaultValueFactory = _ => 100_000,
    };

    internal Option<FileInfo?> CentresOption { get; } = new("--centres")
    {
        Description = "With --postgres: real 384-d embeddings (little-endian float32 rows, no header) the rows are sampled around.",
    };

    internal Option<int> QueriesOption { get; } = new("--queries")
    {
        Description = "With --postgres: held-out top-10 queries per variant (also the exact ground-truth sample).",
        DefaultValueFactory = _ => 200,
    };

    internal Option<int[]> EfSearchOption { get; } = new("--ef-search")
    {
        Description = "With --postgres: the HNSW ef_search values to query at (1–1000).",
        DefaultValueFactory = _ => [100, 200],
        AllowMultipleArgumentsPerToken = true,
    };

    internal Option<int[]> RerankCandidatesOption { get; } = new("--rerank-candidates")
    {
        Description = "With --postgres: the re-ranking K′ values of the encrypted search.",
        DefaultValueFactory = _ => [100, 200],
        AllowMultipleArgumentsPerToken = true,
    };

    internal Option<int> IndexOrderRowsOption { get; } = new("--index-order-rows")
    {
        Description = "With --postgres: rows of the comparison of building the HNSW index after the load against loading into an indexed table; 0 skips it.",
        DefaultValueFactory = _ => 10_000,
    };

    internal Option<int> RotationRowsOption { get; } = new("--rotation-rows")
    {
        Description = "With --postgres: also measure veil rotate over this many rows in all (0 skips it), split over --rotation-tenants collections.",
    };

    internal Option<int> RotationTenantsOption { get; } = new("--rotation-tenants")
    {
        Description = "With --postgres: collections (one tenant each) rotated in the one run.",
        DefaultValueFactory = _ => 4,
    };

    private int RunPostgres(ParseResult parseResult, string connectionString)
    {
        int rows = parseResult.GetValue(RowsOption);
        int queries = parseResult.GetValue(QueriesOption);
        int[] efSearch = parseResult.GetValue(EfSearchOption) ?? [];
        int[] rerank = parseResult.GetValue(RerankCandidatesOption) ?? [];
        int rotationRows = parseResult.GetValue(RotationRowsOption);
        int rotationTenants = parseResult.GetValue(RotationTenantsOption);
        FileInfo? centres = parseResult.GetValue(CentresOption);
        if ((rows > 0 && centres is not { Exists: true }) || rows < 0 || queries < 1 || efSearch.Length == 0 || efSearch.Any(e => e is < 1 or > 1000)
            || rerank.Any(k => k < 10) || rotationRows < 0 || rotationTenants < 1 || (rotationRows > 0 && rotationRows < rotationTenants))
        {
            _console.Error.WriteLine("bench: --postgres needs --centres naming an existing file (unless --rows is 0), --queries at least 1, --ef-search values between 1 and 1000, --rerank-candidates at least 10 and --rotation-rows at least --rotation-tenants (or 0).");
            return ExitCodes.InvalidOptions;
        }

        if (rows > 0)
        {
            PostgresScaleResult result = PostgresScaleBench.Measure(
                new PostgresScaleOptions(connectionString, rows, centres!.FullName)
                {
                    Queries = queries,
                    EfSearch = efSearch,
                    RerankCandidates = rerank,
                    IndexOrderRows = Math.Max(0, parseResult.GetValue(IndexOrderRowsOption)),
                },
                _console.Error);
            PostgresScaleReport.Write(_console.Output, result);
        }

        if (rotationRows > 0)
        {
            RotationBench.Write(_console.Output, RotationBench.Measure(connectionString, rotationRows, rotationTenants, RotateCommand.DefaultBatchSize, _console.Error));
        }

        return ExitCodes.Success;
    }

    private int Run(ParseResult parseResult)
    {
        if (parseResult.GetValue(PostgresOption) is { } connectionString)
        {
            return RunPostgres(parseResult, connectionString);
        }

        int[] dimensions = parseResult.GetValue(DimensionsOption) ?? [];
        int rounds = parseResult.GetValue(RoundsOption);
        int batchRows = parseResult.GetValue(BatchRowsOption);
        int storeRows = parseResult.GetValue(StoreRowsOption);
        int storeRounds = parseResult.GetValue(StoreRoundsOption);
        int storeQueries = parseResult.GetValue(StoreQueriesOption);
        if (dimensions.Length == 0 || dimensions.Any(d => d is < 1 or > 65_536) || rounds < 1 || batchRows < 1 || storeRows < 0 || storeRounds < 1 || storeQueries < 1 || parseResult.GetValue(EmbeddingTextsOption) < 0)
        {
            _console.Error.WriteLine("bench: --dimensions must be between 1 and 65536, --rounds, --batch-rows, --store-rounds and --store-queries at least 1, --store-rows and --embedding-texts at least 0.");
            return ExitCodes.InvalidOptions;
        }

        var results = new List<VectorBenchResult>();
        foreach (int d in dimensions)
        {
            _console.Error.WriteLine($"bench: measuring d = {d} …");
            results.Add(VectorBench.Measure(d, rounds, batchRows));
        }

        StoreBenchResult? store = storeRows == 0 ? null
            : StoreBench.Measure(BenchReport.StoreDimensions, storeRows, Math.Min(IngestCommand.DefaultBatchSize, storeRows), storeRounds, storeQueries, _console.Error);
        EmbeddingBenchResult? embedding = EmbeddingBench.Measure(parseResult.GetValue(EmbeddingTextsOption), _console.Error);
        if (parseResult.GetValue(JsonOption))
        {
            BenchReport.WriteJson(_console.Output, results, store, writer => EmbeddingBench.WriteJson(writer, embedding));
        }
        else
        {
            BenchReport.WriteTable(_console.Output, results, store);
            EmbeddingBench.WriteTable(_console.Output, embedding);
        }

        return ExitCodes.Success;
    }
}
