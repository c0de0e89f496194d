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
        Options.Add(SealedOption);
        Options.Add(SealedRowsOption);
        Options.Add(SealedQueriesOption);
        Options.Add(CorpusOption);
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

    internal Option<bool> SealedOption { get; } = new("--sealed")
    {
        Description = "Measure the sealed mode on DuckDB instead: sealed ingest (sealing, index insert, store write), sealed top-10 query against the plaintext exact scan of the same file, bytes read per query, recall@10.",
    };

    internal Option<int> SealedRowsOption { get; } = new("--sealed-rows")
    {
        Description = "With --sealed: vectors (d = 384) stored.",
        DefaultValueFactory = _ => SealedBench.DefaultRows,
    };

    internal Option<int> SealedQueriesOption { get; } = new("--sealed-queries")
    {
        Description = "With --sealed: top-10 queries per variant; latencies are medians.",
        DefaultValueFactory = _ => SealedBench.DefaultQueries,
    };

    internal Option<string> CorpusOption { get; } = new("--corpus")
    {
        Description = "With --sealed: raw float32 embeddings (384 per row) to sample the stored vectors around (each row plus small seeded noise), and whose own recall@10 (500 held-out rows) is reported; default: random unit vectors.",
    };

    private int Run(ParseResult parseResult)
    {
        if (parseResult.GetValue(SealedOption))
        {
            return RunSealed(parseResult);
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

    private int RunSealed(ParseResult parseResult)
    {
        int rows = parseResult.GetValue(SealedRowsOption);
        int queries = parseResult.GetValue(SealedQueriesOption);
        string? corpus = parseResult.GetValue(CorpusOption);
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

        SealedBenchResult result = SealedBench.Measure(corpus, BenchReport.StoreDimensions, rows, queries, _console.Error);
        if (parseResult.GetValue(JsonOption))
        {
            SealedBenchReport.WriteJson(_console.Output, result);
        }
        else
        {
            SealedBenchReport.WriteTable(_console.Output, result);
        }

        return ExitCodes.Success;
    }
}
