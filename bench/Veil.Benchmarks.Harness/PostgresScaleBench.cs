using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store;
using Veil.Extensions.VectorData;
using Veil.Keys;
using Veil.Stores.Postgres;

namespace Veil.Benchmarks.Harness;

/// <summary>What <see cref="PostgresScaleBench"/> measures and on what.</summary>
/// <param name="ConnectionString">The PostgreSQL server (with pgvector) to measure; the benchmark's tables are dropped at the end.</param>
/// <param name="Rows">Rows loaded into each of the two tables (plaintext and encrypted).</param>
/// <param name="CentresPath">The centres: little-endian float32 rows of 384, no header (real embeddings).</param>
public sealed record PostgresScaleOptions(string ConnectionString, int Rows, string CentresPath)
{
    /// <summary>Gets the dimension (the centres').</summary>
    public int Dimensions { get; init; } = BenchReport.StoreDimensions;

    /// <summary>Gets σ, the largest perturbation length around a centre.</summary>
    public float Noise { get; init; } = 0.4f;

    /// <summary>Gets the rows' seed (the queries use seed + 1).</summary>
    public int Seed { get; init; } = 20261205;

    /// <summary>Gets the top-10 queries per variant (also the ground-truth sample).</summary>
    public int Queries { get; init; } = 200;

    /// <summary>
    /// Gets the rows per upsert (one transaction, through binary COPY): by default <c>veil ingest</c>'s transaction size.
    /// Each upsert starts with the server idle until its first round is read (encrypted: ~50 ms) and ends with the client
    /// idle while its last round is written, so the size sets how much of a load those two ends take.
    /// </summary>
    public int BatchRows { get; init; } = IngestOptions.DefaultBatchSize;

    /// <summary>Gets the ef_search values measured.</summary>
    public IReadOnlyList<int> EfSearch { get; init; } = [100, 200];

    /// <summary>Gets the K′ values of the re-ranked encrypted search.</summary>
    public IReadOnlyList<int> RerankCandidates { get; init; } = [100, 200];

    /// <summary>Gets the rows of the index-order comparison (build after the load against an index maintained during it); 0 skips it.</summary>
    public int IndexOrderRows { get; init; } = 10_000;
}

/// <summary>One row of the query table: a variant at one ef_search.</summary>
/// <param name="EfSearch">The ef_search asked for.</param>
/// <param name="StoreEfSearch">The ef_search the store ran with (raised to the rows fetched when smaller).</param>
/// <param name="Variant">plaintext, encrypted (DCPE order) or encrypted + re-ranking.</param>
/// <param name="RerankCandidates">K′ for a re-ranked variant, else null.</param>
/// <param name="P50Milliseconds">Median query time (client side, end to end).</param>
/// <param name="P99Milliseconds">99th percentile query time.</param>
/// <param name="RecallAt10">Mean recall@10 against exact plaintext search.</param>
public sealed record ScaleQueryRow(int EfSearch, int StoreEfSearch, string Variant, int? RerankCandidates, double P50Milliseconds, double P99Milliseconds, double RecallAt10);

/// <summary>The figures of one <see cref="PostgresScaleBench"/> run.</summary>
public sealed record PostgresScaleResult(
    PostgresScaleOptions Options,
    int Centres,
    string Server,
    double GenerateSeconds,
    double GroundTruthSeconds,
    IngestCost PlaintextIngest,
    IngestCost EncryptedIngest,
    double PlaintextBuildSeconds,
    double EncryptedBuildSeconds,
    double? IndexOrderLoadThenBuildSeconds,
    double? IndexOrderIndexedLoadSeconds,
    IReadOnlyList<ScaleQueryRow> Queries)
{
    /// <summary>Encrypted over plaintext ingest throughput.</summary>
    public double IngestRatio => EncryptedIngest.RowsPerSecond / PlaintextIngest.RowsPerSecond;
}

/// <summary>What loading one table cost, summed over its batches.</summary>
/// <param name="RowsPerSecond">Rows loaded per second of the batches' wall time.</param>
/// <param name="ClientCpuSeconds">CPU time of this process (every thread: encryption, COPY writing, collections) during the batches.</param>
/// <param name="GcPauseSeconds">Time this process was paused for garbage collection during the batches.</param>
public sealed record IngestCost(double RowsPerSecond, double ClientCpuSeconds, double GcPauseSeconds);

/// <summary>
/// The PostgreSQL + pgvector store at scale, encrypted beside plaintext in one run: the same generated rows
/// (<see cref="ScaleData"/>) are loaded into a plaintext table and, through Veil's encrypting decorator (DCPE at β =
/// 2.5, the default), into an encrypted one, batch by batch in alternating order (binary COPY, HNSW deferred); then
/// each table's HNSW index is built; then top-10 queries run at each ef_search, interleaved across the variants, and
/// their results are scored against exact plaintext search computed in-process.
/// </summary>
public static class PostgresScaleBench
{
    // One run's tables are its own (a suffix per run), so that two runs on one server never drop each other's tables.
    private static readonly string s_run = Guid.NewGuid().ToString("N")[..8];
    private static readonly string s_plainTable = "veil_scale_plain_" + s_run;
    private static readonly string s_encryptedTable = "veil_scale_encrypted_" + s_run;
    private static readonly string s_orderTable = "veil_scale_order_" + s_run;
    private const int Top = 10;
    private const int WarmUpQueries = 20;

    /// <summary>Runs the benchmark.</summary>
    /// <param name="options">What to measure.</param>
    /// <param name="progress">Where progress lines go.</param>
    /// <returns>The figures.</returns>
    public static PostgresScaleResult Measure(PostgresScaleOptions options, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        int d = options.Dimensions;
        float[] centres = ScaleData.ReadCentres(options.CentresPath, d);
        long start = Stopwatch.GetTimestamp();
        ScaleData data = ScaleData.Generate(centres, d, options.Rows, options.Noise, options.Seed);
        float[][] queries = ScaleData.Queries(centres, d, options.Queries, options.Noise, options.Seed + 1);
        double generateSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        progress.WriteLine(Line($"scale: {options.Rows:N0} × {d} rows around {centres.Length / d:N0} centres generated in {generateSeconds:F1} s; exact top-{Top} of {queries.Length} queries …"));
        start = Stopwatch.GetTimestamp();
        int[][] truth = data.ExactNearest(queries, Top);
        double truthSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        using var keys = new BenchKeys();
        VeilClient client = keys.Client;
        using var store = new PostgresVectorStore(options.ConnectionString);
        VectorStoreCollectionDefinition definition = VeilDocument.Definition(d);
        PostgresCollection<string, VeilDocument> Table(string name) =>
            store.GetCollection<string, VeilDocument>(name, new PostgresCollectionOptions { Definition = definition, DeferIndexCreation = true });
        EncryptingVectorStoreCollection<string, VeilDocument> Encrypted(VectorStoreCollection<string, VeilDocument> inner, int rerank)
        {
            var encrypting = new EncryptingCollectionOptions(new SecretPath("bench"), new DerivationPath("model"), new TenantId("tenant"))
            {
                DeterministicSecretPath = new SecretPath("bench"),
                ExactReranking = rerank > 0,
                RerankCandidates = Math.Max(1, rerank),
            };

            // As veil ingest opens a PostgreSQL collection.
            DocumentStore.UsePostgresUpsertPipeline(encrypting);
            return new(inner, client, encrypting, definition);
        }

        using PostgresCollection<string, VeilDocument> plain = Table(s_plainTable);
        using PostgresCollection<string, VeilDocument> encryptedInner = Table(s_encryptedTable);
        using PostgresCollection<string, VeilDocument> order = Table(s_orderTable);
        string server = ServerVersion(store);
        try
        {
            (double? loadThenBuild, double? indexedLoad) = options.IndexOrderRows > 0
                ? CompareIndexOrder(store, definition, data, Math.Min(options.IndexOrderRows, options.Rows), options.BatchRows, progress)
                : (null, null);

            using EncryptingVectorStoreCollection<string, VeilDocument> encryptedLoader = Encrypted(encryptedInner, 0);
            (IngestCost plainIngest, IngestCost encryptedIngest) = Ingest(plain, encryptedLoader, data, options.BatchRows, progress);

            progress.WriteLine(Line($"scale: building the HNSW indexes (m = 16, ef_construction = 64) …"));
            double plainBuild = Time(() => plain.CreateIndexesAsync().GetAwaiter().GetResult());
            progress.WriteLine(Line($"scale: plaintext index built in {plainBuild:F1} s"));
            double encryptedBuild = Time(() => encryptedInner.CreateIndexesAsync().GetAwaiter().GetResult());
            progress.WriteLine(Line($"scale: encrypted index built in {encryptedBuild:F1} s"));
            Analyze(store);

            var rows = new List<ScaleQueryRow>();
            foreach (int ef in options.EfSearch)
            {
                progress.WriteLine(Line($"scale: top-{Top} queries at ef_search {ef} …"));
                rows.AddRange(QueryAt(ef, plain, k => Encrypted(encryptedInner, k), options.RerankCandidates, queries, truth));
            }

            return new PostgresScaleResult(
                options, centres.Length / d, server, generateSeconds, truthSeconds, plainIngest, encryptedIngest, plainBuild, encryptedBuild, loadThenBuild, indexedLoad, rows);
        }
        finally
        {
            foreach (PostgresCollection<string, VeilDocument> table in new[] { plain, encryptedInner, order })
            {
                table.EnsureCollectionDeletedAsync().GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>Loads the rows into both tables, alternating which goes first per batch; what each load cost.</summary>
    private static (IngestCost Plain, IngestCost Encrypted) Ingest(
        PostgresCollection<string, VeilDocument> plain, VectorStoreCollection<string, VeilDocument> encrypted, ScaleData data, int batchRows, TextWriter progress)
    {
        foreach (VectorStoreCollection<string, VeilDocument> table in new[] { plain, encrypted })
        {
            table.EnsureCollectionDeletedAsync().GetAwaiter().GetResult();
            table.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
        }

        var plainCost = new Cost();
        var encryptedCost = new Cost();
        int batch = 0;
        for (int first = 0; first < data.Rows; first += batchRows, batch++)
        {
            int end = Math.Min(data.Rows, first + batchRows);
            for (int step = 0; step < 2; step++)
            {
                if ((batch + step) % 2 == 0)
                {
                    plainCost.Add(() => plain.UpsertAsync(Documents(data, first, end)).GetAwaiter().GetResult());
                }
                else
                {
                    encryptedCost.Add(() => encrypted.UpsertAsync(Documents(data, first, end)).GetAwaiter().GetResult());
                }
            }

            if (batch % 10 == 9 || end == data.Rows)
            {
                progress.WriteLine(Line($"scale: loaded {end:N0} of {data.Rows:N0} rows into each table ({end / plainCost.Seconds:N0} plaintext, {end / encryptedCost.Seconds:N0} encrypted rows/s)"));
            }
        }

        (IngestCost plainResult, IngestCost encryptedResult) = (plainCost.Result(data.Rows), encryptedCost.Result(data.Rows));
        progress.WriteLine(Line($"scale: ingest client CPU {plainResult.ClientCpuSeconds:F2} s plaintext, {encryptedResult.ClientCpuSeconds:F2} s encrypted; GC pauses {plainResult.GcPauseSeconds:F2} s, {encryptedResult.GcPauseSeconds:F2} s"));
        return (plainResult, encryptedResult);
    }

    /// <summary>
    /// The plaintext load of <paramref name="rows"/> rows timed two ways: into a bare table then an index build, and
    /// into a table whose HNSW index exists from the start.
    /// </summary>
    private static (double? LoadThenBuild, double? IndexedLoad) CompareIndexOrder(
        PostgresVectorStore store, VectorStoreCollectionDefinition definition, ScaleData data, int rows, int batchRows, TextWriter progress)
    {
        progress.WriteLine(Line($"scale: index order over {rows:N0} rows (load then build, against load into an indexed table) …"));
        double Load(bool deferIndex)
        {
            using PostgresCollection<string, VeilDocument> table = store.GetCollection<string, VeilDocument>(
                s_orderTable, new PostgresCollectionOptions { Definition = definition, DeferIndexCreation = deferIndex });
            table.EnsureCollectionDeletedAsync().GetAwaiter().GetResult();
            return Time(() =>
            {
                table.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
                for (int first = 0; first < rows; first += batchRows)
                {
                    table.UpsertAsync(Documents(data, first, Math.Min(rows, first + batchRows))).GetAwaiter().GetResult();
                }

                table.CreateIndexesAsync().GetAwaiter().GetResult();
            });
        }

        double loadThenBuild = Load(deferIndex: true);
        double indexedLoad = Load(deferIndex: false);
        progress.WriteLine(Line($"scale: load then build {loadThenBuild:F1} s, indexed load {indexedLoad:F1} s"));
        return (loadThenBuild, indexedLoad);
    }

    /// <summary>The variants at one ef_search, queried in rotating order, each scored against the exact neighbours.</summary>
    private static List<ScaleQueryRow> QueryAt(
        int ef,
        PostgresCollection<string, VeilDocument> plain,
        Func<int, EncryptingVectorStoreCollection<string, VeilDocument>> encrypted,
        IReadOnlyList<int> rerankCandidates,
        float[][] queries,
        int[][] truth)
    {
        var variants = new List<(string Name, int? K, int StoreEf, VectorStoreCollection<string, VeilDocument> Collection)>
        {
            ("plaintext", null, Math.Max(ef, Top), plain),
            ("encrypted", null, Math.Max(ef, Top), encrypted(0)),
        };
        variants.AddRange(rerankCandidates.Select(k => ("encrypted + re-ranking", (int?)k, Math.Max(ef, k), (VectorStoreCollection<string, VeilDocument>)encrypted(k))));
        try
        {
            var options = new PostgresVectorSearchOptions<VeilDocument> { EfSearch = ef };
            // Warm-up: the table built first is colder in the caches than the one built last (at 5·10⁵ rows one warm-up
            // query each left the plaintext table's first timed block 5× slower than the encrypted one's).
            foreach (float[] query in queries.Take(WarmUpQueries))
            {
                foreach (var variant in variants)
                {
                    _ = Search(variant.Collection, query, options);
                }
            }

            var times = variants.Select(_ => new List<double>()).ToArray();
            var recall = new double[variants.Count];
            for (int q = 0; q < queries.Length; q++)
            {
                for (int step = 0; step < variants.Count; step++)
                {
                    int v = (q + step) % variants.Count;
                    long start = Stopwatch.GetTimestamp();
                    List<string> ids = Search(variants[v].Collection, queries[q], options);
                    times[v].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    recall[v] += ids.Select(RowOf).Intersect(truth[q]).Count() / (double)truth[q].Length;
                }
            }

            return variants.Select((variant, v) => new ScaleQueryRow(
                ef, variant.StoreEf, variant.Name, variant.K, Percentile(times[v], 0.50), Percentile(times[v], 0.99), recall[v] / queries.Length)).ToList();
        }
        finally
        {
            foreach (var variant in variants.Skip(1))
            {
                variant.Collection.Dispose();
            }
        }
    }

    private static List<string> Search(VectorStoreCollection<string, VeilDocument> collection, float[] query, VectorSearchOptions<VeilDocument> options)
    {
        var ids = new List<string>(Top);
        foreach (VectorSearchResult<VeilDocument> result in collection.SearchAsync(new ReadOnlyMemory<float>(query), Top, options).ToBlockingEnumerable())
        {
            ids.Add(result.Record.Id);
        }

        return ids.Count == Top ? ids : throw new InvalidOperationException($"A top-{Top} query returned {ids.Count} rows.");
    }

    private static IEnumerable<VeilDocument> Documents(ScaleData data, int first, int end)
    {
        for (int r = first; r < end; r++)
        {
            yield return new VeilDocument { Id = r.ToString("D9", CultureInfo.InvariantCulture), Embedding = data.Row(r) };
        }
    }

    private static int RowOf(string id) => int.Parse(id, NumberStyles.None, CultureInfo.InvariantCulture);

    private static string ServerVersion(PostgresVectorStore store)
    {
        using var command = store.DataSource.CreateCommand("SELECT version() || ', pgvector ' || (SELECT extversion FROM pg_extension WHERE extname = 'vector')");
        return (string)command.ExecuteScalar()!;
    }

    private static void Analyze(PostgresVectorStore store)
    {
        using var command = store.DataSource.CreateCommand($"ANALYZE {s_plainTable}; ANALYZE {s_encryptedTable}");
        command.ExecuteNonQuery();
    }

    /// <summary>Wall time, this process's CPU time and its GC pauses, summed over the actions timed.</summary>
    private sealed class Cost
    {
        private double _cpu;
        private TimeSpan _pauses;

        public double Seconds { get; private set; }

        public void Add(Action action)
        {
            TimeSpan cpu = ProcessCpu.Now();
            TimeSpan pauses = GC.GetTotalPauseDuration();
            Seconds += Time(action);
            _cpu += (ProcessCpu.Now() - cpu).TotalSeconds;
            _pauses += GC.GetTotalPauseDuration() - pauses;
        }

        public IngestCost Result(int rows) => new(rows / Seconds, _cpu, _pauses.TotalSeconds);
    }

    private static double Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The benchmarks' keys: fixed, public test secrets (β = 2.5, Veil's default), disposed together.</summary>
internal sealed class BenchKeys : IDisposable
{
    private readonly Secret[] _secrets =
    [
        new Secret(Enumerable.Range(0, 64).Select(i => unchecked((byte)(i * 7))).ToArray()),
        new Secret(Enumerable.Range(0, 32).Select(i => unchecked((byte)(i * 11))).ToArray()),
        new Secret(Enumerable.Range(0, 32).Select(i => unchecked((byte)(i * 13))).ToArray()),
    ];

    public BenchKeys()
    {
        Client = new VeilClient(new VeilConfiguration(
            vector: new Dictionary<SecretPath, VectorSecret>
            {
                [new SecretPath("bench")] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), _secrets[0]))),
            },
            deterministic: new Dictionary<SecretPath, RotatableSecret>
            {
                [new SecretPath("bench")] = new RotatableSecret(new IdentifiedSecret(new KeyId(1), _secrets[1])),
            },
            standard: new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), _secrets[2])])));
    }

    /// <summary>Gets the client over the secrets.</summary>
    public VeilClient Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        foreach (Secret secret in _secrets)
        {
            secret.Dispose();
        }
    }
}
