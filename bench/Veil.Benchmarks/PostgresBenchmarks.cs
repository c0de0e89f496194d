using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.VectorData;
using Veil.Stores.Postgres;

namespace Veil.Benchmarks;

/// <summary>
/// The PostgreSQL + pgvector store at d = 384 over 5 000 vectors: a batched transactional upsert, an HNSW top-10 query
/// (ef_search 40 and 200) and an exact (IndexKind.Flat) top-10 query. Runs only when <c>VEIL_PGVECTOR_CONNECTION</c>
/// names a server (Program.cs leaves the class out otherwise), such as the PostgreSQL 15 + pgvector that
/// <c>.ci/postgres.sh</c> starts.
/// </summary>
[MemoryDiagnoser]
public class PostgresBenchmarks
{
    /// <summary>The environment variable that holds the connection string.</summary>
    public const string ConnectionVariable = "VEIL_PGVECTOR_CONNECTION";

    private const int Rows = 5_000;
    private const int Dimensions = 384;

    private PostgresVectorStore _store = null!;
    private PostgresCollection<long, BenchRecord> _upsertTarget = null!;
    private PostgresCollection<long, BenchRecord> _copyTarget = null!;
    private PostgresCollection<long, BenchRecord> _hnsw = null!;
    private PostgresCollection<long, BenchRecord> _exact = null!;
    private BenchRecord[] _records = null!;
    private float[] _query = null!;

    [Params(40, 200)]
    public int EfSearch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var connectionString = Environment.GetEnvironmentVariable(ConnectionVariable)
            ?? throw new InvalidOperationException($"Set {ConnectionVariable} to run the PostgreSQL benchmarks.");
        var random = new Random(20261125);
        _records = Enumerable.Range(0, Rows).Select(i => new BenchRecord
        {
            Key = i,
            Category = "c" + (i % 16),
            Vector = Enumerable.Range(0, Dimensions).Select(_ => (random.NextSingle() * 2) - 1).ToArray(),
        }).ToArray();
        _query = Enumerable.Range(0, Dimensions).Select(_ => (random.NextSingle() * 2) - 1).ToArray();

        _store = new PostgresVectorStore(connectionString);
        var suffix = "_" + EfSearch;
        _upsertTarget = _store.GetCollection<long, BenchRecord>("bench_upsert" + suffix, new PostgresCollectionOptions { Definition = BenchRecord.Definition(IndexKind.Flat), CopyFromRows = int.MaxValue });
        _copyTarget = _store.GetCollection<long, BenchRecord>("bench_copy" + suffix, new PostgresCollectionOptions { Definition = BenchRecord.Definition(IndexKind.Flat) });
        _hnsw = _store.GetCollection<long, BenchRecord>("bench_hnsw" + suffix, new PostgresCollectionOptions { Definition = BenchRecord.Definition(IndexKind.Hnsw), HnswEfSearch = EfSearch });
        _exact = _store.GetCollection<long, BenchRecord>("bench_exact" + suffix, new PostgresCollectionOptions { Definition = BenchRecord.Definition(IndexKind.Flat) });
        foreach (var collection in new[] { _hnsw, _exact })
        {
            collection.EnsureCollectionDeletedAsync().GetAwaiter().GetResult();
            collection.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
            collection.UpsertAsync(_records).GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var collection in new[] { _upsertTarget, _copyTarget, _hnsw, _exact })
        {
            collection.EnsureCollectionDeletedAsync().GetAwaiter().GetResult();
        }

        _store.Dispose();
    }

    [IterationSetup(Targets = [nameof(BatchedUpsert), nameof(CopyUpsert)])]
    public void EmptyUpsertTargets()
    {
        foreach (var collection in new[] { _upsertTarget, _copyTarget })
        {
            collection.EnsureCollectionDeletedAsync().GetAwaiter().GetResult();
            collection.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>5 000 × 384 into an empty table (no vector index), in one transaction of multi-row INSERTs.</summary>
    [Benchmark]
    public Task BatchedUpsert() => _upsertTarget.UpsertAsync(_records);

    /// <summary>The same through binary COPY into a staging table and one INSERT … SELECT … ON CONFLICT (the default from 1 000 rows).</summary>
    [Benchmark]
    public Task CopyUpsert() => _copyTarget.UpsertAsync(_records);

    /// <summary>Top-10 cosine query through the HNSW index.</summary>
    [Benchmark]
    public Task<int> HnswTop10() => CountAsync(_hnsw);

    /// <summary>Exact top-10 cosine query (sequential scan).</summary>
    [Benchmark]
    public Task<int> ExactTop10() => CountAsync(_exact);

    private async Task<int> CountAsync(PostgresCollection<long, BenchRecord> collection)
    {
        var count = 0;
        await foreach (var result in collection.SearchAsync(_query, top: 10))
        {
            count += result.Record.Category.Length;
        }

        return count;
    }

    public sealed class BenchRecord
    {
        public long Key { get; set; }

        public string Category { get; set; } = "";

        public float[] Vector { get; set; } = [];

        public static VectorStoreCollectionDefinition Definition(string indexKind) => new()
        {
            Properties =
            [
                new VectorStoreKeyProperty(nameof(Key), typeof(long)),
                new VectorStoreDataProperty(nameof(Category), typeof(string)) { IsIndexed = true },
                new VectorStoreVectorProperty(nameof(Vector), typeof(float[]), Dimensions) { DistanceFunction = DistanceFunction.CosineDistance, IndexKind = indexKind },
            ],
        };
    }
}
