using Veil.Benchmarks.Harness;
using Veil.Documents.Store;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil bench</c>: the options of <see cref="BenchOptions"/>, run by <see cref="BenchRun.Run"/> (the harness in
/// <c>bench/Veil.Benchmarks.Harness</c>): single-vector encrypt and decrypt µs, batch throughput and the ratio to the
/// construction floor per dimension, the DuckDB store and the embedding add-on; or the sealed mode; or PostgreSQL at scale.
/// </summary>
internal sealed class BenchCommand : VeilCommand
{
    private static readonly BenchOptions s_defaults = new();
    private readonly Option<int[]> _dimensions = new("--dimensions") { Description = "Dimensions to measure.", DefaultValueFactory = _ => [.. s_defaults.Dimensions], AllowMultipleArgumentsPerToken = true };
    private readonly Option<int> _rounds = Opt("--rounds", "Interleaved measurement rounds per dimension (about 6 ms each); figures are medians over rounds.", s_defaults.Rounds);
    private readonly Option<int> _batchRows = Opt("--batch-rows", "Vectors per batch in the throughput measurement.", s_defaults.BatchRows);
    private readonly Option<int> _storeRows = Opt("--store-rows", "Vectors (d = 384) in the DuckDB store measurement: ingest (encrypt + store) and the top-10 query ratio; 0 skips it.", s_defaults.StoreRows);
    private readonly Option<int> _storeRounds = Opt("--store-rounds", "Ingests per variant in the DuckDB store measurement, interleaved in rotating order; figures are medians.", s_defaults.StoreRounds);
    private readonly Option<int> _storeQueries = Opt("--store-queries", "Top-10 queries per variant in the DuckDB store measurement; figures are medians.", s_defaults.StoreQueries);
    private readonly Option<bool> _json = Opt<bool>("--json", "Write the results as JSON instead of a table.");
    private readonly Option<int> _embeddingTexts = Opt("--embedding-texts", "Texts per pass in the embedding measurement (the all-MiniLM-L6-v2 add-on, when installed: " + TextModel.InstallCommand + "); 0 skips it.", s_defaults.EmbeddingTexts);
    private readonly Option<bool> _sealed = Opt<bool>("--sealed", "Measure the sealed mode on DuckDB instead: sealed ingest (rows durable, then graph built), sealed top-10 query against the plaintext exact scan of the same file, bytes read per query, recall@10. With --postgres: the sealed mode over that server instead (p50/p99 query, rows and bytes fetched, recall@10, index memory).");
    private readonly Option<int> _sealedRows = Opt("--sealed-rows", "With --sealed: vectors (d = 384) stored.", s_defaults.SealedRows);
    private readonly Option<int> _sealedQueries = Opt("--sealed-queries", "With --sealed: top-10 queries per variant; latencies are medians.", s_defaults.SealedQueries);
    private readonly Option<SealedVectorFormat> _sealedFormat = Opt("--sealed-format", "With --sealed on DuckDB: how the sealed vectors are stored: Binary (a BLOB column, as veil creates sealed collections) or Base64Text (the text column of sealed collections created before), to compare the two.", s_defaults.SealedFormat);
    private readonly Option<int[]> _sealedEfSearch = new("--sealed-ef-search") { Description = "With --sealed --postgres: the key holder's graph beam widths swept at the default K′ after the default passes (same graph, same queries).", DefaultValueFactory = _ => [.. s_defaults.SealedEfSearch], AllowMultipleArgumentsPerToken = true };
    private readonly Option<string> _corpus = Opt<string>("--corpus", "With --sealed: raw float32 embeddings (384 per row) to sample the stored vectors around (each row plus small seeded noise), and whose own recall@10 (500 held-out rows) is reported; default: random unit vectors.");
    private readonly Option<string?> _postgres = Opt<string?>("--postgres", "Instead of the default measurements, measure a PostgreSQL + pgvector server at scale (an Npgsql connection string): encrypted beside plaintext ingest, HNSW build, top-10 query p50/p99 and recall@10 against exact search. Its tables (veil_scale_*, named per run) are dropped at the end.");
    private readonly Option<int> _rows = Opt("--rows", "With --postgres: rows per table; 0 skips the store measurement.", s_defaults.Rows);
    private readonly Option<FileInfo?> _centres = Opt<FileInfo?>("--centres", "With --postgres: real 384-d embeddings (little-endian float32 rows, no header) the rows are sampled around.");
    private readonly Option<int> _queries = Opt("--queries", "With --postgres: held-out top-10 queries per variant (also the exact ground-truth sample).", s_defaults.Queries);
    private readonly Option<int[]> _efSearch = new("--ef-search") { Description = "With --postgres: the HNSW ef_search values to query at (1–1000).", DefaultValueFactory = _ => [.. s_defaults.EfSearch], AllowMultipleArgumentsPerToken = true };
    private readonly Option<int[]> _rerankCandidates = new("--rerank-candidates") { Description = "With --postgres: the re-ranking K′ values of the encrypted search.", DefaultValueFactory = _ => [.. s_defaults.RerankCandidates], AllowMultipleArgumentsPerToken = true };
    private readonly Option<int> _indexOrderRows = Opt("--index-order-rows", "With --postgres: rows of the comparison of building the HNSW index after the load against loading into an indexed table; 0 skips it.", s_defaults.IndexOrderRows);
    private readonly Option<int> _rotationRows = Opt<int>("--rotation-rows", "With --postgres: also measure veil rotate over this many rows in all (0 skips it), split over --rotation-tenants collections.");
    private readonly Option<int> _rotationTenants = Opt("--rotation-tenants", "With --postgres: collections (one tenant each) rotated in the one run.", s_defaults.RotationTenants);
    private readonly Option<int> _rotationParallel = Opt("--rotation-parallel", "With --postgres: collections rotated at once in that run.", s_defaults.RotationParallel);

    public BenchCommand(CliConsole console)
        : base(console, "bench", "Measure vector encryption on this machine: single-vector encrypt/decrypt µs, batch throughput on every core, and the ratio to the construction floor, in one run.")
    {
        this.Add(_dimensions, _rounds, _batchRows, _storeRows, _storeRounds, _storeQueries, _json, _embeddingTexts);
        this.Add(_sealed, _sealedRows, _sealedQueries, _sealedFormat, _sealedEfSearch, _corpus);
        this.Add(_postgres, _rows, _centres, _queries, _efSearch, _rerankCandidates, _indexOrderRows, _rotationRows, _rotationTenants, _rotationParallel);
        SetAction(parseResult =>
        {
            BenchRun.Run(Read(parseResult), Terminal.Output, Terminal.Error);
            return ExitCodes.Success;
        });
    }

    private BenchOptions Read(ParseResult p) => new()
    {
        Dimensions = p.GetValue(_dimensions) ?? [],
        Rounds = p.GetValue(_rounds),
        BatchRows = p.GetValue(_batchRows),
        StoreRows = p.GetValue(_storeRows),
        StoreRounds = p.GetValue(_storeRounds),
        StoreQueries = p.GetValue(_storeQueries),
        EmbeddingTexts = p.GetValue(_embeddingTexts),
        PackagesFolder = TextModel.PackagesFolder,
        InstallCommand = TextModel.InstallCommand,
        Json = p.GetValue(_json),
        Sealed = p.GetValue(_sealed),
        SealedRows = p.GetValue(_sealedRows),
        SealedQueries = p.GetValue(_sealedQueries),
        SealedFormat = p.GetValue(_sealedFormat),
        SealedEfSearch = p.GetValue(_sealedEfSearch) ?? [],
        Corpus = p.GetValue(_corpus),
        Postgres = p.GetValue(_postgres),
        Rows = p.GetValue(_rows),
        Centres = p.GetValue(_centres)?.FullName,
        Queries = p.GetValue(_queries),
        EfSearch = p.GetValue(_efSearch) ?? [],
        RerankCandidates = p.GetValue(_rerankCandidates) ?? [],
        IndexOrderRows = p.GetValue(_indexOrderRows),
        RotationRows = p.GetValue(_rotationRows),
        RotationTenants = p.GetValue(_rotationTenants),
        RotationParallel = p.GetValue(_rotationParallel),
    };
}
