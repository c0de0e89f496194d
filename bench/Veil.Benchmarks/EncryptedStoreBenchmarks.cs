using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Stores.DuckDb;

namespace Veil.Benchmarks;

/// <summary>
/// Issue 4 §3 on the embedded DuckDB store (a temporary file) at d = 384: encrypted ingest (encrypt + store through
/// <see cref="EncryptingVectorStoreCollection{TKey, TRecord}"/>, one streamed upsert of 245 760 lazily produced
/// documents in one transaction as <c>veil ingest</c> sends them, vectors only and with a deterministic category and a
/// standard-encrypted text; target ≥ 50 000 vectors/s), against the same plaintext ingest; and the top-10 query over
/// 10^5 vectors, plaintext against encrypted (target ≤ 1.10×) and encrypted with exact re-ranking. <c>veil bench</c> reports the same figures in one run.
/// </summary>
[MemoryDiagnoser]
public class EncryptedStoreBenchmarks
{
    private const int Dimensions = 384;
    private const int BatchRows = 10_000;
    private const int IngestRows = 245_760;
    private const int QueryRows = 100_000;

    private string _directory = null!;
    private DuckDbVectorStore _store = null!;
    private DuckDbVectorStore _ingestStore = null!;
    private Secret[] _secrets = null!;
    private VeilClient _client = null!;
    private VectorStoreCollection<string, BenchDocument> _plainTarget = null!;
    private EncryptingVectorStoreCollection<string, BenchDocument> _encryptedTarget = null!;
    private VectorStoreCollection<string, BenchDocument> _plainQuery = null!;
    private EncryptingVectorStoreCollection<string, BenchDocument> _encryptedQuery = null!;
    private EncryptingVectorStoreCollection<string, BenchDocument> _rerankedQuery = null!;
    private float[][] _vectors = null!;
    private float[] _query = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("veil-bench-").FullName;
        _store = new DuckDbVectorStore(Path.Combine(_directory, "bench.duckdb"));

        // Ingest into its own file with the single DuckDB thread veil ingest uses; queries with DuckDB's default.
        _ingestStore = new DuckDbVectorStore(Path.Combine(_directory, "ingest.duckdb"), new DuckDbStoreOptions { Threads = 1 });
        _secrets = [.. new[] { 7, 11, 13 }.Select(m => new Secret(Enumerable.Range(0, 64).Select(i => unchecked((byte)(i * m))).ToArray()))];
        _client = new VeilClient(new VeilConfiguration(
            vector: new Dictionary<SecretPath, VectorSecret> { [new SecretPath("bench")] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), _secrets[0]))) },
            deterministic: new Dictionary<SecretPath, RotatableSecret> { [new SecretPath("bench")] = new RotatableSecret(new IdentifiedSecret(new KeyId(1), _secrets[1])) },
            standard: new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), _secrets[2])])));

        var random = new Random(20261123);
        _vectors = [.. Enumerable.Range(0, BatchRows).Select(_ => UnitVector(random))];
        _query = UnitVector(random);

        _plainTarget = _ingestStore.GetCollection<string, BenchDocument>("plain_target");
        _encryptedTarget = Encrypted(_ingestStore, "encrypted_target", rerank: false);
        _plainQuery = _store.GetCollection<string, BenchDocument>("plain_query");
        _encryptedQuery = Encrypted(_store, "encrypted_query", rerank: false);
        _rerankedQuery = Encrypted(_store, "encrypted_query", rerank: true);
        _plainQuery.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
        _encryptedQuery.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
        for (int start = 0; start < QueryRows; start += BatchRows)
        {
            BenchDocument[] rows = [.. Enumerable.Range(start, BatchRows).Select(i => Document(UnitVector(random), i, metadata: false))];
            _plainQuery.UpsertAsync(rows).GetAwaiter().GetResult();
            _encryptedQuery.UpsertAsync(rows).GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _ingestStore.Dispose();
        _client.Dispose();
        foreach (Secret secret in _secrets)
        {
            secret.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [IterationSetup(Targets = [nameof(IngestPlaintext), nameof(IngestEncrypted), nameof(IngestEncryptedWithMetadata)])]
    public void EmptyTargets()
    {
        foreach (VectorStoreCollection<string, BenchDocument> target in new[] { _plainTarget, _encryptedTarget.InnerCollection })
        {
            target.EnsureCollectionDeletedAsync().GetAwaiter().GetResult();
            target.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>245 760 × 384 plaintext vectors into an empty table, in one transaction (the baseline); the result is per vector.</summary>
    [Benchmark(OperationsPerInvoke = IngestRows)]
    public Task IngestPlaintext() => _plainTarget.UpsertAsync(Documents(metadata: false));

    /// <summary>245 760 × 384 vectors encrypted and stored, in one transaction; the result is per vector.</summary>
    [Benchmark(OperationsPerInvoke = IngestRows)]
    public Task IngestEncrypted() => _encryptedTarget.UpsertAsync(Documents(metadata: false));

    /// <summary>As <see cref="IngestEncrypted"/>, each record with a deterministic category and a standard-encrypted text.</summary>
    [Benchmark(OperationsPerInvoke = IngestRows)]
    public Task IngestEncryptedWithMetadata() => _encryptedTarget.UpsertAsync(Documents(metadata: true));

    /// <summary>Exact top-10 over 10^5 × 384 plaintext vectors.</summary>
    [Benchmark(Baseline = true)]
    public Task<int> QueryPlaintext() => Top10(_plainQuery);

    /// <summary>Top-10 over 10^5 × 384 encrypted vectors with an encrypted query (no re-ranking).</summary>
    [Benchmark]
    public Task<int> QueryEncrypted() => Top10(_encryptedQuery);

    /// <summary>As <see cref="QueryEncrypted"/>, fetching K′ = 100 candidates and re-ranking them exactly on the client.</summary>
    [Benchmark]
    public Task<int> QueryEncryptedReranked() => Top10(_rerankedQuery);

    private EncryptingVectorStoreCollection<string, BenchDocument> Encrypted(DuckDbVectorStore store, string name, bool rerank) => new(
        store.GetCollection<string, BenchDocument>(name),
        _client,
        new EncryptingCollectionOptions(new SecretPath("bench"), new DerivationPath("model"), new TenantId("tenant")) { DeterministicSecretPath = new SecretPath("bench"), ExactReranking = rerank });

    private async Task<int> Top10(VectorStoreCollection<string, BenchDocument> collection)
    {
        int count = 0;
        await foreach (VectorSearchResult<BenchDocument> result in collection.SearchAsync(_query, top: 10))
        {
            count += result.Record.Id.Length;
        }

        return count;
    }

    /// <summary>Documents made as they are read, their vectors taken in turn from 10 000 random unit vectors.</summary>
    private IEnumerable<BenchDocument> Documents(bool metadata)
    {
        for (int i = 0; i < IngestRows; i++)
        {
            yield return Document(_vectors[i % _vectors.Length], i, metadata);
        }
    }

    private static BenchDocument Document(float[] vector, int i, bool metadata) => new()
    {
        Id = "doc-" + i,
        Category = metadata ? "category-" + (i % 20) : null,
        Text = metadata ? $"the text of document {i}, a sentence or two of metadata" : null,
        Embedding = vector,
    };

    private static float[] UnitVector(Random random)
    {
        var vector = new float[Dimensions];
        double norm = 0;
        for (int i = 0; i < vector.Length; i++)
        {
            double value = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());
            vector[i] = (float)value;
            norm += value * value;
        }

        float scale = (float)(1.0 / Math.Sqrt(norm));
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] *= scale;
        }

        return vector;
    }

    /// <summary>A document as veil ingest stores it: a clear key, an encrypted category and text, an encrypted vector.</summary>
    public sealed class BenchDocument
    {
        [VectorStoreKey]
        public string Id { get; set; } = string.Empty;

        [VectorStoreData(IsIndexed = true)]
        [EncryptDeterministically]
        public string? Category { get; set; }

        [VectorStoreData]
        [EncryptStandard]
        public string? Text { get; set; }

        [VectorStoreData]
        [PairedIclInfo(nameof(Embedding))]
        public string? EmbeddingInfo { get; set; }

        [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.EuclideanDistance)]
        public float[]? Embedding { get; set; }
    }
}
