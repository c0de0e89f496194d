using System.Globalization;
using System.Text.Json;

namespace Veil.Benchmarks.Harness;

/// <summary>Writes a <see cref="SealedBenchResult"/> as a table or as JSON.</summary>
public static class SealedBenchReport
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Writes the figures as a table.</summary>
    public static void WriteTable(TextWriter output, SealedBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(r);
        IFormatProvider c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"Sealed mode on DuckDB: {r.Rows:N0} × {r.Dimensions} ({r.Source}), {r.Queries} top-10 queries, K′ = {r.Candidates}"));
        output.WriteLine(string.Create(c, $"  sealed ingest (rows durable) {r.SealedIngestVectorsPerSecond,12:N0} vectors/s   ({r.IngestSeconds:F2} s: store write with sealing overlapped {r.StoreWriteSeconds:F2} s, checks + log + queue {r.OtherSeconds:F2} s; sealing alone {r.SealSeconds:F2} s; searchable at once)"));
        output.WriteLine(string.Create(c, $"  sealed ingest (graph built)  {r.IndexedVectorsPerSecond,12:N0} vectors/s   ({r.IndexedSeconds:F1} s from the start until the background insertion had every row in the graph)"));
        output.WriteLine(string.Create(c, $"  plaintext ingest             {r.PlaintextIngestVectorsPerSecond,12:N0} vectors/s"));
        output.WriteLine(string.Create(c, $"  ingest CPU time (all threads) {r.IngestCpuSeconds,11:F2} s sealed (the upsert call), {r.PlaintextIngestCpuSeconds:F2} s plaintext (open, upsert, close)"));
        output.WriteLine(string.Create(c, $"  sealed snapshot              {r.SnapshotBytes / 1e6,12:F1} MB        (written in {r.SnapshotSeconds:F1} s, loaded by a new instance in {r.LoadSeconds:F1} s)"));
        output.WriteLine(string.Create(c, $"  plaintext exact-scan query   {r.PlaintextQueryMilliseconds,12:F2} ms (median; scans {r.PlaintextBytesScannedPerQuery / 1e6:F1} MB of vectors)"));
        output.WriteLine(string.Create(c, $"  sealed query                 {r.SealedQueryMilliseconds,12:F2} ms (median; store reads {r.SealedStoreReadMilliseconds:F2} ms mean, {r.SealedBytesReadPerQuery / 1e3:F1} kB returned per query)"));
        output.WriteLine(string.Create(c, $"  sealed / plaintext query     {r.SealedToPlaintextQuery,12:F3}×"));
        output.WriteLine(string.Create(c, $"  recall@10 vs exact plaintext {r.RecallAt10,12:F3}"));
        if (r.Corpus is { } corpus)
        {
            output.WriteLine(string.Create(c, $"  recall@10 on the corpus      {corpus.RecallAt10,12:F4}       ({corpus.Rows:N0} real rows indexed, {corpus.Queries} held-out queries, K′ = {corpus.Candidates}; index order alone {corpus.RecallAt10WithoutReranking:F4})"));
        }
    }

    /// <summary>Writes the PostgreSQL figures as a table.</summary>
    public static void WriteTable(TextWriter output, SealedPostgresBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(r);
        IFormatProvider c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"Sealed mode on PostgreSQL: {r.Rows:N0} × {r.Dimensions} ({r.Source}), {r.Queries} top-10 queries per K′"));
        output.WriteLine(string.Create(c, $"  sealed ingest (rows durable) {r.DurableVectorsPerSecond,12:N0} vectors/s   ({r.IngestSeconds:F1} s, {r.StoreWriteSeconds:F1} s of it in the store's upserts; searchable at once)"));
        output.WriteLine(string.Create(c, $"  sealed ingest (graph built)  {r.IndexedVectorsPerSecond,12:N0} vectors/s   ({r.IndexedSeconds:F1} s from the start)"));
        foreach (SealedQueryPass pass in new[] { r.Default, r.Wider })
        {
            output.WriteLine(string.Create(c, $"  K′ = {pass.Candidates,-4} query p50 / p99  {pass.P50Milliseconds,12:F2} / {pass.P99Milliseconds:F2} ms (store reads {pass.StoreReadMilliseconds:F2} ms mean; default efSearch {pass.EfSearch})"));
            output.WriteLine(string.Create(c, $"  K′ = {pass.Candidates,-4} rows / bytes     {pass.RowsFetchedPerQuery,12:F1} / {pass.BytesReadPerQuery / 1e3:F1} kB a query"));
            output.WriteLine(string.Create(c, $"  K′ = {pass.Candidates,-4} recall@10        {pass.RecallAt10,12:F4} (vs exact search)"));
        }

        foreach (SealedQueryPass pass in r.Sweep)
        {
            output.WriteLine(string.Create(c, $"  K′ = {pass.Candidates,-4} efSearch {pass.EfSearch,5}  recall@10 {pass.RecallAt10:F4}, p50 / p99 {pass.P50Milliseconds:F2} / {pass.P99Milliseconds:F2} ms (same graph, same queries)"));
        }

        output.WriteLine(string.Create(c, $"  index memory                 {r.IndexBytes / 1e6,12:F1} MB managed heap ({r.GraphBytes / 1e6:F1} MB graph arrays, the rest keys and maps)"));
    }

    /// <summary>Writes the PostgreSQL figures as one JSON object.</summary>
    public static void WriteJson(TextWriter output, SealedPostgresBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(r);
        output.WriteLine(JsonSerializer.Serialize(r, s_json));
    }

    /// <summary>Writes the figures as one JSON object.</summary>
    public static void WriteJson(TextWriter output, SealedBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(r);
        output.WriteLine(JsonSerializer.Serialize(r, s_json));
    }
}
