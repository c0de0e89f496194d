using System.Diagnostics;
using System.Globalization;
using System.Text;
using Veil.Documents;
using Veil.Fields;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Cli.Demo;

/// <summary>The steps of <c>veil demo</c>; progress goes to stderr, the summary to stdout.</summary>
internal sealed class DemoRunner(CliConsole console, DemoSettings settings, VeilClient client, SecretPath secretPath, string configurationDescription)
{
    public const string DefaultSecretPath = "demo";

    private const string TitleField = "title";

    private static readonly TenantId s_tenant = "demo-tenant";
    private static readonly DerivationPath s_vectorDerivation = "embedding";
    private static readonly DerivationPath s_categoryDerivation = "category";

    private readonly TextWriter _out = console.Output;

    public int Run(CancellationToken cancellationToken)
    {
        int k = DemoSettings.K;
        Progress($"generating {settings.Count} sample vectors ({settings.Dimensions}-d, {settings.Clusters} clusters, seed {settings.Seed})…");
        SampleSet sample = SampleSet.Generate(settings.Count, settings.Dimensions, settings.Clusters, settings.Queries, settings.Seed);
        Line($"Veil demo: {settings.Count} unit vectors × {settings.Dimensions} dimensions in {settings.Clusters} Gaussian clusters, {settings.Queries} held-out queries (sample seed {settings.Seed}).");
        Line($"Configuration: {configurationDescription}. Tenant \"{s_tenant}\", secret path \"{secretPath}\".");
        Line(string.Empty);

        // 1. Encrypt vectors, categories and titles, each with the batch APIs.
        Progress($"encrypting {settings.Count} vectors…");
        var stopwatch = Stopwatch.StartNew();
        BatchResult<EncryptedVector> vectorResults = client.Vector.EncryptBatch(
            sample.Vectors.Select(v => (ReadOnlyMemory<float>)v).ToArray(), secretPath, s_vectorDerivation, s_tenant);
        TimeSpan vectorTime = stopwatch.Elapsed;
        EncryptedVector[] encrypted = Values(vectorResults, "vector encryption");
        cancellationToken.ThrowIfCancellationRequested();

        Progress($"encrypting {settings.Count} categories (deterministic) and titles (standard)…");
        stopwatch.Restart();
        EncryptedField[] categories = Values(
            client.Deterministic.EncryptDeterministicallyBatch(
                sample.Categories.Select(c => new PlaintextField(Encoding.UTF8.GetBytes(c), secretPath, s_categoryDerivation)).ToArray(), s_tenant),
            "category encryption");
        TimeSpan categoryTime = stopwatch.Elapsed;
        stopwatch.Restart();
        EncryptedDocument[] titles = Values(
            client.Standard.EncryptBatch(
                sample.Titles.Select(t => (IReadOnlyDictionary<string, byte[]>)new Dictionary<string, byte[]> { [TitleField] = Encoding.UTF8.GetBytes(t) }).ToArray(), s_tenant),
            "title encryption");
        TimeSpan titleTime = stopwatch.Elapsed;

        Line("Encryption (batch APIs, all cores):");
        Line($"  vectors     {settings.Count,9} in {Seconds(vectorTime)}  {Rate(settings.Count, vectorTime)} vectors/s (Scale-And-Perturb, β = {client.Configuration.Vector[secretPath].ApproximationFactor})");
        Line($"  categories  {settings.Count,9} in {Seconds(categoryTime)}  {Rate(settings.Count, categoryTime)} values/s (deterministic AES-SIV)");
        Line($"  titles      {settings.Count,9} in {Seconds(titleTime)}  {Rate(settings.Count, titleTime)} documents/s (standard AES-256-GCM, one data key each)");
        Line(string.Empty);

        // 2. Search: brute force over the ciphertexts vs exact plaintext search.
        Progress($"searching with {settings.Queries} encrypted queries (brute force over {settings.Count} ciphertexts)…");
        KeyId?[] keyIds = encrypted.Select(e => e.KeyId).ToArray();
        int[] everything = Enumerable.Range(0, settings.Count).ToArray();
        double recall = 0;
        double rerankedRecall = 0;
        TimeSpan searchTime = TimeSpan.Zero;
        TimeSpan rerankTime = TimeSpan.Zero;
        var encryptedQueries = new Dictionary<KeyId, float[]>[settings.Queries];
        for (int q = 0; q < settings.Queries; q++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float[] query = sample.Queries[q];
            int[] exact = BruteForce.TopK(everything, i => BruteForce.SquaredDistance(query, sample.Vectors[i]), k);

            stopwatch.Restart();
            Dictionary<KeyId, float[]> queries = client.Vector.GenerateQueryVectors(query, secretPath, s_vectorDerivation, s_tenant)
                .ToDictionary(v => v.KeyId, v => v.Ciphertext.ToArray());
            encryptedQueries[q] = queries;
            Func<int, float> encryptedDistance = EncryptedDistance(queries, encrypted, keyIds);
            int[] candidates = BruteForce.TopK(everything, encryptedDistance, Math.Min(DemoSettings.OverFetch, settings.Count));
            searchTime += stopwatch.Elapsed;
            recall += BruteForce.Recall(exact, candidates.Take(k));

            // Client-side re-ranking: decrypt the over-fetched candidates and order them exactly.
            stopwatch.Restart();
            float[][] decrypted = Values(client.Vector.DecryptBatch(candidates.Select(i => encrypted[i]).ToArray(), s_tenant), "candidate decryption");
            int[] reranked = BruteForce.TopK(Enumerable.Range(0, candidates.Length), j => BruteForce.SquaredDistance(query, decrypted[j]), k)
                .Select(j => candidates[j]).ToArray();
            rerankTime += stopwatch.Elapsed;
            rerankedRecall += BruteForce.Recall(exact, reranked);
        }

        recall /= settings.Queries;
        rerankedRecall /= settings.Queries;
        Line($"Search ({settings.Queries} queries, brute-force top-{k} over the ciphertexts, one encrypted query per live key):");
        Line($"  {$"recall@{k}, encrypted distances only:",-63}{recall.ToString("F3", CultureInfo.InvariantCulture)}  ({Milliseconds(searchTime / settings.Queries)} per query)");
        Line($"  {$"recall@{k}, over-fetch {DemoSettings.OverFetch}, decrypt and re-rank on the client:",-63}{rerankedRecall.ToString("F3", CultureInfo.InvariantCulture)}  (+{Milliseconds(rerankTime / settings.Queries)} per query)");
        Line(string.Empty);

        // 3. Filter on an encrypted category (equality of deterministic ciphertexts) and show decrypted titles.
        FilterExample(sample, encrypted, keyIds, categories, titles, encryptedQueries[0]);

        // 4. Round trip: decrypt everything.
        return RoundTrip(sample, encrypted, categories, titles);
    }

    private void FilterExample(
        SampleSet sample, EncryptedVector[] encrypted, KeyId?[] keyIds, EncryptedField[] categories, EncryptedDocument[] titles, Dictionary<KeyId, float[]> query)
    {
        const int shown = 5;
        float[] plainQuery = sample.Queries[0];
        int nearest = BruteForce.TopK(Enumerable.Range(0, settings.Count), i => BruteForce.SquaredDistance(plainQuery, sample.Vectors[i]), 1)[0];
        string category = sample.Categories[nearest];
        IReadOnlyList<EncryptedField> filterValues = client.Deterministic.GenerateQueryFieldValues(
            Encoding.UTF8.GetBytes(category), secretPath, s_categoryDerivation, s_tenant);
        int[] matching = Enumerable.Range(0, settings.Count)
            .Where(i => filterValues.Any(f => f.Ciphertext.AsSpan().SequenceEqual(categories[i].Ciphertext)))
            .ToArray();
        int expected = sample.Categories.Count(c => c == category);
        int[] hits = BruteForce.TopK(matching, EncryptedDistance(query, encrypted, keyIds), shown);
        IReadOnlyDictionary<string, byte[]>[] decryptedTitles = Values(
            client.Standard.DecryptBatch(hits.Select(i => titles[i]).ToArray(), s_tenant), "title decryption");

        Line($"Filtered search for query 0 where category == \"{category}\" (equality on the deterministic ciphertext):");
        Line($"  {matching.Length} of {settings.Count} items match the encrypted filter (plaintext count: {expected}); top {hits.Length} by encrypted distance, titles decrypted:");
        for (int h = 0; h < hits.Length; h++)
        {
            Line($"    {h + 1}. {Encoding.UTF8.GetString(decryptedTitles[h][TitleField])}");
        }

        Line(string.Empty);
    }

    private int RoundTrip(SampleSet sample, EncryptedVector[] encrypted, EncryptedField[] categories, EncryptedDocument[] titles)
    {
        Progress($"decrypting {settings.Count} vectors, categories and titles…");
        var stopwatch = Stopwatch.StartNew();
        float[][] vectors = Values(client.Vector.DecryptBatch(encrypted, s_tenant), "vector decryption");
        TimeSpan vectorTime = stopwatch.Elapsed;
        double maxError = 0;
        for (int i = 0; i < vectors.Length; i++)
        {
            for (int d = 0; d < vectors[i].Length; d++)
            {
                maxError = Math.Max(maxError, Math.Abs((double)vectors[i][d] - sample.Vectors[i][d]));
            }
        }

        byte[][] plainCategories = Values(client.Deterministic.DecryptBatch(categories, s_tenant), "category decryption");
        IReadOnlyDictionary<string, byte[]>[] plainTitles = Values(client.Standard.DecryptBatch(titles, s_tenant), "title decryption");
        int categoryMismatches = Enumerable.Range(0, settings.Count).Count(i => Encoding.UTF8.GetString(plainCategories[i]) != sample.Categories[i]);
        int titleMismatches = Enumerable.Range(0, settings.Count).Count(i => Encoding.UTF8.GetString(plainTitles[i][TitleField]) != sample.Titles[i]);

        Line("Round trip (decrypt everything):");
        Line($"  vectors     {settings.Count,9} in {Seconds(vectorTime)}  {Rate(settings.Count, vectorTime)} vectors/s; max |decrypted − original| = {maxError.ToString("G3", CultureInfo.InvariantCulture)} over {(long)settings.Count * settings.Dimensions} coordinates");
        Line($"  categories  {settings.Count - categoryMismatches,9} of {settings.Count} identical");
        Line($"  titles      {settings.Count - titleMismatches,9} of {settings.Count} identical");
        _out.Flush();
        return categoryMismatches == 0 && titleMismatches == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }

    private static Func<int, float> EncryptedDistance(Dictionary<KeyId, float[]> queries, EncryptedVector[] encrypted, KeyId?[] keyIds) =>
        i => keyIds[i] is { } id && queries.TryGetValue(id, out float[]? query)
            ? BruteForce.SquaredDistance(query, encrypted[i].Ciphertext.Span)
            : float.PositiveInfinity;

    private static T[] Values<T>(BatchResult<T> results, string what)
    {
        if (results.FailureCount > 0)
        {
            Exception first = results.First(r => !r.IsSuccess).Error!;
            throw new InvalidOperationException($"{results.FailureCount} items failed {what}: {first.Message}", first);
        }

        return results.Select(r => r.Value!).ToArray();
    }

    private void Progress(string message) => console.Error.WriteLine($"veil demo: {message}");

    private void Line(string text)
    {
        _out.WriteLine(text);
        if (text.Length == 0)
        {
            // Each section appears as soon as it is done.
            _out.Flush();
        }
    }

    private static string Seconds(TimeSpan time) => $"{time.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture),7} s";

    private static string Milliseconds(TimeSpan time) => $"{time.TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture)} ms";

    private static string Rate(int count, TimeSpan time) =>
        (count / Math.Max(time.TotalSeconds, 1e-9)).ToString("N0", CultureInfo.InvariantCulture).PadLeft(10);
}
