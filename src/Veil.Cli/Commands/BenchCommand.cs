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

    public BenchCommand(CliConsole console)
        : base("bench", "Measure vector encryption on this machine: single-vector encrypt/decrypt µs, batch throughput on every core, and the ratio to the construction floor, in one run.")
    {
        _console = console;
        this.Add(_dimensions, _rounds, _batchRows, _storeRows, _storeRounds, _storeQueries, _json, _embeddingTexts);
        SetAction((parseResult, _) => Task.FromResult(Run(parseResult)));
    }

    private int Run(ParseResult parseResult)
    {
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

        var results = new List<VectorBenchResult>();
        foreach (int d in dimensions)
        {
            _console.Error.WriteLine($"bench: measuring d = {d} …");
            results.Add(VectorBench.Measure(d, rounds, batchRows));
        }

        StoreBenchResult? store = storeRows == 0 ? null
            : StoreBench.Measure(BenchReport.StoreDimensions, storeRows, Math.Min(IngestCommand.DefaultBatchSize, storeRows), storeRounds, storeQueries, _console.Error);
        EmbeddingBenchResult? embedding = EmbeddingBench.Measure(parseResult.GetValue(_embeddingTexts), TextModel.PackagesFolder, _console.Error);
        if (parseResult.GetValue(_json))
        {
            BenchReport.WriteJson(_console.Output, results, store, writer => EmbeddingBench.WriteJson(writer, embedding));
        }
        else
        {
            BenchReport.WriteTable(_console.Output, results, store);
            EmbeddingBench.WriteTable(_console.Output, embedding, TextModel.InstallCommand);
        }

        return ExitCodes.Success;
    }
}
