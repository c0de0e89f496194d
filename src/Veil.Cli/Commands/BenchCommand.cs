using System.CommandLine;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json;
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
        SetAction((parseResult, _) => Task.FromResult(Run(parseResult)));
    }

    internal Option<int[]> DimensionsOption { get; } = new("--dimensions")
    {
        Description = "Dimensions to measure.",
        DefaultValueFactory = _ => [384, 768, 1536, 2048],
        AllowMultipleArgumentsPerToken = true,
    };

    internal Option<int> RoundsOption { get; } = new("--rounds")
    {
        Description = "Interleaved measurement rounds per dimension (about 6 ms each); figures are medians over rounds.",
        DefaultValueFactory = _ => 41,
    };

    internal Option<int> BatchRowsOption { get; } = new("--batch-rows")
    {
        Description = "Vectors per batch in the throughput measurement.",
        DefaultValueFactory = _ => 20_000,
    };

    internal Option<int> StoreRowsOption { get; } = new("--store-rows")
    {
        Description = "Vectors (d = 384) in the DuckDB store measurement: ingest (encrypt + store) and the top-10 query ratio; 0 skips it.",
        DefaultValueFactory = _ => 100_000,
    };

    internal Option<int> StoreRoundsOption { get; } = new("--store-rounds")
    {
        Description = "Ingests per variant in the DuckDB store measurement, interleaved in rotating order; figures are medians.",
        DefaultValueFactory = _ => 3,
    };

    internal Option<int> StoreQueriesOption { get; } = new("--store-queries")
    {
        Description = "Top-10 queries per variant in the DuckDB store measurement; figures are medians.",
        DefaultValueFactory = _ => 31,
    };

    internal Option<bool> JsonOption { get; } = new("--json")
    {
        Description = "Write the results as JSON instead of a table.",
    };

    internal Option<int> EmbeddingTextsOption { get; } = EmbeddingBench.TextsOption();

    private int Run(ParseResult parseResult)
    {
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
            : StoreBench.Measure(StoreDimensions, storeRows, Math.Min(IngestCommand.DefaultBatchSize, storeRows), storeRounds, storeQueries, _console.Error);
        EmbeddingBenchResult? embedding = EmbeddingBench.Measure(parseResult.GetValue(EmbeddingTextsOption), _console.Error);
        if (parseResult.GetValue(JsonOption))
        {
            WriteJson(results, store, embedding);
        }
        else
        {
            WriteTable(results, store);
            EmbeddingBench.WriteTable(_console.Output, embedding);
        }

        return ExitCodes.Success;
    }

    private const int StoreDimensions = 384;

    private void WriteTable(IReadOnlyList<VectorBenchResult> results, StoreBenchResult? store)
    {
        TextWriter o = _console.Output;
        o.WriteLine(Environment());
        o.WriteLine();
        o.WriteLine("     d   encrypt µs   decrypt µs   floor µs   encrypt/floor   decrypt/floor   batch vectors/s   Alloy encrypt µs   speed-up");
        foreach (VectorBenchResult r in results)
        {
            string alloy = r.AlloyEncryptMicroseconds is { } a ? a.ToString("F1", CultureInfo.InvariantCulture) : "-";
            string speedup = r.SpeedupOverAlloy is { } s ? s.ToString("F1", CultureInfo.InvariantCulture) + "×" : "-";
            o.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{r.Dimensions,6} {r.EncryptMicroseconds,12:F2} {r.DecryptMicroseconds,12:F2} {r.FloorMicroseconds,10:F2} {r.EncryptToFloor,15:F2} {r.DecryptToFloor,15:F2} {r.BatchVectorsPerSecond,17:N0} {alloy,18} {speedup,10}"));
        }

        o.WriteLine();
        o.WriteLine("floor = the ChaCha20 keystream the noise sampler consumes + HMAC-SHA256 over the 4·d ciphertext bytes.");
        o.WriteLine("Alloy: its published Rust criterion medians (i9-9880H laptop, 2024); a different machine, for scale only.");
        if (store is null)
        {
            return;
        }

        o.WriteLine();
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DuckDB store (a temporary file), {store.Rows:N0} × {store.Dimensions}, transactions of up to {store.TransactionRows:N0} vectors:"));
        o.WriteLine("   ingest vectors/s: plaintext   encrypted   ratio   encrypted + category + text");
        o.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{store.PlaintextIngestVectorsPerSecond,29:N0} {store.EncryptedIngestVectorsPerSecond,11:N0} {store.EncryptedToPlaintextIngest,6:F2}× {store.EncryptedIngestWithMetadataVectorsPerSecond,29:N0}"));
        o.WriteLine("   top-10 query ms:  plaintext   encrypted   ratio   encrypted + re-ranking   ratio");
        o.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{store.PlaintextQueryMilliseconds,29:F2} {store.EncryptedQueryMilliseconds,11:F2} {store.EncryptedToPlaintextQuery,6:F2}× {store.RerankedQueryMilliseconds,24:F2} {store.RerankedToPlaintextQuery,6:F2}×"));
        o.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"ingest = encrypt + store of random unit vectors, median of {store.IngestRounds} per variant; query = median of {store.Queries} per variant; both interleaved; re-ranking fetches K′ = {store.RerankCandidates} candidates."));
    }

    private void WriteJson(IReadOnlyList<VectorBenchResult> results, StoreBenchResult? store, EmbeddingBenchResult? embedding)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("environment", Environment());
        writer.WriteStartArray("results");
        foreach (VectorBenchResult r in results)
        {
            writer.WriteStartObject();
            writer.WriteNumber("dimensions", r.Dimensions);
            writer.WriteNumber("encryptMicroseconds", Math.Round(r.EncryptMicroseconds, 3));
            writer.WriteNumber("decryptMicroseconds", Math.Round(r.DecryptMicroseconds, 3));
            writer.WriteNumber("floorMicroseconds", Math.Round(r.FloorMicroseconds, 3));
            writer.WriteNumber("encryptToFloor", Math.Round(r.EncryptToFloor, 3));
            writer.WriteNumber("decryptToFloor", Math.Round(r.DecryptToFloor, 3));
            writer.WriteNumber("batchVectorsPerSecond", Math.Round(r.BatchVectorsPerSecond));
            writer.WriteNumber("batchRows", r.BatchRows);
            if (r.AlloyEncryptMicroseconds is { } alloy)
            {
                writer.WriteNumber("alloyEncryptMicroseconds", alloy);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (store is not null)
        {
            writer.WriteStartObject("store");
            writer.WriteString("engine", "duckdb");
            writer.WriteNumber("dimensions", store.Dimensions);
            writer.WriteNumber("rows", store.Rows);
            writer.WriteNumber("transactionRows", store.TransactionRows);
            writer.WriteNumber("ingestRounds", store.IngestRounds);
            writer.WriteNumber("plaintextIngestVectorsPerSecond", Math.Round(store.PlaintextIngestVectorsPerSecond));
            writer.WriteNumber("encryptedIngestVectorsPerSecond", Math.Round(store.EncryptedIngestVectorsPerSecond));
            writer.WriteNumber("encryptedToPlaintextIngest", Math.Round(store.EncryptedToPlaintextIngest, 3));
            writer.WriteNumber("encryptedIngestWithMetadataVectorsPerSecond", Math.Round(store.EncryptedIngestWithMetadataVectorsPerSecond));
            writer.WriteNumber("queries", store.Queries);
            writer.WriteNumber("plaintextQueryMilliseconds", Math.Round(store.PlaintextQueryMilliseconds, 3));
            writer.WriteNumber("encryptedQueryMilliseconds", Math.Round(store.EncryptedQueryMilliseconds, 3));
            writer.WriteNumber("rerankedQueryMilliseconds", Math.Round(store.RerankedQueryMilliseconds, 3));
            writer.WriteNumber("encryptedToPlaintextQuery", Math.Round(store.EncryptedToPlaintextQuery, 3));
            writer.WriteNumber("rerankedToPlaintextQuery", Math.Round(store.RerankedToPlaintextQuery, 3));
            writer.WriteNumber("rerankCandidates", store.RerankCandidates);
            writer.WriteEndObject();
        }

        EmbeddingBench.WriteJson(writer, embedding);
        writer.WriteEndObject();
        writer.Flush();
        _console.Output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static string Environment() => string.Create(
        CultureInfo.InvariantCulture,
        $"{System.Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, Vector512 {(Vector512.IsHardwareAccelerated ? "on" : "off")}");
}
