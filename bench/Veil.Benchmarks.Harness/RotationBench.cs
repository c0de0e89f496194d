using System.Diagnostics;
using System.Globalization;
using System.Text;
using Veil.Documents.Store;
using Veil.Keys;
using Veil.Stores.Postgres;

namespace Veil.Benchmarks.Harness;

/// <summary>The figures of one <see cref="RotationBench"/> run.</summary>
/// <param name="Rows">Rows rotated in all.</param>
/// <param name="Tenants">Collections (one tenant each) rotated in the run.</param>
/// <param name="BatchSize">Rows per transaction.</param>
/// <param name="RotateSeconds">Wall time of the rotation run, index builds included.</param>
/// <param name="IndexBuildSeconds">Of which the HNSW index builds after every collection was rewritten (wall time).</param>
/// <param name="MeanDrift">Mean relative L2 drift of the rotated vectors (on the sample measured).</param>
/// <param name="ParallelCollections">Collections rotated at once.</param>
/// <param name="ReadSeconds">Time the reading stages spent waiting for the store's pages, summed over the collections.</param>
/// <param name="ReencryptSeconds">Time the re-encryption stages spent on the client's crypto, summed.</param>
/// <param name="WriteSeconds">Time the writing stages spent in the store's upserts, summed.</param>
public sealed record RotationBenchResult(
    int Rows, int Tenants, int BatchSize, double RotateSeconds, double IndexBuildSeconds, double MeanDrift, int ParallelCollections, double ReadSeconds, double ReencryptSeconds, double WriteSeconds)
{
    /// <summary>Rows re-encrypted and written per second, index builds left out.</summary>
    public double RowsPerSecond => Rows / (RotateSeconds - IndexBuildSeconds);

    /// <summary>Rows per second, index builds included.</summary>
    public double RowsPerSecondWithIndex => Rows / RotateSeconds;
}

/// <summary>
/// <c>veil rotate</c> on PostgreSQL at scale: <see cref="RotationBench.Measure"/> ingests random 384-d documents (a
/// category and a title each) into several collections, one tenant each, under old secrets, promotes new secrets, and
/// times one <see cref="DocumentStore.RotateAsync(IReadOnlyList{RotationTarget}, VeilClient, int, int, IProgress{StoreProgress}?, CancellationToken)"/>
/// run over all of them. The collections are deleted at the end.
/// </summary>
public static class RotationBench
{
    private const int Dimensions = 384;

    /// <summary>Collections rotated at once unless the caller says otherwise.</summary>
    public const int DefaultParallelCollections = 2;

    /// <summary>Runs the measurement.</summary>
    /// <param name="connectionString">The PostgreSQL server.</param>
    /// <param name="rows">Rows in all, split evenly over the tenants.</param>
    /// <param name="tenants">Collections (tenants).</param>
    /// <param name="batchSize">Rows per rotation transaction.</param>
    /// <param name="parallelCollections">Collections rotated at once.</param>
    /// <param name="progress">Where progress lines go.</param>
    /// <returns>The figures.</returns>
    public static RotationBenchResult Measure(string connectionString, int rows, int tenants, int batchSize, int parallelCollections, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        using var keys = new Keys();
        string run = Guid.NewGuid().ToString("N")[..8];
        var location = new StoreLocation(StoreLocation.PostgresKind, connectionString);
        var targets = Enumerable.Range(0, tenants).Select(t => new RotationTarget($"veil_rotation_bench_{run}_{t}", new TenantId($"tenant-{t}"))).ToList();
        using DocumentStore store = DocumentStore.Open(location, mustExist: false);
        try
        {
            int perTenant = rows / tenants;
            var random = new Random(20261205);
            foreach (RotationTarget target in targets)
            {
                progress.WriteLine(Line($"rotation: ingesting {perTenant:N0} documents for {target.Tenant} …"));
                Ingest(store, target, perTenant, keys.Before, random);
            }

            progress.WriteLine(Line($"rotation: rotating {targets.Count} collections, {parallelCollections} at a time, {perTenant * tenants:N0} rows, batches of {batchSize:N0} …"));
            long start = Stopwatch.GetTimestamp();
            long lastReport = start;
            var rewritten = new LastReport(report =>
            {
                long now = Stopwatch.GetTimestamp();
                Interlocked.Exchange(ref lastReport, now);
                if (report.Done == report.Total && report.Total == perTenant * tenants)
                {
                    progress.WriteLine(Line($"rotation: {report.Done:N0} rows re-encrypted and written in {Stopwatch.GetElapsedTime(start, now).TotalSeconds:F1} s; building the HNSW indexes …"));
                }
            });
            IReadOnlyList<(RotationTarget Target, RotationSummary Summary)> results = store.RotateAsync(targets, keys.Promoted, batchSize, parallelCollections, rewritten).GetAwaiter().GetResult();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

            // The indexes are built after every collection is rewritten, so the last progress report ends the rewrite.
            double rewriteSeconds = Stopwatch.GetElapsedTime(start, Interlocked.Read(ref lastReport)).TotalSeconds;
            long rotated = results.Sum(r => r.Summary.Rotated);
            if (rotated != perTenant * tenants || results.Any(r => r.Summary.Failed != 0))
            {
                throw new InvalidOperationException($"The rotation rotated {rotated} rows of {perTenant * tenants}.");
            }

            return new RotationBenchResult(
                (int)rotated,
                tenants,
                batchSize,
                seconds,
                seconds - rewriteSeconds,
                results.Average(r => r.Summary.MeanDrift),
                parallelCollections,
                results.Sum(r => r.Summary.ReadTime.TotalSeconds),
                results.Sum(r => r.Summary.ReencryptTime.TotalSeconds),
                results.Sum(r => r.Summary.WriteTime.TotalSeconds));
        }
        finally
        {
            foreach (RotationTarget target in targets)
            {
                store.DeleteAsync(target.Collection, CancellationToken.None).GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>Writes <paramref name="result"/> as text.</summary>
    /// <param name="o">Where to write.</param>
    /// <param name="result">The figures.</param>
    public static void Write(TextWriter o, RotationBenchResult result)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(result);
        o.WriteLine(Line($"rotation (veil rotate's library call) of {result.Rows:N0} × {Dimensions} documents in {result.Tenants} collections (one tenant each), one run, batches of {result.BatchSize:N0}:"));
        o.WriteLine(Line($"  {result.RowsPerSecond:N0} rows/s re-encrypted and written ({result.RotateSeconds - result.IndexBuildSeconds:F1} s, {result.ParallelCollections} collections at a time), then HNSW rebuilds {result.IndexBuildSeconds:F1} s: {result.RowsPerSecondWithIndex:N0} rows/s overall; mean drift {result.MeanDrift:E2}"));
        o.WriteLine(Line($"  stage time summed over the collections (the stages overlap): reading {result.ReadSeconds:F1} s, re-encrypting {result.ReencryptSeconds:F1} s, writing {result.WriteSeconds:F1} s"));
    }

    /// <summary>
    /// Creates the collection, drops its HNSW index for the load, then ingests through
    /// <see cref="DocumentStore.IngestAsync"/> (JSON Lines, encrypted with the old secrets); builds the index after the
    /// load only when the rotation will keep it (fewer than <see cref="StoreRotation.BulkRows"/> rows).
    /// </summary>
    private static void Ingest(DocumentStore store, RotationTarget target, int rows, VeilClient client, Random random)
    {
        var manifest = new CollectionManifest { Name = target.Collection, Dimensions = Dimensions, VectorSecretPath = Keys.SecretPath, VectorDerivationPath = "bench" };
        store.DeleteAsync(target.Collection, CancellationToken.None).GetAwaiter().GetResult();
        store.CreateAsync(manifest, target.Tenant, CancellationToken.None).GetAwaiter().GetResult();
        using var table = (PostgresCollection<string, VeilDocument>)store.Plain(target.Collection, Dimensions);
        table.DropIndexesAsync().GetAwaiter().GetResult();
        var text = new StringBuilder();
        for (int r = 0; r < rows; r++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"id\":\"{r:D9}\",\"category\":\"c{r % 20}\",\"title\":\"document {r}\",\"vector\":[");
            for (int i = 0; i < Dimensions; i++)
            {
                text.Append(i == 0 ? "" : ",").Append(((random.NextSingle() * 2) - 1).ToString("F4", CultureInfo.InvariantCulture));
            }

            text.Append("]}\n");
        }

        store.IngestAsync(DocumentInput.JsonLines(new StringReader(text.ToString())), new IngestOptions(target.Collection, target.Tenant) { BatchSize = 5_000 }, client)
            .GetAwaiter().GetResult();
        if (rows < StoreRotation.BulkRows)
        {
            // A rotation of this few rows keeps the index and updates it row by row; from BulkRows on it drops the index
            // as its first step, so building it here would only lengthen the benchmark.
            table.CreateIndexesAsync().GetAwaiter().GetResult();
        }
    }

    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Calls <paramref name="reported"/> on every report, synchronously (no synchronisation context to post to).</summary>
    private sealed class LastReport(Action<StoreProgress> reported) : IProgress<StoreProgress>
    {
        public void Report(StoreProgress value) => reported(value);
    }

    /// <summary>Old secrets (ids 1 and 11) and the promoted configuration (new 2 and 10 current, the old in rotation).</summary>
    private sealed class Keys : IDisposable
    {
        public const string SecretPath = "p";

        private readonly Secret[] _secrets = [Secret.Generate(), Secret.Generate(), Secret.Generate(), Secret.Generate()];

        public Keys()
        {
            var oldId = new IdentifiedSecret(new KeyId(1), _secrets[0]);
            var newId = new IdentifiedSecret(new KeyId(2), _secrets[1]);
            var oldStandard = new IdentifiedSecret(new KeyId(11), _secrets[2]);
            var newStandard = new IdentifiedSecret(new KeyId(10), _secrets[3]);
            Before = Create(new RotatableSecret(oldId), new StandardSecrets(new KeyId(11), [oldStandard]));
            Promoted = Create(new RotatableSecret(newId, oldId), new StandardSecrets(new KeyId(10), [newStandard, oldStandard]));
        }

        public VeilClient Before { get; }

        public VeilClient Promoted { get; }

        public void Dispose()
        {
            Before.Dispose();
            Promoted.Dispose();
            foreach (Secret secret in _secrets)
            {
                secret.Dispose();
            }
        }

        private static VeilClient Create(RotatableSecret secrets, StandardSecrets standard) => new(new VeilConfiguration(
            vector: new Dictionary<SecretPath, VectorSecret> { [new SecretPath(SecretPath)] = new VectorSecret(2.5f, secrets) },
            deterministic: new Dictionary<SecretPath, RotatableSecret> { [new SecretPath(SecretPath)] = secrets },
            standard: standard));
    }
}
