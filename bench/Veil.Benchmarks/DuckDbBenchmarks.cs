using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.VectorData;
using Veil.Stores.DuckDb;

namespace Veil.Benchmarks;

/// <summary>
/// The embedded DuckDB store at d = 384 (in-memory, so the disk does not dominate): a transactional bulk upsert of
/// 10 000 plaintext vectors through the appender, and an exact top-10 query over 10 000 vectors. Issue 4 §3 asks for
/// ≥ 50 000 vectors/s for encrypt + store, so the store alone must stay well under 200 ms per 10 000.
/// </summary>
[MemoryDiagnoser]
public class DuckDbBenchmarks
{
    private const int Rows = 10_000;
    private const int Dimensions = 384;

    private DuckDbVectorStore _store = null!;
    private DuckDbCollection<long, BenchRecord> _upsertTarget = null!;
    private DuckDbCollection<long, BenchRecord> _searchTarget = null!;
    private BenchRecord[] _records = null!;
    private float[] _query = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261124);
        _records = Enumerable.Range(0, Rows).Select(i => new BenchRecord
        {
            Key = i,
            Category = "c" + (i % 16),
            Vector = Enumerable.Range(0, Dimensions).Select(_ => (random.NextSingle() * 2) - 1).ToArray(),
        }).ToArray();
        _query = Enumerable.Range(0, Dimensions).Select(_ => (random.NextSingle() * 2) - 1).ToArray();

        _store = DuckDbVectorStore.CreateInMemory();
        _upsertTarget = _store.GetCollection<long, BenchRecord>("upsert");
        _searchTarget = _store.GetCollection<long, BenchRecord>("search");
        _searchTarget.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
        _searchTarget.UpsertAsync(_records).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [IterationSetup(Target = nameof(BulkUpsert))]
    public void EmptyUpsertTarget()
    {
        _upsertTarget.EnsureCollectionDeletedAsync().GetAwaiter().GetResult();
        _upsertTarget.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
    }

    /// <summary>10 000 × 384 into an empty table, in one transaction.</summary>
    [Benchmark]
    public Task BulkUpsert() => _upsertTarget.UpsertAsync(_records);

    /// <summary>Exact top-10 cosine-distance query over 10 000 × 384.</summary>
    [Benchmark]
    public async Task<int> SearchTop10()
    {
        var count = 0;
        await foreach (var result in _searchTarget.SearchAsync(_query, top: 10))
        {
            count += result.Record.Category.Length;
        }

        return count;
    }

    public sealed class BenchRecord
    {
        [VectorStoreKey]
        public long Key { get; set; }

        [VectorStoreData(IsIndexed = true)]
        public string Category { get; set; } = "";

        [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.CosineDistance)]
        public float[] Vector { get; set; } = [];
    }
}
