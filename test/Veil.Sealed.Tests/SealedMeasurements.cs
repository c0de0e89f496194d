using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.VectorData;
using Veil.Keys;
using Veil.Stores.DuckDb;
using Xunit.Abstractions;

namespace Veil.Sealed.Tests;

/// <summary>Runs only with VEIL_SEALED_MEASURE=1 (minutes, not a unit test): the numbers docs/sealed.md reports.</summary>
public sealed class MeasurementFactAttribute : FactAttribute
{
    public MeasurementFactAttribute() =>
        Skip = Environment.GetEnvironmentVariable("VEIL_SEALED_MEASURE") == "1" ? null : "A measurement: set VEIL_SEALED_MEASURE=1 to run it.";
}

/// <summary>A 384-dimensional record, as the MiniLM corpus has.</summary>
public sealed class Doc384
{
    [VectorStoreKey]
    public string Id { get; set; } = string.Empty;

    [VectorStoreVector(384, DistanceFunction = DistanceFunction.CosineSimilarity)]
    public ReadOnlyMemory<float>? Embedding { get; set; }

    [VectorStoreData]
    [SealedVector(nameof(Embedding))]
    public string? SealedEmbedding { get; set; }
}

/// <summary>Index memory at scale, snapshot allocations, and the cost of decoy keys.</summary>
public sealed class SealedMeasurements(ITestOutputHelper output)
{
    private const int Dimensions = 384;
    private const string Corpus = "/work/corpus/debian/embeddings.bin";

    /// <summary>
    /// Bytes held by an index of n × 384 (random vectors, 36-character string keys), measured as the managed heap after
    /// a full collection, before building and at each size of VEIL_SEALED_MEMORY_N (comma-separated, default
    /// "32768,65536": whole blocks of codes); the growth between the last two sizes is the marginal cost per row, from
    /// which 10⁶ rows are extrapolated. Then one chunked snapshot of the largest.
    /// </summary>
    [MeasurementFact]
    public async Task IndexMemory_PerRow_AndSnapshotAllocations()
    {
        int[] sizes = (Environment.GetEnvironmentVariable("VEIL_SEALED_MEMORY_N") ?? "32768,65536")
            .Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).Order().ToArray();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var build = Stopwatch.StartNew();
        using var index = new SealedVectorIndex<string>(Dimensions, new SealedIndexOptions { Seed = 1 });
        var random = new Random(7);
        float[] vector = new float[Dimensions];
        var measured = new List<(int N, long Bytes)>();
        for (int i = 0; i < sizes[^1]; i++)
        {
            for (int j = 0; j < Dimensions; j++)
            {
                vector[j] = (float)((random.NextDouble() * 2) - 1);
            }

            index.Upsert(new Guid(i, 0, 0, new byte[8]).ToString(), vector);
            if (sizes.Contains(i + 1))
            {
                long bytes = GC.GetTotalMemory(forceFullCollection: true) - before;
                measured.Add((i + 1, bytes));
                output.WriteLine($"n={i + 1} d={Dimensions}: index {bytes:N0} B = {bytes / (double)(i + 1):N0} B/row; graph arrays {index.GraphBytes:N0} B; build so far {build.Elapsed.TotalSeconds:N0} s");
            }
        }

        if (measured.Count >= 2)
        {
            ((int n1, long b1), (int n2, long b2)) = (measured[^2], measured[^1]);
            double marginal = (b2 - b1) / (double)(n2 - n1);
            double million = b2 + (marginal * (1_000_000 - n2));
            output.WriteLine($"marginal {marginal:N0} B/row between n={n1} and n={n2}; 10^6 rows ≈ {million:N0} B = {million / (1 << 30):N3} GiB");
        }

        using var secret = Secret.Generate();
        using var keyring = new SealedKeyring(new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), secret)]), new TenantId("t"));
        var journal = new SealedIndexJournal<string>(keyring, "docs");
        long serialised = index.SerializedLength();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var storage = new DiscardingStorage();
        await journal.WriteSnapshotAsync(storage, 1, index, SealedCollectionOptions.DefaultSnapshotChunkBytes, CancellationToken.None);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine($"snapshot: {serialised:N0} B serialised, {storage.Chunks} chunks of ≤ 4 MiB, {allocated:N0} B allocated while writing (largest live buffer: a few chunks)");
        Assert.NotEmpty(measured);
    }

    /// <summary>K′ = 100 over DuckDB (in memory) with D = 0 and D = 100 decoys, on the first 20 000 real MiniLM rows.</summary>
    [MeasurementFact]
    public async Task DecoyKeys_Cost()
    {
        int n = 20_000;
        float[][] rows = ReadCorpus(n + 200);
        using var secret = Secret.Generate();
        using var keyring = new SealedKeyring(new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), secret)]), new TenantId("t"));
        using var store = DuckDbVectorStore.CreateInMemory();
        var storage = new InMemorySealedIndexStorage();
        using var plain = new SealedVectorStoreCollection<string, Doc384>(
            store.GetCollection<string, Doc384>("docs"), keyring, storage, new SealedCollectionOptions { Index = new SealedIndexOptions { Seed = 3 } });
        await plain.EnsureCollectionExistsAsync();
        for (int start = 0; start < n; start += 2000)
        {
            await plain.UpsertAsync(Enumerable.Range(start, 2000).Select(i => new Doc384 { Id = $"row-{i}", Embedding = rows[i] }));
        }

        await plain.SnapshotAsync();
        using var none = new SealedVectorStoreCollection<string, Doc384>(
            store.GetCollection<string, Doc384>("docs"), keyring, storage, new SealedCollectionOptions { Index = new SealedIndexOptions { Seed = 3 } });
        using var decoyed = new SealedVectorStoreCollection<string, Doc384>(
            store.GetCollection<string, Doc384>("docs"), keyring, storage, new SealedCollectionOptions { DecoyKeys = 100, Index = new SealedIndexOptions { Seed = 3 } });
        await none.SearchAsync(rows[n], 10).ToListAsync();
        await decoyed.SearchAsync(rows[n], 10).ToListAsync();

        // Interleaved, one query at a time, medians: the machine is shared, so neither setting gets a quieter minute.
        var times = new Dictionary<int, List<double>> { [0] = [], [100] = [] };
        for (int round = 0; round < 2; round++)
        {
            for (int q = n; q < n + 200; q++)
            {
                foreach ((int decoys, SealedVectorStoreCollection<string, Doc384> collection) in new (int, SealedVectorStoreCollection<string, Doc384>)[] { (0, none), (100, decoyed) })
                {
                    long start = Stopwatch.GetTimestamp();
                    await collection.SearchAsync(rows[q], 10).ToListAsync();
                    times[decoys].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
        }

        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        output.WriteLine($"n={n} real MiniLM rows, DuckDB in memory, K'=100, 400 queries each, interleaved");
        output.WriteLine($"D=0: median {Median(times[0]):N2} ms/query, 100 rows fetched");
        output.WriteLine($"D=100: median {Median(times[100]):N2} ms/query, 200 rows fetched");
        output.WriteLine($"ratio D=100 / D=0 (medians): {Median(times[100]) / Median(times[0]):N2}");
        Assert.Equal(400, times[100].Count);
    }

    private static float[][] ReadCorpus(int count)
    {
        byte[] bytes = new byte[count * Dimensions * sizeof(float)];
        using (FileStream file = File.OpenRead(Corpus))
        {
            file.ReadExactly(bytes);
        }

        float[] all = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        return Enumerable.Range(0, count).Select(i => all.AsSpan(i * Dimensions, Dimensions).ToArray()).ToArray();
    }

    /// <summary>Counts snapshot chunks and keeps none.</summary>
    private sealed class DiscardingStorage : ISealedIndexStorage
    {
        public int Chunks { get; private set; }

        public async Task WriteSnapshotAsync(long sequence, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default)
        {
            await foreach (ReadOnlyMemory<byte> _ in chunks.WithCancellation(cancellationToken))
            {
                Chunks++;
            }
        }

        public IAsyncEnumerable<SealedIndexBlob> ReadSnapshotAsync(CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<SealedIndexBlob>();

        public Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public IAsyncEnumerable<SealedIndexBlob> ReadLogAsync(long afterSequence, CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<SealedIndexBlob>();

        public Task<byte[]?> ReadRecordAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult<byte[]?>(null);

        public Task WriteRecordAsync(string name, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}
