using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store;
using Veil.Keys;
using Veil.Sealed;
using Veil.Stores.DuckDb;

namespace Veil.Benchmarks;

/// <summary>
/// Issue 15 §2 in BenchmarkDotNet: a sealed top-10 query (the key holder's graph, then K′ = 100 sealed rows fetched by
/// key, opened and ranked exactly) against the plaintext exact scan of the same rows, both over the embedded DuckDB
/// store in memory at 10⁵ × 384 (seeded unit vectors), the size. The target is a ratio ≤ 1.0;
/// `veil bench --sealed` measures the same on a file, with ingest and recall.
/// </summary>
[MemoryDiagnoser]
public class SealedSearchBenchmarks
{
    private const int Rows = 100_000;
    private const int Dimensions = 384;

    private Secret _secret = null!;
    private SealedKeyring _keyring = null!;
    private DuckDbVectorStore _store = null!;
    private DuckDbCollection<string, PlainRecord> _plain = null!;
    private SealedVectorStoreCollection<string, VeilDocument> _sealed = null!;
    private float[][] _queries = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261205);
        float[][] vectors = [.. Enumerable.Range(0, Rows + 64).Select(_ => UnitVector(random))];
        _queries = vectors[Rows..];

        _store = DuckDbVectorStore.CreateInMemory();
        _plain = _store.GetCollection<string, PlainRecord>("plain");
        _plain.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
        _plain.UpsertAsync(Enumerable.Range(0, Rows).Select(i => new PlainRecord { Id = $"row-{i}", Embedding = vectors[i] })).GetAwaiter().GetResult();

        _secret = Secret.Generate();
        _keyring = new SealedKeyring(new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), _secret)]), new TenantId("bench"));
        VectorStoreCollectionDefinition definition = VeilDocument.SealedDefinition(Dimensions);
        _sealed = new SealedVectorStoreCollection<string, VeilDocument>(
            _store.GetCollection<string, VeilDocument>("sealed", definition),
            _keyring,
            new InMemorySealedIndexStorage(),
            new SealedCollectionOptions { Definition = definition, Index = new SealedIndexOptions { Seed = 7 } });
        _sealed.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
        _sealed.UpsertAsync(Enumerable.Range(0, Rows).Select(i => new VeilDocument { Id = $"row-{i}", Embedding = vectors[i] })).GetAwaiter().GetResult();

        // The first search loads the index; the graph must hold every row before any query is timed.
        _sealed.SearchAsync(_queries[0], 10).ToListAsync().AsTask().GetAwaiter().GetResult();
        _sealed.WaitForIndexingAsync().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sealed.Dispose();
        _store.Dispose();
        _keyring.Dispose();
        _secret.Dispose();
    }

    /// <summary>Exact top-10 Euclidean scan of the plaintext rows (the sealed definition's distance): the baseline.</summary>
    [Benchmark(Baseline = true)]
    public async Task<int> PlaintextExactScanTop10()
    {
        var found = 0;
        await foreach (VectorSearchResult<PlainRecord> hit in _plain.SearchAsync(NextQuery(), top: 10))
        {
            found += hit.Record.Id.Length;
        }

        return found;
    }

    /// <summary>Sealed top-10: graph search, K′ = 100 rows fetched by key, opened (AES-GCM) and ranked exactly.</summary>
    [Benchmark]
    public async Task<int> SealedTop10()
    {
        var found = 0;
        await foreach (VectorSearchResult<VeilDocument> hit in _sealed.SearchAsync(NextQuery(), top: 10))
        {
            found += hit.Record.Id.Length;
        }

        return found;
    }

    private float[] NextQuery() => _queries[_next++ % _queries.Length];

    private static float[] UnitVector(Random random)
    {
        float[] v = [.. Enumerable.Range(0, Dimensions).Select(_ => (random.NextSingle() * 2) - 1)];
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    public sealed class PlainRecord
    {
        [VectorStoreKey]
        public string Id { get; set; } = "";

        [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.EuclideanDistance)]
        public float[] Embedding { get; set; } = [];
    }
}
