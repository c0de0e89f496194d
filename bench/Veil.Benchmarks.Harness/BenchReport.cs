using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json;

namespace Veil.Benchmarks.Harness;

/// <summary>The output of <c>veil bench</c>: a text table or JSON, with the environment the figures come from.</summary>
public static class BenchReport
{
    /// <summary>The dimension the store is measured at (all-MiniLM-L6-v2's).</summary>
    public const int StoreDimensions = 384;

    /// <summary>
    /// The default run of <c>veil bench</c>: <see cref="VectorBench"/> at each dimension, <see cref="StoreBench"/> (unless
    /// <paramref name="storeRows"/> is 0) and <see cref="EmbeddingBench"/>, written as a table or JSON.
    /// </summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="progress">Where progress lines go.</param>
    /// <param name="dimensions">The dimensions of the vector measurement.</param>
    /// <param name="rounds">Interleaved rounds per dimension.</param>
    /// <param name="batchRows">Vectors per batch in the throughput measurement.</param>
    /// <param name="storeRows">Vectors in the store measurement; 0 skips it.</param>
    /// <param name="storeRounds">Ingests per variant in the store measurement.</param>
    /// <param name="storeQueries">Top-10 queries per variant in the store measurement.</param>
    /// <param name="embeddingTexts">Texts per pass in the embedding measurement; 0 skips it.</param>
    /// <param name="packagesFolder">Where the embedding model add-on is installed.</param>
    /// <param name="installCommand">How to install it (named in the table when it is missing).</param>
    /// <param name="json">Write JSON instead of a table.</param>
    public static void Run(
        TextWriter output, TextWriter progress, IReadOnlyList<int> dimensions, int rounds, int batchRows, int storeRows, int storeRounds, int storeQueries,
        int embeddingTexts, string? packagesFolder, string installCommand, bool json)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(dimensions);
        var results = new List<VectorBenchResult>();
        foreach (int d in dimensions)
        {
            progress.WriteLine($"bench: measuring d = {d} …");
            results.Add(VectorBench.Measure(d, rounds, batchRows));
        }

        StoreBenchResult? store = storeRows == 0 ? null
            : StoreBench.Measure(StoreDimensions, storeRows, Math.Min(Veil.Documents.Store.IngestOptions.DefaultBatchSize, storeRows), storeRounds, storeQueries, progress);
        EmbeddingBenchResult? embedding = EmbeddingBench.Measure(embeddingTexts, packagesFolder, progress);
        if (json)
        {
            WriteJson(output, results, store, writer => EmbeddingBench.WriteJson(writer, embedding));
        }
        else
        {
            WriteTable(output, results, store);
            EmbeddingBench.WriteTable(output, embedding, installCommand);
        }
    }

    /// <summary>Writes <paramref name="results"/> as the aligned text table of <c>veil bench</c>.</summary>
    /// <param name="o">Where to write.</param>
    /// <param name="results">The vector figures, one per dimension.</param>
    /// <param name="store">The store figures, or null when the store was not measured.</param>
    public static void WriteTable(TextWriter o, IReadOnlyList<VectorBenchResult> results, StoreBenchResult? store)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(results);
        o.WriteLine(Environment());
        o.WriteLine();
        o.WriteLine("     d   encrypt µs   decrypt µs   floor µs   encrypt/floor   decrypt/floor   batch vectors/s   Alloy encrypt µs   speed-up");
        foreach (VectorBenchResult r in results)
        {
            string alloy = r.AlloyEncryptMicroseconds is { } a ? a.ToString("F1", CultureInfo.InvariantCulture) : "-";
            string speedup = r.SpeedupOverAlloy is { } s ? s.ToString("F1", CultureInfo.InvariantCulture) + "×" : "-";
            o.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{r.Dimensions,6} {r.EncryptMicroseconds,12:F2} {r.DecryptMicroseconds,12:F2} {r.FloorMicroseconds,10:F2} {r.EncryptToFloor,15:F2} {r.DecryptToFloor,15:F2} {r.BatchVectorsPerSecond,17:N0} {alloy,18} {speedup,10}"));
        }

        o.WriteLine();
        o.WriteLine("floor = the ChaCha20 keystream the noise sampler consumes + HMAC-SHA256 over the 4·d ciphertext bytes.");
        o.WriteLine("Alloy: its published Rust criterion medians (i9-9880H laptop, 2024); a different machine, for scale only.");
        if (store is null)
        {
            return;
        }

        o.WriteLine();
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DuckDB store (a temporary file), {store.Rows:N0} × {store.Dimensions}, transactions of up to {store.TransactionRows:N0} vectors:"));
        o.WriteLine("   ingest vectors/s: plaintext   encrypted   ratio   encrypted + category + text");
        o.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{store.PlaintextIngestVectorsPerSecond,29:N0} {store.EncryptedIngestVectorsPerSecond,11:N0} {store.EncryptedToPlaintextIngest,6:F2}× {store.EncryptedIngestWithMetadataVectorsPerSecond,29:N0}"));
        o.WriteLine("   top-10 query ms:  plaintext   encrypted   ratio   encrypted + re-ranking   ratio");
        o.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{store.PlaintextQueryMilliseconds,29:F2} {store.EncryptedQueryMilliseconds,11:F2} {store.EncryptedToPlaintextQuery,6:F2}× {store.RerankedQueryMilliseconds,24:F2} {store.RerankedToPlaintextQuery,6:F2}×"));
        o.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"ingest = encrypt + store of random unit vectors, median of {store.IngestRounds} per variant; query = median of {store.Queries} per variant; both interleaved; re-ranking fetches K′ = {store.RerankCandidates} candidates."));
    }

    /// <summary>Writes <paramref name="results"/> as the indented JSON of <c>veil bench --json</c>.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="results">The vector figures, one per dimension.</param>
    /// <param name="store">The store figures, or null when the store was not measured.</param>
    /// <param name="writeMore">Writes further members of the top-level object (such as embedding figures), or null.</param>
    public static void WriteJson(TextWriter output, IReadOnlyList<VectorBenchResult> results, StoreBenchResult? store, Action<Utf8JsonWriter>? writeMore = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(results);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("environment", Environment());
        writer.WriteStartArray("results");
        foreach (VectorBenchResult r in results)
        {
            writer.WriteStartObject();
            writer.WriteNumber("dimensions", r.Dimensions);
            writer.WriteNumber("encryptMicroseconds", Math.Round(r.EncryptMicroseconds, 3));
            writer.WriteNumber("decryptMicroseconds", Math.Round(r.DecryptMicroseconds, 3));
            writer.WriteNumber("floorMicroseconds", Math.Round(r.FloorMicroseconds, 3));
            writer.WriteNumber("encryptToFloor", Math.Round(r.EncryptToFloor, 3));
            writer.WriteNumber("decryptToFloor", Math.Round(r.DecryptToFloor, 3));
            writer.WriteNumber("batchVectorsPerSecond", Math.Round(r.BatchVectorsPerSecond));
            writer.WriteNumber("batchRows", r.BatchRows);
            if (r.AlloyEncryptMicroseconds is { } alloy)
            {
                writer.WriteNumber("alloyEncryptMicroseconds", alloy);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (store is not null)
        {
            writer.WriteStartObject("store");
            writer.WriteString("engine", "duckdb");
            writer.WriteNumber("dimensions", store.Dimensions);
            writer.WriteNumber("rows", store.Rows);
            writer.WriteNumber("transactionRows", store.TransactionRows);
            writer.WriteNumber("ingestRounds", store.IngestRounds);
            writer.WriteNumber("plaintextIngestVectorsPerSecond", Math.Round(store.PlaintextIngestVectorsPerSecond));
            writer.WriteNumber("encryptedIngestVectorsPerSecond", Math.Round(store.EncryptedIngestVectorsPerSecond));
            writer.WriteNumber("encryptedToPlaintextIngest", Math.Round(store.EncryptedToPlaintextIngest, 3));
            writer.WriteNumber("encryptedIngestWithMetadataVectorsPerSecond", Math.Round(store.EncryptedIngestWithMetadataVectorsPerSecond));
            writer.WriteNumber("queries", store.Queries);
            writer.WriteNumber("plaintextQueryMilliseconds", Math.Round(store.PlaintextQueryMilliseconds, 3));
            writer.WriteNumber("encryptedQueryMilliseconds", Math.Round(store.EncryptedQueryMilliseconds, 3));
            writer.WriteNumber("rerankedQueryMilliseconds", Math.Round(store.RerankedQueryMilliseconds, 3));
            writer.WriteNumber("encryptedToPlaintextQuery", Math.Round(store.EncryptedToPlaintextQuery, 3));
            writer.WriteNumber("rerankedToPlaintextQuery", Math.Round(store.RerankedToPlaintextQuery, 3));
            writer.WriteNumber("rerankCandidates", store.RerankCandidates);
            writer.WriteEndObject();
        }

        writeMore?.Invoke(writer);
        writer.WriteEndObject();
        writer.Flush();
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>The machine and runtime the figures were measured on.</summary>
    public static string Environment() => string.Create(
        CultureInfo.InvariantCulture,
        $"{System.Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, Vector512 {(Vector512.IsHardwareAccelerated ? "on" : "off")}");
}
