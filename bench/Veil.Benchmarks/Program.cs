using BenchmarkDotNet.Running;
using Veil.Benchmarks;
using Veil.Benchmarks.Harness;

// dotnet run -c Release --project bench/Veil.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/Veil.Benchmarks -- quick: the one-run figures of `veil bench` (same harness).
if (args is ["quick", ..])
{
    VectorBenchResult[] vectors = [.. BenchDefaults.Dimensions.Select(d => VectorBench.Measure(d, BenchDefaults.Rounds, BenchDefaults.BatchRows))];
    StoreBenchResult store = StoreBench.Measure(
        BenchReport.StoreDimensions, BenchDefaults.StoreRows, BenchDefaults.StoreRows, BenchDefaults.StoreRounds, BenchDefaults.StoreQueries, Console.Error);
    BenchReport.WriteTable(Console.Out, vectors, store);
    return;
}

// dotnet run -c Release --project bench/Veil.Benchmarks -- jsonl [lines=20000]: JSON Lines encrypt/decrypt lines/s, one pass each.
if (args is ["jsonl", ..])
{
    JsonLinesFiles.Measure(Console.Out, args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000, 384);
    return;
}

// dotnet run -c Release --project bench/Veil.Benchmarks -- jsonl-stages [lines=20000]: µs per line of parse, process, render.
if (args is ["jsonl-stages", ..])
{
    JsonLinesStages.Measure(Console.Out, args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000, 384);
    return;
}

// dotnet run -c Release --project bench/Veil.Benchmarks -- sealed-memory [32768,65536]: sealed index bytes per row, 10⁶ extrapolated.
if (args is ["sealed-memory", ..])
{
    int[] sizes = args.Length > 1 ? [.. args[1].Split(',').Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture))] : [.. SealedIndexMemoryBench.DefaultSizes];
    await SealedIndexMemoryBench.MeasureAsync(sizes, Console.Out);
    return;
}

// dotnet run -c Release --project bench/Veil.Benchmarks -- sealed-sweep <embeddings.bin> [rows=200000] [queries=200] [M list=16]
// [efConstruction=128] [efSearch list] [K′ list=100]: the key holder's graph alone, built once per M, searched at every (efSearch, K′).
if (args is ["sealed-sweep", string sweepCorpus, ..])
{
    static int[] List(string[] args, int at, int[] fallback) =>
        args.Length > at ? [.. args[at].Split(',').Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture))] : fallback;

    SealedRecallSweep.Measure(
        sweepCorpus, List(args, 2, [200_000])[0], List(args, 3, [200])[0], List(args, 4, [16]), List(args, 5, [128])[0],
        List(args, 6, [100, 128, 192, 256, 384, 512, 768]), List(args, 7, [100]), Console.Out);
    return;
}

// dotnet run -c Release --project bench/Veil.Benchmarks -- sealed-decoys <embeddings.bin> [rows=20000]: query cost of D = 100 decoy keys.
if (args is ["sealed-decoys", string corpus, ..])
{
    await SealedDecoyBench.MeasureAsync(corpus, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20_000, Console.Out);
    return;
}

// The PostgreSQL benchmarks need a server: they run only when VEIL_PGVECTOR_CONNECTION is set.
var types = typeof(VectorEncryptionBenchmarks).Assembly.GetTypes()
    .Where(t => t.IsPublic && !t.IsAbstract && t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), false)))
    .ToList();
if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgresBenchmarks.ConnectionVariable)))
{
    types.Remove(typeof(PostgresBenchmarks));
    Console.Error.WriteLine($"PostgresBenchmarks skipped: {PostgresBenchmarks.ConnectionVariable} is not set.");
}

BenchmarkSwitcher.FromTypes([.. types]).Run(args);
