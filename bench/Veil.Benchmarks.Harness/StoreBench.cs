using System.Diagnostics;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Stores.DuckDb;

namespace Veil.Benchmarks.Harness;

/// <summary>The embedded store's figures, all from one run over one temporary DuckDB file.</summary>
public sealed record StoreBenchResult(
    int Dimensions,
    int Rows,
    int TransactionRows,
    int IngestRounds,
    double PlaintextIngestVectorsPerSecond,
    double EncryptedIngestVectorsPerSecond,
    double EncryptedIngestWithMetadataVectorsPerSecond,
    int Queries,
    double PlaintextQueryMilliseconds,
    double EncryptedQueryMilliseconds,
    double RerankedQueryMilliseconds,
    int RerankCandidates)
{
    /// <summary>Encrypted over plaintext ingest throughput.</summary>
    public double EncryptedToPlaintextIngest => EncryptedIngestVectorsPerSecond / PlaintextIngestVectorsPerSecond;

    /// <summary>Encrypted over plaintext query time.</summary>
    public double EncryptedToPlaintextQuery => EncryptedQueryMilliseconds / PlaintextQueryMilliseconds;

    /// <summary>Re-ranked encrypted over plaintext query time.</summary>
    public double RerankedToPlaintextQuery => RerankedQueryMilliseconds / PlaintextQueryMilliseconds;
}

/// <summary>
/// Measures the DuckDB store end to end: ingest (encrypt + store, streamed as <c>veil ingest</c> does: lazily produced
/// documents, one upsert per transaction, timed until the store is closed and checkpointed) of random unit vectors
/// with and without a category and a text field, against a plaintext ingest of the same vectors, interleaved over
/// rounds and reported as medians; then the top-10
/// query on the plaintext and the encrypted collection (without and with exact re-ranking), interleaved in rotating
/// order so that noise and cache warmth hit all three alike, as medians.
/// </summary>
public static class StoreBench
{
    /// <summary>Measures a temporary DuckDB file, deleted afterwards.</summary>
    /// <param name="dimensions">The vectors' dimension.</param>
    /// <param name="rows">How many vectors to ingest per round.</param>
    /// <param name="transactionRows">How many vectors per transaction.</param>
    /// <param name="ingestRounds">How many interleaved ingest rounds per variant (the median is reported).</param>
    /// <param name="queries">How many top-10 queries per variant (the median is reported).</param>
    /// <param name="progress">Where progress lines go.</param>
    /// <returns>The figures.</returns>
    public static StoreBenchResult Measure(int dimensions, int rows, int transactionRows, int ingestRounds, int queries, TextWriter progress)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"veil-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            return Measure(Path.Combine(directory, "bench.duckdb"), dimensions, rows, transactionRows, ingestRounds, queries, progress);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static StoreBenchResult Measure(string file, int dimensions, int rows, int transactionRows, int ingestRounds, int queries, TextWriter progress)
    {
        using var vectorSecret = new Secret(Enumerable.Range(0, 64).Select(i => unchecked((byte)(i * 7))).ToArray());
        using var fieldSecret = new Secret(Enumerable.Range(0, 32).Select(i => unchecked((byte)(i * 11))).ToArray());
        using var documentSecret = new Secret(Enumerable.Range(0, 32).Select(i => unchecked((byte)(i * 13))).ToArray());
        using var client = new VeilClient(new VeilConfiguration(
            vector: new Dictionary<SecretPath, VectorSecret>
            {
                [new SecretPath("bench")] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), vectorSecret))),
            },
            deterministic: new Dictionary<SecretPath, RotatableSecret>
            {
                [new SecretPath("bench")] = new RotatableSecret(new IdentifiedSecret(new KeyId(1), fieldSecret)),
            },
            standard: new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), documentSecret)])));

        var random = new Random(20261123);
        float[] vectors = new float[checked(rows * dimensions)];
        for (int r = 0; r < rows; r++)
        {
            FillUnit(random, vectors.AsSpan(r * dimensions, dimensions));
        }

        float[][] queryVectors = Enumerable.Range(0, queries).Select(_ =>
        {
            var q = new float[dimensions];
            FillUnit(random, q);
            return q;
        }).ToArray();

        VectorStoreCollectionDefinition definition = VeilDocument.Definition(dimensions);
        EncryptingCollectionOptions Options(bool rerank) => new(new SecretPath("bench"), new DerivationPath("model"), new TenantId("tenant"))
        {
            DeterministicSecretPath = new SecretPath("bench"),
            ExactReranking = rerank,
        };
        VectorStoreCollection<string, VeilDocument> Plain(DuckDbVectorStore store, string name) => store.GetCollection<string, VeilDocument>(name, definition);
        VectorStoreCollection<string, VeilDocument> Encrypted(DuckDbVectorStore store, string name, bool rerank = false) =>
            new EncryptingVectorStoreCollection<string, VeilDocument>(Plain(store, name), client, Options(rerank), definition);

        // Each ingest runs until the store is closed, which checkpoints: what the write-ahead log still holds is then in
        // the database file too, so every variant pays for the whole write. DuckDB gets the threads veil ingest gives it;
        // the queries below run with DuckDB's default (one per core), as veil search does.
        double Ingest(string name, Func<DuckDbVectorStore, VectorStoreCollection<string, VeilDocument>> open, bool metadata)
        {
            using (var store = new DuckDbVectorStore(file))
            {
                store.EnsureCollectionDeletedAsync(name).GetAwaiter().GetResult();
            }

            var stopwatch = Stopwatch.StartNew();
            using (var store = new DuckDbVectorStore(file, new DuckDbStoreOptions { Threads = IngestOptions.IngestDuckDbThreads }))
            {
                using VectorStoreCollection<string, VeilDocument> collection = open(store);
                collection.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
                for (int start = 0; start < rows; start += transactionRows)
                {
                    collection.UpsertAsync(Documents(vectors, dimensions, start, Math.Min(rows, start + transactionRows), metadata)).GetAwaiter().GetResult();
                }
            }

            return rows / stopwatch.Elapsed.TotalSeconds;
        }

        // Each round ingests every variant afresh, in rotating order, so that noise from the machine hits all three alike.
        var plainRates = new List<double>();
        var encryptedRates = new List<double>();
        var metadataRates = new List<double>();
        for (int round = 0; round < ingestRounds; round++)
        {
            progress.WriteLine($"bench: DuckDB ingest of {rows:N0} × {dimensions} (plaintext, encrypted, encrypted with metadata), round {round + 1} of {ingestRounds} …");
            for (int step = 0; step < 3; step++)
            {
                switch ((round + step) % 3)
                {
                    case 0:
                        plainRates.Add(Ingest("plain", store => Plain(store, "plain"), metadata: false));
                        break;
                    case 1:
                        encryptedRates.Add(Ingest("encrypted", store => Encrypted(store, "encrypted"), metadata: false));
                        break;
                    default:
                        metadataRates.Add(Ingest("metadata", store => Encrypted(store, "metadata"), metadata: true));
                        break;
                }
            }
        }

        using var queried = new DuckDbVectorStore(file);
        using VectorStoreCollection<string, VeilDocument> plain = Plain(queried, "plain");
        using VectorStoreCollection<string, VeilDocument> encrypted = Encrypted(queried, "encrypted");
        using VectorStoreCollection<string, VeilDocument> reranked = Encrypted(queried, "encrypted", rerank: true);

        // Only the two queried tables stay, so that both fit DuckDB's buffer pool alike.
        queried.EnsureCollectionDeletedAsync("metadata").GetAwaiter().GetResult();

        progress.WriteLine($"bench: DuckDB top-10 queries over {rows:N0} × {dimensions} (plaintext, encrypted, encrypted + re-ranking) …");
        _ = Query(plain, queryVectors[0]);
        _ = Query(encrypted, queryVectors[0]);
        _ = Query(reranked, queryVectors[0]);
        var plainTimes = new List<double>();
        var encryptedTimes = new List<double>();
        var rerankedTimes = new List<double>();
        for (int q = 0; q < queryVectors.Length; q++)
        {
            // The order rotates, so that no variant always runs right after another on the same (cache-warm) table.
            for (int step = 0; step < 3; step++)
            {
                switch ((q + step) % 3)
                {
                    case 0:
                        plainTimes.Add(Query(plain, queryVectors[q]));
                        break;
                    case 1:
                        encryptedTimes.Add(Query(encrypted, queryVectors[q]));
                        break;
                    default:
                        rerankedTimes.Add(Query(reranked, queryVectors[q]));
                        break;
                }
            }
        }

        return new StoreBenchResult(
            dimensions, rows, transactionRows, ingestRounds, Median(plainRates), Median(encryptedRates), Median(metadataRates), queries,
            Median(plainTimes), Median(encryptedTimes), Median(rerankedTimes), EncryptingCollectionOptions.DefaultRerankCandidates);
    }

    private static IEnumerable<VeilDocument> Documents(float[] vectors, int dimensions, int start, int end, bool metadata)
    {
        for (int r = start; r < end; r++)
        {
            yield return new VeilDocument
            {
                Id = "doc-" + r.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Category = metadata ? "category-" + (r % 20).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
                Fields = metadata ? $$"""{"text":"the text of document {{r}}, a sentence or two of metadata"}""" : null,
                Embedding = new ReadOnlyMemory<float>(vectors, r * dimensions, dimensions),
            };
        }
    }

    private static double Query(VectorStoreCollection<string, VeilDocument> collection, float[] query)
    {
        long start = Stopwatch.GetTimestamp();
        int count = 0;
        foreach (VectorSearchResult<VeilDocument> _ in collection.SearchAsync(query, 10).ToBlockingEnumerable())
        {
            count++;
        }

        double milliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return count == 10 ? milliseconds : throw new InvalidOperationException($"The top-10 query returned {count} results.");
    }

    private static void FillUnit(Random random, Span<float> vector)
    {
        double norm = 0;
        for (int i = 0; i < vector.Length; i++)
        {
            // A normal deviate (Box–Muller), so that the directions are uniform on the sphere.
            double u = 1.0 - random.NextDouble();
            double value = Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * random.NextDouble());
            vector[i] = (float)value;
            norm += value * value;
        }

        float scale = (float)(1.0 / Math.Sqrt(norm));
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] *= scale;
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}
