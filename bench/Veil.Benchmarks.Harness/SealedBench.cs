using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Sealed;
using Veil.Stores.DuckDb;

namespace Veil.Benchmarks.Harness;

/// <summary>The sealed mode's figures on DuckDB, all from one run over one temporary file.</summary>
public sealed record SealedBenchResult(
    string Source,
    int Dimensions,
    int Rows,
    double SealedIngestVectorsPerSecond,
    double IngestSeconds,
    double SealSeconds,
    double OtherSeconds,
    double StoreWriteSeconds,
    double IndexedSeconds,
    double SnapshotSeconds,
    long SnapshotBytes,
    double LoadSeconds,
    double PlaintextIngestVectorsPerSecond,
    int Queries,
    int Candidates,
    double PlaintextQueryMilliseconds,
    double SealedQueryMilliseconds,
    double SealedStoreReadMilliseconds,
    double SealedBytesReadPerQuery,
    double PlaintextBytesScannedPerQuery,
    double RecallAt10,
    CorpusRecallResult? Corpus,
    double IngestCpuSeconds = 0,
    double PlaintextIngestCpuSeconds = 0)
{
    /// <summary>Rows per second until the graph held every row (the ingest call, then the background insertion).</summary>
    public double IndexedVectorsPerSecond => Rows / IndexedSeconds;

    /// <summary>Sealed over plaintext exact-scan query time (target ≤ 1).</summary>
    public double SealedToPlaintextQuery => SealedQueryMilliseconds / PlaintextQueryMilliseconds;
}

/// <summary>Recall@10 of the sealed index at its default settings on a real corpus, held-out queries.</summary>
public sealed record CorpusRecallResult(int Rows, int Queries, int Candidates, double RecallAt10, double RecallAt10WithoutReranking);

/// <summary>
/// Measures the sealed mode (<see cref="SealedVectorStoreCollection{TKey, TRecord}"/> over the DuckDB store) against
/// the plaintext exact scan on the same DuckDB file: sealed ingest (sealing, index insertion and the store write timed
/// apart), the sealed snapshot, loading it in a new instance, top-10 query latency (medians, interleaved), the bytes
/// the store returns per sealed query and recall@10 against exact plaintext search.
/// </summary>
public static class SealedBench
{
    /// <summary>The rows ingested by default (10⁵).</summary>
    public const int DefaultRows = 100_000;

    /// <summary>Queries per variant by default.</summary>
    public const int DefaultQueries = 100;

    /// <summary>Held-out queries of the corpus recall measurement.</summary>
    public const int CorpusQueries = 500;

    /// <summary>
    /// Runs the measurement on <paramref name="rows"/> vectors: the rows of <paramref name="corpus"/> (raw float32,
    /// <paramref name="dimensions"/> per row) tiled with small seeded noise and normalised, or random unit vectors when
    /// no corpus is given; queries drawn the same way (not stored). With a corpus, also the recall@10 of the default
    /// index on the corpus itself with <see cref="CorpusQueries"/> held-out rows as queries.
    /// </summary>
    public static SealedBenchResult Measure(string? corpus, int dimensions, int rows, int queries, TextWriter progress, SealedVectorFormat format = SealedVectorFormat.Binary)
    {
        ArgumentNullException.ThrowIfNull(progress);
        string directory = Path.Combine(Path.GetTempPath(), $"veil-sealed-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            float[][]? real = corpus is null ? null : ReadRows(corpus, dimensions);
            var random = new Random(20261205);
            float[][] data = Sample(real, dimensions, rows, random);
            float[][] queryVectors = Sample(real, dimensions, queries, random);
            CorpusRecallResult? corpusRecall = real is null ? null : CorpusRecall(real, progress);
            return Measure(Path.Combine(directory, "sealed.duckdb"), (corpus is null ? "random unit vectors" : $"{Path.GetFileName(corpus)} ({real!.Length:N0} rows) tiled with noise") + $"; sealed vectors {format}", data, queryVectors, corpusRecall, format, progress);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Recall@10 of the default sealed index (int8 HNSW, K′ = 100, exact ranking of the K′) on real rows, held-out queries.</summary>
    public static CorpusRecallResult CorpusRecall(float[][] real, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(progress);
        int[] order = Enumerable.Range(0, real.Length).ToArray();
        new Random(500).Shuffle(order);
        int[] held = order[..CorpusQueries];
        int[] indexed = order[CorpusQueries..];
        progress.WriteLine($"bench: recall@10 of the default sealed index on {indexed.Length:N0} real rows, {held.Length} held-out queries …");
        using var index = new SealedVectorIndex<int>(real[0].Length, new SealedIndexOptions { Seed = 1 });
        foreach (int i in indexed)
        {
            index.Upsert(i, real[i]);
        }

        // Recall of the graph itself: nothing left to the exact scan of the queue.
        index.WaitForIndexingAsync().GetAwaiter().GetResult();

        int candidates = SealedCollectionOptions.DefaultCandidates;
        double recall = 0, approximate = 0;
        foreach (int q in held)
        {
            HashSet<int> exact = [.. indexed.OrderByDescending(i => TensorPrimitives.CosineSimilarity(real[i], real[q])).Take(10)];
            IReadOnlyList<int> found = index.Search(real[q], candidates);
            recall += found.Count(exact.Contains) / 10.0;
            approximate += found.Take(10).Count(exact.Contains) / 10.0;
        }

        return new CorpusRecallResult(indexed.Length, held.Length, candidates, recall / held.Length, approximate / held.Length);
    }

    private static SealedBenchResult Measure(string file, string source, float[][] data, float[][] queryVectors, CorpusRecallResult? corpus, SealedVectorFormat format, TextWriter progress)
    {
        int dimensions = data[0].Length;
        int rows = data.Length;
        using var secret = new Secret(Enumerable.Range(0, 32).Select(i => unchecked((byte)(i * 13))).ToArray());
        var standard = new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), secret)]);
        using var keys = new SealedKeyring(standard, new TenantId("bench"));
        VectorStoreCollectionDefinition sealedDefinition = VeilDocument.SealedDefinition(dimensions, format);
        VectorStoreCollectionDefinition plainDefinition = PlainDefinition(dimensions);
        var options = new SealedCollectionOptions { Definition = sealedDefinition, Index = new SealedIndexOptions { Seed = 7 } };

        // Plaintext ingest (the exact-scan baseline) of the same vectors.
        progress.WriteLine($"bench: plaintext DuckDB ingest of {rows:N0} × {dimensions} …");
        var stopwatch = Stopwatch.StartNew();
        TimeSpan cpu = ProcessCpu.Now();
        using (var store = new DuckDbVectorStore(file, new DuckDbStoreOptions { Threads = IngestOptions.IngestDuckDbThreads }))
        using (VectorStoreCollection<string, VeilDocument> plain = store.GetCollection<string, VeilDocument>("plain", plainDefinition))
        {
            plain.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
            plain.UpsertAsync(Documents(data)).GetAwaiter().GetResult();
        }

        double plainRate = rows / stopwatch.Elapsed.TotalSeconds;
        double plainCpuSeconds = (ProcessCpu.Now() - cpu).TotalSeconds;

        // Sealing alone (AES-256-GCM of each vector into its own array, as the collection does), for reference: in the sealed
        // ingest it runs on background threads during the store write.
        stopwatch.Restart();
        using (var aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16))
        {
            byte[] nonce = new byte[12], tag = new byte[16];
            foreach (float[] vector in data)
            {
                byte[] box = new byte[dimensions * sizeof(float)];
                RandomNumberGenerator.Fill(nonce);
                aes.Encrypt(nonce, MemoryMarshal.AsBytes(vector.AsSpan()), box, tag, "veil-sealed/v1 bench aad"u8);
            }
        }

        double sealSeconds = stopwatch.Elapsed.TotalSeconds;

        // Sealed ingest: checks + log + store write (sealing overlapped) + queue for the index, one upsert as veil ingest
        // does for up to 245 760 rows; the rows are durable and findable when it returns. Then the wait until the graph has inserted them all.
        progress.WriteLine($"bench: sealed DuckDB ingest of {rows:N0} × {dimensions} …");
        var storage = new InMemorySealedIndexStorage();
        double ingestSeconds, ingestCpuSeconds, storeSeconds, indexedSeconds, snapshotSeconds;
        using (var store = new DuckDbVectorStore(file, new DuckDbStoreOptions { Threads = IngestOptions.IngestDuckDbThreads }))
        {
            var timed = new MeteredCollection(store.GetCollection<string, VeilDocument>("sealed", sealedDefinition));
            using var collection = new SealedVectorStoreCollection<string, VeilDocument>(timed, keys, storage, options);
            collection.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
            stopwatch.Restart();
            cpu = ProcessCpu.Now();
            collection.UpsertAsync(Documents(data)).GetAwaiter().GetResult();
            ingestSeconds = stopwatch.Elapsed.TotalSeconds;
            ingestCpuSeconds = (ProcessCpu.Now() - cpu).TotalSeconds;
            storeSeconds = timed.WriteSeconds;
            collection.WaitForIndexingAsync().GetAwaiter().GetResult();
            indexedSeconds = stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            collection.SnapshotAsync().GetAwaiter().GetResult();
            snapshotSeconds = stopwatch.Elapsed.TotalSeconds;
        }

        long snapshotBytes = storage.SnapshotChunks.Sum(c => (long)c.Length);

        using var queried = new DuckDbVectorStore(file);
        using VectorStoreCollection<string, VeilDocument> plainQueried = queried.GetCollection<string, VeilDocument>("plain", plainDefinition);
        var metered = new MeteredCollection(queried.GetCollection<string, VeilDocument>("sealed", sealedDefinition));
        using var sealedQueried = new SealedVectorStoreCollection<string, VeilDocument>(metered, keys, storage, options);
        progress.WriteLine("bench: loading the sealed snapshot in a new instance …");
        stopwatch.Restart();
        sealedQueried.LoadIndexAsync().GetAwaiter().GetResult();
        double loadSeconds = stopwatch.Elapsed.TotalSeconds;

        progress.WriteLine($"bench: top-10 queries over {rows:N0} × {dimensions} (plaintext exact scan, sealed) …");
        _ = Query(plainQueried, queryVectors[0]);
        _ = Query(sealedQueried, queryVectors[0]);
        metered.Reset();
        var plainTimes = new List<double>();
        var sealedTimes = new List<double>();
        double recall = 0;
        for (int q = 0; q < queryVectors.Length; q++)
        {
            double plainMs, sealedMs;
            List<string> plainIds, sealedIds;
            if (q % 2 == 0)
            {
                (plainMs, plainIds) = Query(plainQueried, queryVectors[q]);
                (sealedMs, sealedIds) = Query(sealedQueried, queryVectors[q]);
            }
            else
            {
                (sealedMs, sealedIds) = Query(sealedQueried, queryVectors[q]);
                (plainMs, plainIds) = Query(plainQueried, queryVectors[q]);
            }

            plainTimes.Add(plainMs);
            sealedTimes.Add(sealedMs);
            recall += sealedIds.Intersect(plainIds).Count() / 10.0;
        }

        double bytesPerQuery = (double)metered.BytesRead / queryVectors.Length;

        double storeReadMs = metered.ReadSeconds * 1000 / queryVectors.Length;

        return new SealedBenchResult(
            source, dimensions, rows, rows / ingestSeconds, ingestSeconds, sealSeconds, Math.Max(0, ingestSeconds - storeSeconds), storeSeconds, indexedSeconds, snapshotSeconds, snapshotBytes,
            loadSeconds, plainRate, queryVectors.Length, options.Candidates, Median(plainTimes), Median(sealedTimes), storeReadMs, bytesPerQuery, (double)rows * dimensions * sizeof(float),
            recall / queryVectors.Length, corpus, ingestCpuSeconds, plainCpuSeconds);
    }

    /// <summary>The plaintext baseline's definition: the same columns, the vector stored in the clear and searched by cosine.</summary>
    private static VectorStoreCollectionDefinition PlainDefinition(int dimensions) => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty(nameof(VeilDocument.Id), typeof(string)),
            new VectorStoreDataProperty(nameof(VeilDocument.Category), typeof(string)),
            new VectorStoreDataProperty(nameof(VeilDocument.Fields), typeof(string)),
            new VectorStoreVectorProperty(nameof(VeilDocument.Embedding), typeof(ReadOnlyMemory<float>?), dimensions) { DistanceFunction = DistanceFunction.CosineSimilarity },
        ],
    };

    internal static IEnumerable<VeilDocument> Documents(float[][] data)
    {
        for (int r = 0; r < data.Length; r++)
        {
            yield return new VeilDocument { Id = "doc-" + r.ToString(System.Globalization.CultureInfo.InvariantCulture), Embedding = data[r] };
        }
    }

    /// <summary>A top-<paramref name="top"/> query, timed; the ids of its first 10 results.</summary>
    internal static (double Milliseconds, List<string> Ids) Query(VectorStoreCollection<string, VeilDocument> collection, float[] query, int top = 10, VectorSearchOptions<VeilDocument>? options = null)
    {
        long start = Stopwatch.GetTimestamp();
        var ids = new List<string>(10);
        foreach (VectorSearchResult<VeilDocument> hit in collection.SearchAsync(query, top, options).ToBlockingEnumerable())
        {
            if (ids.Count < 10)
            {
                ids.Add(hit.Record.Id);
            }
        }

        double milliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return ids.Count == 10 ? (milliseconds, ids) : throw new InvalidOperationException($"The top-10 query returned {ids.Count} results.");
    }

    /// <summary>Rows of <paramref name="path"/> (raw little-endian float32, <paramref name="dimensions"/> per row).</summary>
    public static float[][] ReadRows(string path, int dimensions)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int rowBytes = dimensions * sizeof(float);
        if (bytes.Length == 0 || bytes.Length % rowBytes != 0)
        {
            throw new InvalidDataException($"{path} is not a whole number of {dimensions}-d float32 rows.");
        }

        return Enumerable.Range(0, bytes.Length / rowBytes).Select(r => MemoryMarshal.Cast<byte, float>(bytes.AsSpan(r * rowBytes, rowBytes)).ToArray()).ToArray();
    }

    /// <summary>
    /// <paramref name="count"/> unit vectors: real row (r mod n) plus seeded Gaussian noise of norm about 0.25 (cosine to
    /// the row about 0.97), or uniform random directions without a corpus.
    /// </summary>
    internal static float[][] Sample(float[][]? real, int dimensions, int count, Random random)
    {
        var result = new float[count][];
        float sigma = 0.25f / MathF.Sqrt(dimensions);
        int offset = real is null ? 0 : random.Next(real.Length);
        for (int r = 0; r < count; r++)
        {
            var v = new float[dimensions];
            for (int i = 0; i < dimensions; i++)
            {
                double u = 1.0 - random.NextDouble();
                float gaussian = (float)(Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * random.NextDouble()));
                v[i] = real is null ? gaussian : real[(offset + r) % real.Length][i] + (sigma * gaussian);
            }

            TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
            result[r] = v;
        }

        return result;
    }

    internal static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    /// <summary>Times the store's writes and counts the bytes of the rows it returns (key, sealed vector and every string column).</summary>
    internal sealed class MeteredCollection(VectorStoreCollection<string, VeilDocument> inner) : DelegatingVectorStoreCollection<string, VeilDocument>(inner)
    {
        public double WriteSeconds { get; private set; }

        public long BytesRead { get; private set; }

        public long RowsRead { get; private set; }

        public double ReadSeconds { get; private set; }

        public void Reset()
        {
            BytesRead = 0;
            RowsRead = 0;
            ReadSeconds = 0;
        }

        public override async Task UpsertAsync(IEnumerable<VeilDocument> records, CancellationToken cancellationToken = default)
        {
            long start = Stopwatch.GetTimestamp();
            await base.UpsertAsync(records, cancellationToken).ConfigureAwait(false);
            WriteSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        public override async IAsyncEnumerable<VeilDocument> GetAsync(
            IEnumerable<string> keys, RecordRetrievalOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            long start = Stopwatch.GetTimestamp();
            await foreach (VeilDocument row in base.GetAsync(keys, options, cancellationToken).ConfigureAwait(false))
            {
                RowsRead++;
                BytesRead += row.Id.Length + (row.SealedEmbedding?.Length ?? 0) + (row.SealedEmbeddingText?.Length ?? 0) + (row.Category?.Length ?? 0) + (row.Fields?.Length ?? 0) + (row.EmbeddingInfo?.Length ?? 0);
                ReadSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                yield return row;
                start = Stopwatch.GetTimestamp();
            }

            ReadSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
    }
}
