using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store;
using Veil.Keys;
using Veil.Sealed;
using Veil.Stores.Postgres;

namespace Veil.Benchmarks.Harness;

/// <summary>The sealed mode over PostgreSQL at scale, from one run against one throw-away table.</summary>
public sealed record SealedPostgresBenchResult(
    string Source,
    int Dimensions,
    int Rows,
    double DurableVectorsPerSecond,
    double IngestSeconds,
    double StoreWriteSeconds,
    double IndexedSeconds,
    long IndexBytes,
    long GraphBytes,
    int Queries,
    SealedQueryPass Default,
    SealedQueryPass Wider,
    IReadOnlyList<SealedQueryPass> Sweep)
{
    /// <summary>Rows per second until the graph held every row.</summary>
    public double IndexedVectorsPerSecond => Rows / IndexedSeconds;
}

/// <summary>
/// One pass of top-10 queries, the key holder fetching <paramref name="Candidates"/> (K′) rows by key for each, its
/// graph searched with a beam of <paramref name="EfSearch"/>.
/// </summary>
public sealed record SealedQueryPass(
    int Candidates, int EfSearch, double P50Milliseconds, double P99Milliseconds, double StoreReadMilliseconds, double RowsFetchedPerQuery, double BytesReadPerQuery, double RecallAt10);

/// <summary>
/// <c>veil bench --sealed --postgres</c>: seals n vectors into a PostgreSQL table (batches of 50 000, one upsert
/// each, through the binary COPY path; the table keeps its rows out of TOAST as sealed collections do), waits until the
/// key holder's graph holds them all, then runs top-10 queries one at a time: p50/p99 latency, rows and bytes the store
/// returns per query (at the default K′, then at twice it, as <see cref="SealedCollectionOptions.Candidates"/> would), recall@10 against exact search over the same vectors in memory, and the index's memory (managed
/// heap after a full collection, the vectors kept for the ground truth excluded). With a corpus, the queries are corpus
/// rows held out of the tiling (their own noisy copies are not stored).
/// </summary>
public static class SealedPostgresBench
{
    private const int Batch = 50_000;

    /// <summary>Runs the measurement; the table (veil_sealed_bench_*) is dropped at the end.</summary>
    /// <param name="connectionString">The PostgreSQL server.</param>
    /// <param name="corpus">Real embeddings to tile the rows from; null for random unit vectors.</param>
    /// <param name="dimensions">The vector dimension.</param>
    /// <param name="rows">Rows stored.</param>
    /// <param name="queries">Top-10 queries per pass.</param>
    /// <param name="efSearches">Beam widths of the query-time sweep at the default K′, after the two default passes (one graph, the same queries).</param>
    /// <param name="progress">Where progress lines go.</param>
    public static SealedPostgresBenchResult Measure(string connectionString, string? corpus, int dimensions, int rows, int queries, IReadOnlyList<int> efSearches, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(efSearches);
        ArgumentNullException.ThrowIfNull(progress);
        float[][]? real = corpus is null ? null : SealedBench.ReadRows(corpus, dimensions);
        long start = Stopwatch.GetTimestamp();
        float[][] queryVectors;
        float[][] data;
        if (real is null)
        {
            var random = new Random(20261205);
            data = SealedBench.Sample(null, dimensions, rows, random);
            queryVectors = SealedBench.Sample(null, dimensions, queries, random);
        }
        else
        {
            (data, queryVectors) = TiledWithHeldOutQueries(real, rows, queries);
        }

        real = null;
        progress.WriteLine($"bench: {rows:N0} × {dimensions} sampled in {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s{LoadAverage()}; exact top-10 of {queries} queries …");
        int[][] truth = ExactTop10(data, queryVectors);

        using var secret = new Secret(Enumerable.Range(0, 32).Select(i => unchecked((byte)(i * 13))).ToArray());
        using var keys = new SealedKeyring(new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), secret)]), new TenantId("bench"));
        VectorStoreCollectionDefinition definition = VeilDocument.SealedDefinition(dimensions);
        var options = new SealedCollectionOptions { Definition = definition, Index = new SealedIndexOptions { Seed = 7 } };
        string table = $"veil_sealed_bench_{Guid.NewGuid():N}"[..32];
        using var store = new PostgresVectorStore(connectionString);
        var metered = new SealedBench.MeteredCollection(store.GetCollection<string, VeilDocument>(table, new PostgresCollectionOptions { Definition = definition, ToastTupleTarget = PostgresCollectionOptions.MaxToastTupleTarget }));
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        using var collection = new SealedVectorStoreCollection<string, VeilDocument>(metered, keys, new InMemorySealedIndexStorage(), options);
        try
        {
            collection.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
            progress.WriteLine($"bench: sealed PostgreSQL ingest of {rows:N0} × {dimensions} in batches of {Batch:N0} …");
            start = Stopwatch.GetTimestamp();
            for (int first = 0; first < rows; first += Batch)
            {
                int end = Math.Min(rows, first + Batch);
                collection.UpsertAsync(Enumerable.Range(first, end - first).Select(r => new VeilDocument { Id = "doc-" + r.ToString(System.Globalization.CultureInfo.InvariantCulture), Embedding = data[r] }))
                    .GetAwaiter().GetResult();
                if (end % 100_000 == 0)
                {
                    progress.WriteLine($"bench: {end:N0} rows durable after {Stopwatch.GetElapsedTime(start).TotalSeconds:F0} s");
                }
            }

            double ingestSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            progress.WriteLine($"bench: rows durable in {ingestSeconds:F1} s ({metered.WriteSeconds:F1} s in the store's upserts){LoadAverage()}; waiting for the graph …");
            collection.WaitForIndexingAsync().GetAwaiter().GetResult();
            double indexedSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            long indexBytes = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
            long graphBytes = collection.IndexStatistics?.GraphBytes ?? 0;

            progress.WriteLine($"bench: graph built after {indexedSeconds:F1} s{LoadAverage()}; {queries} top-10 queries at K′ = {options.Candidates}, then at K′ = {2 * options.Candidates}, then at efSearch {string.Join(", ", efSearches)} …");
            _ = SealedBench.Query(collection, queryVectors[0]);
            SealedQueryPass Pass(int candidates, int? efSearch)
            {
                metered.Reset();
                var times = new List<double>(queries);
                double recall = 0;
                var searchOptions = new SealedVectorSearchOptions<VeilDocument> { EfSearch = efSearch };
                for (int q = 0; q < queries; q++)
                {
                    // Asking for the top K′ and keeping the first 10 fetches and ranks exactly what Candidates = K′ would.
                    (double ms, List<string> ids) = SealedBench.Query(collection, queryVectors[q], candidates, searchOptions);
                    times.Add(ms);
                    HashSet<string> exact = [.. truth[q].Select(r => "doc-" + r.ToString(System.Globalization.CultureInfo.InvariantCulture))];
                    recall += ids.Count(exact.Contains) / 10.0;
                }

                times.Sort();
                var pass = new SealedQueryPass(
                    candidates, Math.Max(candidates, efSearch ?? SealedIndexOptions.DefaultEfSearchFor(rows, candidates)), SealedBench.Median(times), times[Math.Min(times.Count - 1, (int)Math.Ceiling(0.99 * times.Count) - 1)],
                    metered.ReadSeconds * 1000 / queries, (double)metered.RowsRead / queries, (double)metered.BytesRead / queries, recall / queries);
                progress.WriteLine($"bench: K′ {pass.Candidates}, efSearch {pass.EfSearch}: recall@10 {pass.RecallAt10:F4}, p50 {pass.P50Milliseconds:F2} ms, p99 {pass.P99Milliseconds:F2} ms");
                return pass;
            }

            SealedQueryPass standard = Pass(options.Candidates, null);
            SealedQueryPass wider = Pass(2 * options.Candidates, null);
            List<SealedQueryPass> sweep = [.. efSearches.Select(ef => Pass(options.Candidates, ef))];
            progress.WriteLine($"bench: queries done{LoadAverage()}");
            return new SealedPostgresBenchResult(
                corpus is null ? "random unit vectors" : $"{Path.GetFileName(corpus)} tiled with noise, held-out queries", dimensions, rows, rows / ingestSeconds, ingestSeconds, metered.WriteSeconds, indexedSeconds,
                indexBytes, graphBytes, queries, standard, wider, sweep);
        }
        finally
        {
            collection.EnsureCollectionDeletedAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// The first <paramref name="queries"/> rows of a seeded shuffle of <paramref name="real"/> (normalised) as queries, and
    /// <paramref name="rows"/> noisy copies of the others as data: the queries' own copies are never stored.
    /// </summary>
    internal static (float[][] Data, float[][] Queries) TiledWithHeldOutQueries(float[][] real, int rows, int queries)
    {
        if (queries >= real.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(queries), $"The corpus has {real.Length} rows: fewer queries than that are held out.");
        }

        var random = new Random(20261205);
        int[] order = Enumerable.Range(0, real.Length).ToArray();
        random.Shuffle(order);
        float[][] queryVectors = [.. order[..queries].Select(r => Normalised(real[r]))];
        return (SealedBench.Sample([.. order[queries..].Select(r => real[r])], real[0].Length, rows, random), queryVectors);
    }

    private static float[] Normalised(float[] row)
    {
        var v = (float[])row.Clone();
        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
        return v;
    }

    /// <summary>"; load average …" from /proc/loadavg where there is one (the machine's load says how far the figures are from an idle run).</summary>
    private static string LoadAverage()
    {
        try
        {
            string[] parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"; load average {parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>The exact top 10 (by dot product of the unit vectors) of every query: one pass over the data, in parallel.</summary>
    internal static int[][] ExactTop10(float[][] data, float[][] queries)
    {
        int workers = Environment.ProcessorCount;
        var partial = new List<(float Score, int Row)>[workers][];
        Parallel.For(0, workers, w =>
        {
            var tops = new List<(float Score, int Row)>[queries.Length];
            for (int q = 0; q < queries.Length; q++)
            {
                tops[q] = new List<(float, int)>(11);
            }

            for (int r = w; r < data.Length; r += workers)
            {
                for (int q = 0; q < queries.Length; q++)
                {
                    float score = TensorPrimitives.Dot(data[r], queries[q]);
                    List<(float Score, int Row)> top = tops[q];
                    if (top.Count < 10 || score > top[^1].Score)
                    {
                        int at = top.FindIndex(t => t.Score < score);
                        top.Insert(at < 0 ? top.Count : at, (score, r));
                        if (top.Count > 10)
                        {
                            top.RemoveAt(10);
                        }
                    }
                }
            }

            partial[w] = tops;
        });
        return [.. Enumerable.Range(0, queries.Length).Select(q => partial.SelectMany(p => p[q]).OrderByDescending(t => t.Score).Take(10).Select(t => t.Row).ToArray())];
    }
}
