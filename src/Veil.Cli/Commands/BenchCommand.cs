using Veil.Benchmarks.Harness;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil bench</c>: single-vector encrypt and decrypt µs, batch throughput, and the ratio to the construction floor
/// (ChaCha20 keystream + HMAC-SHA256 over the ciphertext) for each dimension, all measured in one run, by the harness
/// in <c>bench/Veil.Benchmarks.Harness</c>.
/// </summary>
internal sealed class BenchCommand : Command
{
    private readonly CliConsole _console;
    private readonly Option<int[]> _dimensions = Opt<int[]>("--dimensions", "Dimensions to measure.", [.. BenchDefaults.Dimensions]).AsMultiple();
    private readonly Option<int> _rounds = Opt("--rounds", "Interleaved measurement rounds per dimension (about 6 ms each); figures are medians over rounds.", BenchDefaults.Rounds);
    private readonly Option<int> _batchRows = Opt("--batch-rows", "Vectors per batch in the throughput measurement.", BenchDefaults.BatchRows);
    private readonly Option<int> _storeRows = Opt("--store-rows", "Vectors (d = 384) in the DuckDB store measurement: ingest (encrypt + store) and the top-10 query ratio; 0 skips it.", BenchDefaults.StoreRows);
    private readonly Option<int> _storeRounds = Opt("--store-rounds", "Ingests per variant in the DuckDB store measurement, interleaved in rotating order; figures are medians.", BenchDefaults.StoreRounds);
    private readonly Option<int> _storeQueries = Opt("--store-queries", "Top-10 queries per variant in the DuckDB store measurement; figures are medians.", BenchDefaults.StoreQueries);
    private readonly Option<bool> _json = Opt<bool>("--json", "Write the results as JSON instead of a table.");
    private readonly Option<int> _embeddingTexts = Opt("--embedding-texts", "Texts per pass in the embedding measurement (the all-MiniLM-L6-v2 add-on, when installed: " + TextModel.InstallCommand + "); 0 skips it.", EmbeddingBench.DefaultTexts);
    private readonly Option<bool> _sealed = Opt<bool>("--sealed", "Measure the sealed mode on DuckDB instead: sealed ingest (rows durable, then graph built), sealed top-10 query against the plaintext exact scan of the same file, bytes read per query, recall@10. With --postgres: the sealed mode over that server instead (p50/p99 query, rows and bytes fetched, recall@10, index memory).");
    private readonly Option<int> _sealedRows = Opt("--sealed-rows", "With --sealed: vectors (d = 384) stored.", SealedBench.DefaultRows);
    private readonly Option<int> _sealedQueries = Opt("--sealed-queries", "With --sealed: top-10 queries per variant; latencies are medians.", SealedBench.DefaultQueries);
    private readonly Option<string> _corpus = Opt<string>("--corpus", "With --sealed: raw float32 embeddings (384 per row) to sample the stored vectors around (each row plus small seeded noise), and whose own recall@10 (500 held-out rows) is reported; default: random unit vectors.");
    private readonly Option<string?> _postgres = Opt<string?>("--postgres", "Instead of the default measurements, measure a PostgreSQL + pgvector server at scale (an Npgsql connection string): encrypted beside plaintext ingest, HNSW build, top-10 query p50/p99 and recall@10 against exact search. Its tables (veil_scale_*, named per run) are dropped at the end.");
    private readonly Option<int> _rows = Opt("--rows", "With --postgres: rows per table; 0 skips the store measurement.", 100_000);
    private readonly Option<FileInfo?> _centres = Opt<FileInfo?>("--centres", "With --postgres: real 384-d embeddings (little-endian float32 rows, no header) the rows are sampled around.");
    private readonly Option<int> _queries = Opt("--queries", "With --postgres: held-out top-10 queries per variant (also the exact ground-truth sample).", 200);
    private readonly Option<int[]> _efSearch = Opt<int[]>("--ef-search", "With --postgres: the HNSW ef_search values to query at (1–1000).", [100, 200]).AsMultiple();
    private readonly Option<int[]> _rerankCandidates = Opt<int[]>("--rerank-candidates", "With --postgres: the re-ranking K′ values of the encrypted search.", [100, 200]).AsMultiple();
    private readonly Option<int> _indexOrderRows = Opt("--index-order-rows", "With --postgres: rows of the comparison of building the HNSW index after the load against loading into an indexed table; 0 skips it.", 10_000);
    private readonly Option<int> _rotationRows = Opt<int>("--rotation-rows", "With --postgres: also measure veil rotate over this many rows in all (0 skips it), split over --rotation-tenants collections.");
    private readonly Option<int> _rotationTenants = Opt("--rotation-tenants", "With --postgres: collections (one tenant each) rotated in the one run.", 4);
    private readonly Option<int> _rotationParallel = Opt("--rotation-parallel", "With --postgres: collections rotated at once in that run.", RotationBench.DefaultParallelCollections);

    public BenchCommand(CliConsole console)
        : base("bench", "Measure vector encryption on this machine: single-vector encrypt/decrypt µs, batch throughput on every core, and the ratio to the construction floor, in one run.")
    {
        _console = console;
        this.Add(_dimensions, _rounds, _batchRows, _storeRows, _storeRounds, _storeQueries, _json, _embeddingTexts);
        this.Add(_sealed, _sealedRows, _sealedQueries, _corpus);
        this.Add(_postgres, _rows, _centres, _queries, _efSearch, _rerankCandidates, _indexOrderRows, _rotationRows, _rotationTenants, _rotationParallel);
        SetAction((parseResult, _) => Task.FromResult(Run(parseResult)));
    }

    private int Run(ParseResult parseResult)
    {
        if (parseResult.GetValue(_sealed))
        {
            return RunSealed(parseResult);
        }

        if (parseResult.GetValue(_postgres) is { } connectionString)
        {
            return RunPostgres(parseResult, connectionString);
        }

        int[] dimensions = parseResult.GetValue(_dimensions) ?? [];
        int rounds = parseResult.GetValue(_rounds);
        int batchRows = parseResult.GetValue(_batchRows);
        int storeRows = parseResult.GetValue(_storeRows);
        int storeRounds = parseResult.GetValue(_storeRounds);
        int storeQueries = parseResult.GetValue(_storeQueries);
        if (dimensions.Length == 0 || dimensions.Any(d => d is < 1 or > 65_536) || rounds < 1 || batchRows < 1 || storeRows < 0 || storeRounds < 1 || storeQueries < 1 || parseResult.GetValue(_embeddingTexts) < 0)
        {
            _console.Error.WriteLine("bench: --dimensions must be between 1 and 65536, --rounds, --batch-rows, --store-rounds and --store-queries at least 1, --store-rows and --embedding-texts at least 0.");
            return ExitCodes.InvalidOptions;
        }

        BenchReport.Run(
            _console.Output, _console.Error, dimensions, rounds, batchRows, storeRows, storeRounds, storeQueries, parseResult.GetValue(_embeddingTexts), TextModel.PackagesFolder, TextModel.InstallCommand, parseResult.GetValue(_json));
        return ExitCodes.Success;
    }

    /// <summary><c>--sealed</c>: option checks, then the harness's sealed-mode measurement on DuckDB.</summary>
    private int RunSealed(ParseResult parseResult)
    {
        int rows = parseResult.GetValue(_sealedRows);
        int queries = parseResult.GetValue(_sealedQueries);
        string? corpus = parseResult.GetValue(_corpus);
        if (rows < 10 || queries < 1)
        {
            _console.Error.WriteLine("bench: --sealed-rows must be at least 10 and --sealed-queries at least 1.");
            return ExitCodes.InvalidOptions;
        }

        if (corpus is not null && !File.Exists(corpus))
        {
            _console.Error.WriteLine($"bench: --corpus {corpus} does not exist.");
            return ExitCodes.InvalidOptions;
        }

        if (parseResult.GetValue(_postgres) is { } connectionString)
        {
            SealedPostgresBenchResult onPostgres = SealedPostgresBench.Measure(connectionString, corpus, BenchReport.StoreDimensions, rows, queries, _console.Error);
            if (parseResult.GetValue(_json))
            {
                SealedBenchReport.WriteJson(_console.Output, onPostgres);
            }
            else
            {
                SealedBenchReport.WriteTable(_console.Output, onPostgres);
            }

            return ExitCodes.Success;
        }

        SealedBenchResult result = SealedBench.Measure(corpus, BenchReport.StoreDimensions, rows, queries, _console.Error);
        if (parseResult.GetValue(_json))
        {
            SealedBenchReport.WriteJson(_console.Output, result);
        }
        else
        {
            SealedBenchReport.WriteTable(_console.Output, result);
        }

        return ExitCodes.Success;
    }

    /// <summary><c>--postgres</c>: option checks, then the harness's scale and rotation measurements.</summary>
    private int RunPostgres(ParseResult parseResult, string connectionString)
    {
        int rows = parseResult.GetValue(_rows);
        int queries = parseResult.GetValue(_queries);
        int[] efSearch = parseResult.GetValue(_efSearch) ?? [];
        int[] rerank = parseResult.GetValue(_rerankCandidates) ?? [];
        int rotationRows = parseResult.GetValue(_rotationRows);
        int rotationTenants = parseResult.GetValue(_rotationTenants);
        int rotationParallel = parseResult.GetValue(_rotationParallel);
        FileInfo? centres = parseResult.GetValue(_centres);
        if ((rows > 0 && centres is not { Exists: true }) || rows < 0 || queries < 1 || efSearch.Length == 0 || efSearch.Any(e => e is < 1 or > 1000)
            || rerank.Any(k => k < 10) || rotationRows < 0 || rotationTenants < 1 || rotationParallel < 1 || (rotationRows > 0 && rotationRows < rotationTenants))
        {
            _console.Error.WriteLine("bench: --postgres needs --centres naming an existing file (unless --rows is 0), --queries at least 1, --ef-search values between 1 and 1000, --rerank-candidates at least 10, --rotation-parallel at least 1 and --rotation-rows at least --rotation-tenants (or 0).");
            return ExitCodes.InvalidOptions;
        }

        if (rows > 0)
        {
            var options = new PostgresScaleOptions(connectionString, rows, centres!.FullName)
            {
                Queries = queries,
                EfSearch = efSearch,
                RerankCandidates = rerank,
                IndexOrderRows = Math.Max(0, parseResult.GetValue(_indexOrderRows)),
            };
            PostgresScaleReport.Write(_console.Output, PostgresScaleBench.Measure(options, _console.Error));
        }

        if (rotationRows > 0)
        {
            RotationBench.Write(_console.Output, RotationBench.Measure(connectionString, rotationRows, rotationTenants, RotateCommand.DefaultBatchSize, rotationParallel, _console.Error));
        }

        return ExitCodes.Success;
    }
}
