using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.VectorData;
using Veil.Documents.Store;
using Veil.Keys;
using Veil.Sealed;
using Veil.Stores.DuckDb;

namespace Veil.Benchmarks.Harness;

/// <summary>
/// Bytes held by a sealed index of n × 384 (random vectors, 36-character string keys) and the allocations of one chunked
/// snapshot: the figures of docs/sealed.md "Index memory at 10⁶ × 384". Measured through the public API: a
/// <see cref="SealedVectorStoreCollection{TKey, TRecord}"/> over an in-memory DuckDB table (its rows live in DuckDB's
/// native memory, outside the managed heap) and <see cref="SealedVectorStoreCollection{TKey, TRecord}.IndexStatistics"/>.
/// </summary>
public static class SealedIndexMemoryBench
{
    /// <summary>The sizes measured by default: whole blocks of codes (16 384 rows).</summary>
    public static readonly IReadOnlyList<int> DefaultSizes = [32_768, 65_536];

    private const int Dimensions = 384;
    private const int Batch = 1024;

    /// <summary>
    /// Seals rows into one collection up to the largest of <paramref name="sizes"/>, measuring the managed heap after a
    /// full collection before the first row and at each size (the graph's queue drained first, and no vector kept by the
    /// bench, so the index and its keys are what grows); the growth between the last two sizes is the marginal cost per
    /// row, from which 10⁶ rows are extrapolated. Then writes one chunked snapshot and reports the bytes allocated
    /// meanwhile. Prints as it goes.
    /// </summary>
    public static async Task MeasureAsync(IReadOnlyList<int> sizes, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(output);
        int[] ordered = [.. sizes.Order()];
        if (ordered.Length == 0 || ordered[0] < 1)
        {
            throw new ArgumentException("At least one positive size is needed.", nameof(sizes));
        }

        using var secret = Secret.Generate();
        using var keyring = new SealedKeyring(new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), secret)]), new TenantId("t"));
        using var store = DuckDbVectorStore.CreateInMemory();
        var storage = new SnapshotCountingStorage();
        VectorStoreCollectionDefinition definition = VeilDocument.SealedDefinition(Dimensions);
        var options = new SealedCollectionOptions { Definition = definition, Index = new SealedIndexOptions { Seed = 1 } };
        using var collection = new SealedVectorStoreCollection<string, VeilDocument>(store.GetCollection<string, VeilDocument>("docs", definition), keyring, storage, options);
        await collection.EnsureCollectionExistsAsync().ConfigureAwait(false);
        await collection.LoadIndexAsync().ConfigureAwait(false);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var build = Stopwatch.StartNew();
        var random = new Random(7);
        var measured = new List<(int N, long Bytes)>();
        var batch = new List<VeilDocument>(Batch);
        for (int i = 0; i < ordered[^1]; i++)
        {
            float[] vector = new float[Dimensions];
            for (int j = 0; j < Dimensions; j++)
            {
                vector[j] = (float)((random.NextDouble() * 2) - 1);
            }

            batch.Add(new VeilDocument { Id = new Guid(i, 0, 0, new byte[8]).ToString(), Embedding = vector });
            if (batch.Count == Batch || ordered.Contains(i + 1) || i + 1 == ordered[^1])
            {
                await collection.UpsertAsync(batch).ConfigureAwait(false);
                batch.Clear();
            }

            if (ordered.Contains(i + 1))
            {
                await collection.WaitForIndexingAsync().ConfigureAwait(false);
                long bytes = GC.GetTotalMemory(forceFullCollection: true) - before;
                measured.Add((i + 1, bytes));
                SealedIndexStatistics statistics = collection.IndexStatistics!;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"n={statistics.Count} d={Dimensions}: index {bytes:N0} B = {bytes / (double)(i + 1):N0} B/row; graph arrays {statistics.GraphBytes:N0} B; built in {build.Elapsed.TotalSeconds:N0} s so far"));
            }
        }

        if (measured.Count >= 2)
        {
            ((int n1, long b1), (int n2, long b2)) = (measured[^2], measured[^1]);
            double marginal = (b2 - b1) / (double)(n2 - n1);
            double million = b2 + (marginal * (1_000_000 - n2));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"marginal {marginal:N0} B/row between n={n1} and n={n2}; 10^6 rows ≈ {million:N0} B = {million / (1 << 30):N3} GiB"));
        }

        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        await collection.SnapshotAsync().ConfigureAwait(false);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"snapshot: {storage.SnapshotBytes:N0} B sealed, {storage.Chunks} chunks of ≤ 4 MiB, {allocated:N0} B allocated while writing (largest live buffer: a few chunks)"));
    }

    /// <summary>Keeps the named records (the writer lease, the head) and counts snapshot chunks; keeps no chunk or log entry, so neither adds to the heap measured.</summary>
    private sealed class SnapshotCountingStorage : ISealedIndexStorage
    {
        private readonly Dictionary<string, byte[]> _records = [];

        public int Chunks { get; private set; }

        public long SnapshotBytes { get; private set; }

        public async Task WriteSnapshotAsync(long sequence, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default)
        {
            await foreach (ReadOnlyMemory<byte> chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                Chunks++;
                SnapshotBytes += chunk.Length;
            }
        }

        public IAsyncEnumerable<SealedIndexBlob> ReadSnapshotAsync(CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<SealedIndexBlob>();

        public Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public IAsyncEnumerable<SealedIndexBlob> ReadLogAsync(long afterSequence, CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<SealedIndexBlob>();

        public Task<byte[]?> ReadRecordAsync(string name, CancellationToken cancellationToken = default) =>
            Task.FromResult(_records.TryGetValue(name, out byte[]? data) ? data : null);

        public Task WriteRecordAsync(string name, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken = default)
        {
            if (data is { } bytes)
            {
                _records[name] = bytes.ToArray();
            }
            else
            {
                _records.Remove(name);
            }

            return Task.CompletedTask;
        }
    }
}
