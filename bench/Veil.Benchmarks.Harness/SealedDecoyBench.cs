using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store;
using Veil.Keys;
using Veil.Sealed;
using Veil.Stores.DuckDb;

namespace Veil.Benchmarks.Harness;

/// <summary>The cost of decoy keys: K′ = 100 over DuckDB (in memory) with D = 0 and D = 100, on real rows.</summary>
public static class SealedDecoyBench
{
    private const int Dimensions = 384;

    /// <summary>
    /// Seals the first <paramref name="rows"/> rows of <paramref name="corpus"/> (raw float32, 384 per row) into an
    /// in-memory DuckDB collection, then runs 400 queries (the next 200 rows, twice) against two instances over the same
    /// rows and index, D = 0 and D = 100, interleaved one query at a time; prints the medians and their ratio.
    /// </summary>
    public static async Task MeasureAsync(string corpus, int rows, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        float[][] all = SealedBench.ReadRows(corpus, Dimensions);
        if (all.Length < rows + 200)
        {
            throw new ArgumentException($"The corpus has {all.Length} rows; {rows + 200} are needed.", nameof(rows));
        }

        using var secret = Secret.Generate();
        using var keyring = new SealedKeyring(new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), secret)]), new TenantId("t"));
        using var store = DuckDbVectorStore.CreateInMemory();
        var storage = new InMemorySealedIndexStorage();
        VectorStoreCollectionDefinition definition = VeilDocument.SealedDefinition(Dimensions);
        SealedCollectionOptions Options(int decoys) => new() { Definition = definition, DecoyKeys = decoys, Index = new SealedIndexOptions { Seed = 3 } };
        using (var writer = new SealedVectorStoreCollection<string, VeilDocument>(store.GetCollection<string, VeilDocument>("docs", definition), keyring, storage, Options(0)))
        {
            await writer.EnsureCollectionExistsAsync().ConfigureAwait(false);
            for (int start = 0; start < rows; start += 2000)
            {
                await writer.UpsertAsync(Enumerable.Range(start, Math.Min(2000, rows - start)).Select(i => new VeilDocument { Id = $"row-{i}", Embedding = all[i] })).ConfigureAwait(false);
            }

            await writer.SnapshotAsync().ConfigureAwait(false);
        }

        using var none = new SealedVectorStoreCollection<string, VeilDocument>(store.GetCollection<string, VeilDocument>("docs", definition), keyring, storage, Options(0));
        using var decoyed = new SealedVectorStoreCollection<string, VeilDocument>(store.GetCollection<string, VeilDocument>("docs", definition), keyring, storage, Options(100));
        await none.SearchAsync(all[rows], 10).ToListAsync().ConfigureAwait(false);
        await decoyed.SearchAsync(all[rows], 10).ToListAsync().ConfigureAwait(false);

        // Interleaved, one query at a time, medians: on a shared machine neither setting gets a quieter minute.
        var times = new Dictionary<int, List<double>> { [0] = [], [100] = [] };
        for (int round = 0; round < 2; round++)
        {
            for (int q = rows; q < rows + 200; q++)
            {
                foreach ((int decoys, SealedVectorStoreCollection<string, VeilDocument> collection) in new[] { (0, none), (100, decoyed) })
                {
                    long start = Stopwatch.GetTimestamp();
                    await collection.SearchAsync(all[q], 10).ToListAsync().ConfigureAwait(false);
                    times[decoys].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
        }

        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        IFormatProvider c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"n={rows} real rows, DuckDB in memory, K'=100, 400 queries each, interleaved"));
        output.WriteLine(string.Create(c, $"D=0: median {Median(times[0]):N2} ms/query, 100 rows fetched"));
        output.WriteLine(string.Create(c, $"D=100: median {Median(times[100]):N2} ms/query, 200 rows fetched"));
        output.WriteLine(string.Create(c, $"ratio D=100 / D=0 (medians): {Median(times[100]) / Median(times[0]):N2}"));
    }
}
