using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Demo;

/// <summary>
/// The steps of <c>veil demo</c> on the real MiniLM corpus: ingest it encrypted into the embedded store, search with
/// held-out documents as encrypted queries, compare with exact plaintext search, filter by an encrypted category.
/// The report (plain text, a section at a time) goes to <c>report</c>, status lines to <c>log</c>, ingest progress to
/// <c>progress</c>; the measured figures are returned.
/// </summary>
/// <param name="options">What to measure, and where.</param>
/// <param name="keys">The keys to encrypt with (see <see cref="DemoKeys"/>).</param>
/// <param name="report">Where the report goes.</param>
/// <param name="log">Where status lines go, each prefixed with <c>logPrefix</c>.</param>
/// <param name="logPrefix">The prefix of status lines (such as the command's name).</param>
/// <param name="progress">Ingest progress, or null.</param>
public sealed class DemoRunner(DemoOptions options, DemoKeys keys, TextWriter report, TextWriter log, string logPrefix = "demo", IProgress<StoreProgress>? progress = null)
{

    private const string EncryptedCollection = "fiori";
    private const string PlainCollection = "fiori_plain";
    private const string SealedCollection = "fiori_sealed";
    private const string TitleField = "title";
    private const int IngestBatch = 100;
    private const int TitleWidth = 52;

    private static readonly TenantId s_tenant = new TenantId("demo-tenant");

    private readonly TextWriter _out = report;
    private readonly DemoOptions settings = options;
    private readonly SecretPath secretPath = keys.SecretPath;

    /// <summary>Runs the demo: reads the corpus, ingests, searches, filters and reports.</summary>
    /// <exception cref="ArgumentException">The text query's embedding does not have the corpus's dimensions.</exception>
    /// <exception cref="DocumentStoreException">The store cannot be opened or written.</exception>
    public async Task<DemoResult> RunAsync(CancellationToken cancellationToken = default)
    {
        settings.Validate();
        int k = DemoOptions.K;
        using var client = new VeilClient(keys.Configuration);
        float beta = client.Configuration.Vector[secretPath].ApproximationFactor;

        // 1. The corpus, with held-out queries.
        (int dimensions, long count, IEnumerable<(long Line, VeilDocument Document)> rows) = DocumentSources.RawVectors(
            Path.Combine(settings.CorpusDirectory, "embeddings.bin"), Path.Combine(settings.CorpusDirectory, "records.jsonl"), dimensions: null);
        if (settings.TextQuery is { } textQuery && textQuery.Embedding.Length != dimensions)
        {
            throw new ArgumentException($"The model '{textQuery.Model}' gives {textQuery.Embedding.Length}-d embeddings; the corpus is {dimensions}-d all-MiniLM-L6-v2 (use that model).");
        }

        VeilDocument[] all = rows.Select(r => r.Document).ToArray();
        var random = new Random(settings.Seed);
#pragma warning disable CA5394 // Choosing held-out queries reproducibly; nothing secret.
        random.Shuffle(all);
#pragma warning restore CA5394
        VeilDocument[] queries = all[..settings.Queries];
        VeilDocument[] stored = all[settings.Queries..];
        Line($"Veil demo: {count} real all-MiniLM-L6-v2 embeddings ({dimensions}-d) of SAP Fiori documentation (@sap-ux/fiori-docs-embeddings 1.2.6, Apache-2.0).");
        Line($"{stored.Length} documents are stored encrypted; {queries.Length} held-out documents are the queries (seed {settings.Seed}).");
        Line($"Configuration: {keys.Description}. Tenant \"{s_tenant}\", secret path \"{secretPath}\".");

        // 2. The store.
        string? temporary = settings.Store is null ? Path.Combine(Path.GetTempPath(), $"veil-demo-{Guid.NewGuid():N}") : null;
        StoreLocation location = (settings.Store is { } given ? given : new StoreLocation("duckdb", Path.Combine(temporary!, "demo.duckdb")))
            with
        { DuckDbMemoryLimit = settings.StoreMemory, DuckDbThreads = settings.StoreThreads };
        if (temporary is not null)
        {
            Directory.CreateDirectory(temporary);
        }

        try
        {
            using (DocumentStore store = DocumentStore.Open(location, mustExist: false))
            {
                Line($"Store: {location}{(temporary is null ? string.Empty : " (a temporary file, deleted at the end)")}; collections \"{EncryptedCollection}\" (encrypted) and \"{PlainCollection}\" (plaintext baseline).");
                Line(string.Empty);
                return await RunOnStoreAsync(store, client, all.Length, stored, queries, dimensions, beta, k, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (temporary is not null)
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
    }

    private async Task<DemoResult> RunOnStoreAsync(DocumentStore store, VeilClient client, int documents, VeilDocument[] stored, VeilDocument[] queries, int dimensions, float beta, int k, CancellationToken cancellationToken)
    {
        var manifest = new CollectionManifest
        {
            Name = EncryptedCollection,
            Dimensions = dimensions,
            VectorSecretPath = secretPath.ToString(),
            VectorDerivationPath = "all-MiniLM-L6-v2",
        };
        await store.DeleteAsync(EncryptedCollection, cancellationToken).ConfigureAwait(false);
        await store.DeleteAsync(PlainCollection, cancellationToken).ConfigureAwait(false);
        await store.DeleteAsync(SealedCollection, cancellationToken).ConfigureAwait(false);
        await store.CreateAsync(manifest, s_tenant, cancellationToken).ConfigureAwait(false);
        using DocumentAccess? sealedAccess = settings.Sealed ? await CreateSealedAsync(store, client, manifest, stored, cancellationToken).ConfigureAwait(false) : null;
        using VectorStoreCollection<string, VeilDocument> plain = store.Plain(PlainCollection, dimensions);
        await plain.EnsureCollectionExistsAsync(cancellationToken).ConfigureAwait(false);
        using EncryptingVectorStoreCollection<string, VeilDocument> reranked = store.Encrypted(manifest, client, s_tenant, rerank: true, settings.RerankCandidates);
        using EncryptingVectorStoreCollection<string, VeilDocument> approximate = store.Encrypted(manifest, client, s_tenant, rerank: false);

        // 3. Ingest: encrypted (vectors, categories, metadata) and, for comparison, in the clear.
        var stopwatch = Stopwatch.StartNew();
        long done = 0;
        foreach (VeilDocument[] batch in stored.Chunk(IngestBatch))
        {
            await reranked.UpsertAsync(batch, cancellationToken).ConfigureAwait(false);
            done += batch.Length;
            progress?.Report(new StoreProgress(done, stored.Length));
        }

        TimeSpan encryptedIngest = stopwatch.Elapsed;
        Log($"encrypted and stored {stored.Length} documents in {encryptedIngest.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s ({Rate(stored.Length, encryptedIngest).Trim()} documents/s)");
        stopwatch.Restart();
        await plain.UpsertAsync(stored, cancellationToken).ConfigureAwait(false);
        TimeSpan plainIngest = stopwatch.Elapsed;
        Line("Ingest (encrypt on the client, then one transaction per batch into DuckDB):");
        Line($"  encrypted  {stored.Length,6} documents in {Seconds(encryptedIngest)}  {Rate(stored.Length, encryptedIngest)} documents/s (vector: Scale-And-Perturb β = {Number(beta)}; category: AES-SIV; other fields: AES-256-GCM)");
        Line($"  plaintext  {stored.Length,6} documents in {Seconds(plainIngest)}  {Rate(stored.Length, plainIngest)} documents/s (baseline, same store)");
        await ShowWhatTheStoreSeesAsync(store, dimensions, stored[0], cancellationToken).ConfigureAwait(false);

        // 4. Search: exact plaintext ground truth vs encrypted queries, with and without re-ranking.
        Log($"searching with {queries.Length} held-out documents as queries…");
        float[][] storedVectors = stored.Select(d => d.Embedding!.Value.ToArray()).ToArray();
        int[] everything = Enumerable.Range(0, stored.Length).ToArray();
        double recallApproximate = 0;
        double recallReranked = 0;
        TimeSpan plainTime = TimeSpan.Zero;
        TimeSpan approximateTime = TimeSpan.Zero;
        TimeSpan rerankedTime = TimeSpan.Zero;
        TimeSpan sealedTime = TimeSpan.Zero;
        double recallSealed = 0;
        var shown = new List<(VeilDocument Query, List<VeilDocument> Plain, List<VeilDocument> Encrypted, HashSet<string> Exact, List<VeilDocument>? Sealed)>();
        for (int q = 0; q < queries.Length; q++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float[] query = queries[q].Embedding!.Value.ToArray();
            var exact = BruteForce.TopK(everything, i => BruteForce.SquaredDistance(query, storedVectors[i]), k).Select(i => stored[i].Id).ToHashSet(StringComparer.Ordinal);

            stopwatch.Restart();
            List<VeilDocument> plainHits = await SearchAsync(plain, query, k, null, cancellationToken).ConfigureAwait(false);
            plainTime += stopwatch.Elapsed;

            stopwatch.Restart();
            List<VeilDocument> approximateHits = await SearchAsync(approximate, query, k, null, cancellationToken).ConfigureAwait(false);
            approximateTime += stopwatch.Elapsed;

            stopwatch.Restart();
            List<VeilDocument> rerankedHits = await SearchAsync(reranked, query, k, null, cancellationToken).ConfigureAwait(false);
            rerankedTime += stopwatch.Elapsed;

            List<VeilDocument>? sealedHits = null;
            if (sealedAccess is not null)
            {
                stopwatch.Restart();
                sealedHits = await SearchAsync(sealedAccess.Collection, query, k, null, cancellationToken).ConfigureAwait(false);
                sealedTime += stopwatch.Elapsed;
                recallSealed += BruteForce.Recall(exact, sealedHits.Select(h => h.Id));
            }

            recallApproximate += BruteForce.Recall(exact, approximateHits.Select(h => h.Id));
            recallReranked += BruteForce.Recall(exact, rerankedHits.Select(h => h.Id));
            if (q < DemoOptions.Shown)
            {
                shown.Add((queries[q], plainHits, rerankedHits, exact, sealedHits));
            }
        }

        foreach ((VeilDocument query, List<VeilDocument> plainHits, List<VeilDocument> encryptedHits, HashSet<string> exact, List<VeilDocument>? sealedHits) in shown)
        {
            if (sealedHits is not null)
            {
                ShowThreeWays(query, plainHits, encryptedHits, sealedHits, exact);
                continue;
            }

            Line($"Query: held-out document \"{Title(query)}\" [{query.Category}]");
            Line($"  {"plaintext search (exact)",-(TitleWidth + 4)}  encrypted search, titles decrypted on the client");
            for (int h = 0; h < DemoOptions.ShownHits; h++)
            {
                string left = h < plainHits.Count ? Title(plainHits[h]) : string.Empty;
                string right = h < encryptedHits.Count ? Title(encryptedHits[h]) + (exact.Contains(encryptedHits[h].Id) ? string.Empty : "  (not in the exact top 10)") : string.Empty;
                Line($"  {h + 1,2}. {Clip(left),-TitleWidth}  {h + 1,2}. {Clip(right)}");
            }

            Line(string.Empty);
        }

        // 5. A filter on the encrypted category.
        // The largest category other than the query's own, so that the filter visibly changes the hits.
        string category = stored.Where(d => d.Category is not null && d.Category != queries[0].Category)
            .GroupBy(d => d.Category!, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        (int filterMatches, int filterPlainMatches) = await FilterAsync(reranked, plain, queries[0], category, cancellationToken).ConfigureAwait(false);

        // 6. A text query, when the caller embedded one (else why not, when it says).
        if (settings.TextQuery is { } text)
        {
            List<VeilDocument> hits = await SearchAsync(reranked, text.Embedding, DemoOptions.ShownHits, null, cancellationToken).ConfigureAwait(false);
            Line($"Text query \"{text.Text}\" (embedded locally with {text.Model}, then encrypted):");
            for (int h = 0; h < hits.Count; h++)
            {
                Line($"  {h + 1,2}. {Clip(Title(hits[h]))} [{hits[h].Category}]");
            }

            Line(string.Empty);
        }
        else if (settings.TextQueryUnavailable is { } why)
        {
            Line($"Text query: skipped ({why}).");
            Line(string.Empty);
        }

        // 7. The summary.
        int n = queries.Length;
        Line($"Recall against exact plaintext search ({n} held-out queries, β = {Number(beta)}):");
        Line($"  recall@{k}, encrypted distances only:                    {Number(recallApproximate / n, "F3")}");
        Line($"  recall@{k}, re-ranked on the client (K′ = {settings.RerankCandidates,3} decrypted):  {Number(recallReranked / n, "F3")}");
        Line("Search time per query (DuckDB, exact scan, all on this machine):");
        Line($"  plaintext query:                    {Milliseconds(plainTime / n)}");
        Line($"  encrypted query:                    {Milliseconds(approximateTime / n)}  ({Number(approximateTime / plainTime, "F2")}× plaintext)");
        Line($"  encrypted query + exact re-ranking: {Milliseconds(rerankedTime / n)}  ({Number(rerankedTime / approximateTime, "F2")}× the encrypted query)");
        if (sealedAccess is not null)
        {
            Line($"Sealed mode (vectors sealed with AES-256-GCM, the store holds no geometry; the key holder's index picks K′ = {settings.RerankCandidates} rows, fetched by key and ranked exactly):");
            Line($"  recall@{k}:                          {Number(recallSealed / n, "F3")}");
            Line($"  sealed query:                       {Milliseconds(sealedTime / n)}  ({Number(sealedTime / plainTime, "F2")}× plaintext)");
        }

        _out.Flush();
        return new DemoResult(documents, stored.Length, n, recallApproximate / n, recallReranked / n, category, filterMatches, filterPlainMatches, sealedAccess is null ? null : recallSealed / n);
    }

    /// <summary>Creates the sealed collection and stores the corpus in it (the third column of <c>veil demo --sealed</c>).</summary>
    private async Task<DocumentAccess> CreateSealedAsync(DocumentStore store, VeilClient client, CollectionManifest dcpe, VeilDocument[] stored, CancellationToken cancellationToken)
    {
        var manifest = new CollectionManifest
        {
            Name = SealedCollection,
            Dimensions = dcpe.Dimensions,
            VectorSecretPath = dcpe.VectorSecretPath,
            VectorDerivationPath = dcpe.VectorDerivationPath,
            Mode = CollectionMode.Sealed,
        };
        await store.CreateAsync(manifest, s_tenant, cancellationToken).ConfigureAwait(false);
        DocumentAccess access = store.OpenCollection(manifest, client, s_tenant, candidates: settings.RerankCandidates);
        var stopwatch = Stopwatch.StartNew();
        await access.Collection.UpsertAsync(stored, cancellationToken).ConfigureAwait(false);
        await access.PersistAsync(cancellationToken).ConfigureAwait(false);
        Log($"sealed and stored {stored.Length} documents (and the sealed index) in {stopwatch.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s");
        return access;
    }

    private void ShowThreeWays(VeilDocument query, List<VeilDocument> plainHits, List<VeilDocument> dcpeHits, List<VeilDocument> sealedHits, HashSet<string> exact)
    {
        const int Width = 34;
        string Cell(List<VeilDocument> hits, int h) =>
            h >= hits.Count ? string.Empty : Clip((exact.Contains(hits[h].Id) ? string.Empty : "* ") + Title(hits[h]), Width);
        Line($"Query: held-out document \"{Title(query)}\" [{query.Category}]   (* = not in the exact top 10)");
        Line($"  {"plaintext (exact)",-(Width + 4)}  {"DCPE (re-ranked)",-(Width + 4)}  sealed");
        for (int h = 0; h < DemoOptions.ShownHits; h++)
        {
            Line($"  {h + 1,2}. {Cell(plainHits, h),-Width}  {h + 1,2}. {Cell(dcpeHits, h),-Width}  {h + 1,2}. {Cell(sealedHits, h)}");
        }

        Line(string.Empty);
    }

    private async Task ShowWhatTheStoreSeesAsync(DocumentStore store, int dimensions, VeilDocument original, CancellationToken cancellationToken)
    {
        using VectorStoreCollection<string, VeilDocument> raw = store.Plain(EncryptedCollection, dimensions);
        VeilDocument? seen = await raw.GetAsync(original.Id, new RecordRetrievalOptions { IncludeVectors = true }, cancellationToken).ConfigureAwait(false);
        if (seen is null)
        {
            return;
        }

        Line($"What the database holds for \"{original.Id}\":");
        Line($"  embedding[0..3]  {Floats(seen.Embedding!.Value.Span[..3])}   (plaintext {Floats(original.Embedding!.Value.Span[..3])})");
        Line($"  category         {Clip(seen.Category ?? string.Empty, 40)}   (plaintext \"{original.Category}\")");
        Line($"  fields           {Clip(seen.Fields ?? string.Empty, 40)}   ({(seen.Fields ?? string.Empty).Length} characters of base64)");
        Line(string.Empty);
    }

    private async Task<(int Encrypted, int Plain)> FilterAsync(
        EncryptingVectorStoreCollection<string, VeilDocument> encrypted, VectorStoreCollection<string, VeilDocument> plain, VeilDocument query, string category, CancellationToken cancellationToken)
    {
        int encryptedCount = 0;
        await foreach (VeilDocument unused in encrypted.GetAsync(d => d.Category == category, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            encryptedCount++;
        }

        int plainCount = 0;
        await foreach (VeilDocument unused in plain.GetAsync(d => d.Category == category, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            plainCount++;
        }

        List<VeilDocument> hits = await SearchAsync(encrypted, query.Embedding!.Value.ToArray(), DemoOptions.ShownHits, d => d.Category == category, cancellationToken).ConfigureAwait(false);
        Line($"Filtered search: the first query again, where category == \"{category}\" (the store compares AES-SIV ciphertexts):");
        Line($"  {encryptedCount} documents match the encrypted filter (plaintext count: {plainCount}); the top {hits.Count}, decrypted:");
        for (int h = 0; h < hits.Count; h++)
        {
            Line($"  {h + 1,2}. {Clip(Title(hits[h]))} [{hits[h].Category}]");
        }

        Line(string.Empty);
        return (encryptedCount, plainCount);
    }

    private static async Task<List<VeilDocument>> SearchAsync(
        VectorStoreCollection<string, VeilDocument> collection, float[] query, int top, System.Linq.Expressions.Expression<Func<VeilDocument, bool>>? filter, CancellationToken cancellationToken)
    {
        var hits = new List<VeilDocument>(top);
        await foreach (VectorSearchResult<VeilDocument> hit in collection.SearchAsync(query, top, new VectorSearchOptions<VeilDocument> { Filter = filter }, cancellationToken).ConfigureAwait(false))
        {
            hits.Add(hit.Record);
        }

        return hits;
    }

    private static string Title(VeilDocument document) => DocumentJson.Field(document, TitleField) ?? document.Id;

    private static string Clip(string text, int width = TitleWidth) => text.Length <= width ? text : string.Concat(text.AsSpan(0, width - 1), "…");

    private static string Floats(ReadOnlySpan<float> values)
    {
        var parts = new string[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            parts[i] = values[i].ToString("F4", CultureInfo.InvariantCulture).PadLeft(8);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    private void Line(string text)
    {
        _out.WriteLine(text);
        if (text.Length == 0)
        {
            // Each section appears as soon as it is done.
            _out.Flush();
        }
    }

    private void Log(string text) => log.WriteLine($"{logPrefix}: {text}");

    private static string Number(double value, string format = "G") => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan time) => $"{time.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture),7} s";

    private static string Milliseconds(TimeSpan time) => $"{time.TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture),7} ms";

    private static string Rate(int count, TimeSpan time) =>
        (count / Math.Max(time.TotalSeconds, 1e-9)).ToString("N0", CultureInfo.InvariantCulture).PadLeft(8);
}
