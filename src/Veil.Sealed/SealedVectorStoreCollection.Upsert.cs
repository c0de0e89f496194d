using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Veil.Pipelines;

namespace Veil.Sealed;

/// <content>Upsert: records checked, then sealed on background threads while the inner collection writes them.</content>
public sealed partial class SealedVectorStoreCollection<TKey, TRecord>
{
    /// <summary>Records sealed per chunk of the upsert pipeline.</summary>
    private const int SealChunkRows = 4096;

    /// <summary>Threads sealing a chunk: all processors but one, which the store's write keeps busy.</summary>
    private static readonly int s_sealingThreads = Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>
    /// Seals copies of <paramref name="records"/> and upserts them (one change-log entry for the call). Every record is
    /// checked before anything is written; then the records are sealed chunk by chunk on background threads while the
    /// inner collection writes the chunks sealed before (the call's records never exist sealed all at once). When it
    /// returns, the rows and the log entry are written and the rows are found by searches; the graph inserts their
    /// vectors in the background. While the index's insertion queue is full
    /// (<see cref="SealedIndexOptions.MaxQueuedBytes"/>) the call waits, cancellably, before writing anything.
    /// The records must not change until it returns.
    /// </summary>
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A record has no key, or its vector is missing, of the wrong dimension, zero or not finite.</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var batch = new UpsertBatch();
        foreach (TRecord record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
            TKey key = _model.GetKey(record) is TKey k ? k : throw new ArgumentException("The sealed collection needs every record's key set before upsert.", nameof(records));
            ReadOnlyMemory<float> vector = _model.GetVector(record) is { } v && v.Length == _model.Dimensions
                ? v
                : throw new ArgumentException($"Vectors of this collection must have {_model.Dimensions} dimensions.", nameof(records));
            float norm = TensorPrimitives.Norm(vector.Span);
            if (!float.IsFinite(norm) || norm == 0f)
            {
                throw new ArgumentException("The vector contains NaN or infinity, or is zero.", nameof(records));
            }

            batch.Records.Add(record);
            batch.Keys.Add(key);
            batch.Vectors.Add(vector);
            batch.Norms.Add(norm);
        }

        if (batch.Keys.Count == 0)
        {
            return;
        }

        float[][] normalised = new float[batch.Keys.Count][];
        await WriteAsync(
            batch.Keys.Select(key => (SealedChange.Upsert, key)).ToList(),
            batch.Keys.Count,
            ct => WriteSealedAsync(batch, normalised, ct),
            index => index.UpsertNormalised(batch.Keys, normalised),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the sealed copies through the inner collection as they are sealed, and fills <paramref name="normalised"/> for the index.</summary>
    private async Task WriteSealedAsync(UpsertBatch batch, float[][] normalised, CancellationToken cancellationToken)
    {
        Task SealChunks(Action<TRecord[]> add, CancellationToken token)
        {
            for (int start = 0; start < batch.Keys.Count; start += SealChunkRows)
            {
                token.ThrowIfCancellationRequested();
                add(SealChunk(batch, normalised, start, Math.Min(SealChunkRows, batch.Keys.Count - start)));
            }

            return Task.CompletedTask;
        }

        using (var pipeline = new ChunkPipeline<TRecord>(SealChunks, cancellationToken))
        {
            await _inner.UpsertAsync(pipeline.Items(), cancellationToken).ConfigureAwait(false);
        }

        // A chunk the inner collection did not read (it stopped early without failing) still goes to the index.
        for (int i = 0; i < normalised.Length; i++)
        {
            normalised[i] ??= Normalised(batch, i);
        }
    }

    /// <summary>Seals the records of the range into copies (the vector column emptied) and normalises their vectors for the index.</summary>
    private TRecord[] SealChunk(UpsertBatch batch, float[][] normalised, int start, int count)
    {
        var sealedRecords = new TRecord[count];
        int parts = Math.Clamp(count / 512, 1, s_sealingThreads);
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            int from = start + (int)((long)count * part / parts);
            int to = start + (int)((long)count * (part + 1) / parts);
            using var sealer = new SealedBoxSealer(_keys, SealedKind.Vector, _inner.Name);
            int boxLength = SealedBox.Overhead + (_model.Dimensions * sizeof(float));
            for (int i = from; i < to; i++)
            {
                byte[] box = new byte[boxLength];
                sealer.Seal(RecordKeyCodec<TKey>.Encode(batch.Keys[i]), MemoryMarshal.AsBytes(batch.Vectors[i].Span), box);
                TRecord copy = SealedRecordModel<TRecord>.Clone(batch.Records[i]);
                _model.SetSealed(copy, box);
                _model.SetVector(copy, null);
                sealedRecords[i - start] = copy;
                normalised[i] = Normalised(batch, i);
            }
        });

        return sealedRecords;
    }

    private static float[] Normalised(UpsertBatch batch, int i)
    {
        float[] unit = new float[batch.Vectors[i].Length];
        TensorPrimitives.Divide(batch.Vectors[i].Span, batch.Norms[i], unit);
        return unit;
    }

    /// <summary>The checked records of one upsert call, with their keys, vectors (not copied) and norms.</summary>
    private sealed class UpsertBatch
    {
        public List<TRecord> Records { get; } = [];

        public List<TKey> Keys { get; } = [];

        public List<ReadOnlyMemory<float>> Vectors { get; } = [];

        public List<float> Norms { get; } = [];
    }
}
