using System.Diagnostics;
using System.Globalization;
using Veil.Keys;
using Veil.Sealed;

namespace Veil.Benchmarks.Harness;

/// <summary>
/// Bytes held by a sealed index of n × 384 (random vectors, 36-character string keys) and the allocations of one chunked
/// snapshot: the figures of docs/sealed.md "Index memory at 10⁶ × 384".
/// </summary>
public static class SealedIndexMemoryBench
{
    /// <summary>The sizes measured by default: whole blocks of codes (16 384 rows).</summary>
    public static readonly IReadOnlyList<int> DefaultSizes = [32_768, 65_536];

    private const int Dimensions = 384;

    /// <summary>
    /// Builds one index up to the largest of <paramref name="sizes"/>, measuring the managed heap after a full collection
    /// before building and at each size (the queue drained first, so only the graph and its keys count); the growth
    /// between the last two sizes is the marginal cost per row, from which 10⁶ rows are extrapolated. Then writes one
    /// chunked snapshot of it and reports the bytes allocated meanwhile. Prints as it goes.
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

        long before = GC.GetTotalMemory(forceFullCollection: true);
        var build = Stopwatch.StartNew();
        using var index = new SealedVectorIndex<string>(Dimensions, new SealedIndexOptions { Seed = 1 });
        var random = new Random(7);
        float[] vector = new float[Dimensions];
        var measured = new List<(int N, long Bytes)>();
        for (int i = 0; i < ordered[^1]; i++)
        {
            for (int j = 0; j < Dimensions; j++)
            {
                vector[j] = (float)((random.NextDouble() * 2) - 1);
            }

            index.Upsert(new Guid(i, 0, 0, new byte[8]).ToString(), vector);
            if (ordered.Contains(i + 1))
            {
                await index.WaitForIndexingAsync().ConfigureAwait(false);
                long bytes = GC.GetTotalMemory(forceFullCollection: true) - before;
                measured.Add((i + 1, bytes));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"n={i + 1} d={Dimensions}: index {bytes:N0} B = {bytes / (double)(i + 1):N0} B/row; graph arrays {index.GraphBytes:N0} B; built in {build.Elapsed.TotalSeconds:N0} s so far"));
            }
        }

        if (measured.Count >= 2)
        {
            ((int n1, long b1), (int n2, long b2)) = (measured[^2], measured[^1]);
            double marginal = (b2 - b1) / (double)(n2 - n1);
            double million = b2 + (marginal * (1_000_000 - n2));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"marginal {marginal:N0} B/row between n={n1} and n={n2}; 10^6 rows ≈ {million:N0} B = {million / (1 << 30):N3} GiB"));
        }

        using var secret = Secret.Generate();
        using var keyring = new SealedKeyring(new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), secret)]), new TenantId("t"));
        var journal = new SealedIndexJournal<string>(keyring, "docs");
        long serialised = index.SerializedLength();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var storage = new DiscardingStorage();
        await journal.WriteSnapshotAsync(storage, 1, index, SealedCollectionOptions.DefaultSnapshotChunkBytes, CancellationToken.None).ConfigureAwait(false);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"snapshot: {serialised:N0} B serialised, {storage.Chunks} chunks of ≤ 4 MiB, {allocated:N0} B allocated while writing (largest live buffer: a few chunks)"));
    }

    /// <summary>Counts snapshot chunks and keeps none.</summary>
    private sealed class DiscardingStorage : ISealedIndexStorage
    {
        public int Chunks { get; private set; }

        public async Task WriteSnapshotAsync(long sequence, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default)
        {
            await foreach (ReadOnlyMemory<byte> _ in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
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
