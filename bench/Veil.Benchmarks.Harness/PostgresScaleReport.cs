using System.Globalization;

namespace Veil.Benchmarks.Harness;

/// <summary>The text report of <see cref="PostgresScaleBench"/>.</summary>
public static class PostgresScaleReport
{
    /// <summary>Writes <paramref name="result"/> as aligned text.</summary>
    /// <param name="o">Where to write.</param>
    /// <param name="result">The figures.</param>
    public static void Write(TextWriter o, PostgresScaleResult result)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(result);
        PostgresScaleOptions options = result.Options;
        o.WriteLine(BenchReport.Environment());
        o.WriteLine(result.Server);
        o.WriteLine(Line($"PostgreSQL + pgvector at scale: {options.Rows:N0} × {options.Dimensions} per table, encrypted (DCPE, β = 2.5, through the encrypting decorator) beside plaintext, one run."));
        o.WriteLine(Line($"data: normalise(c + σ·u·g/√d) around {result.Centres:N0} real embeddings c, σ = {options.Noise}, u ~ U(0,1), g ~ N(0, I), seed {options.Seed}; {options.Queries} held-out queries drawn alike (seed {options.Seed + 1})."));
        o.WriteLine();
        o.WriteLine(Line($"ingest (binary COPY, {options.BatchRows:N0} rows per transaction, HNSW deferred, batches alternating):"));
        o.WriteLine(Line($"  plaintext {result.PlaintextIngest.RowsPerSecond,10:N0} rows/s   encrypted {result.EncryptedIngest.RowsPerSecond,10:N0} rows/s   ratio {result.IngestRatio:F2}×"));
        o.WriteLine(Line($"  client CPU: plaintext {result.PlaintextIngest.ClientCpuSeconds:F2} s, encrypted {result.EncryptedIngest.ClientCpuSeconds:F2} s; GC pauses: plaintext {result.PlaintextIngest.GcPauseSeconds:F2} s, encrypted {result.EncryptedIngest.GcPauseSeconds:F2} s"));
        o.WriteLine(Line($"HNSW build after the load (m = 16, ef_construction = 64): plaintext {result.PlaintextBuildSeconds:F1} s, encrypted {result.EncryptedBuildSeconds:F1} s"));
        if (result.IndexOrderLoadThenBuildSeconds is { } loadThenBuild && result.IndexOrderIndexedLoadSeconds is { } indexedLoad)
        {
            o.WriteLine(Line($"index order over {Math.Min(options.IndexOrderRows, options.Rows):N0} plaintext rows: load then build {loadThenBuild:F1} s, load into an indexed table {indexedLoad:F1} s ({indexedLoad / loadThenBuild:F1}× longer)"));
        }

        o.WriteLine();
        o.WriteLine("top-10 queries (client side, end to end; recall@10 against exact plaintext search):");
        o.WriteLine("  ef_search  store ef   variant                     K′     p50 ms    p99 ms   p50 / plaintext   recall@10");
        foreach (IGrouping<int, ScaleQueryRow> group in result.Queries.GroupBy(r => r.EfSearch))
        {
            double plainP50 = group.First(r => r.Variant == "plaintext").P50Milliseconds;
            foreach (ScaleQueryRow row in group)
            {
                string k = row.RerankCandidates?.ToString(CultureInfo.InvariantCulture) ?? "-";
                o.WriteLine(Line($"  {row.EfSearch,9} {row.StoreEfSearch,9}   {row.Variant,-24} {k,5} {row.P50Milliseconds,10:F2} {row.P99Milliseconds,9:F2} {row.P50Milliseconds / plainP50,16:F2}× {row.RecallAt10,11:F3}"));
            }
        }

        o.WriteLine();
        o.WriteLine(Line($"data generated in {result.GenerateSeconds:F1} s; exact ground truth ({options.Queries} queries × {options.Rows:N0} rows, in-process) in {result.GroundTruthSeconds:F1} s."));
    }

    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
