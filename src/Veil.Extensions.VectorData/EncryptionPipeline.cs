using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Veil.Extensions.VectorData;

/// <summary>
/// Encrypts a sequence of records chunk by chunk on a background task while the consumer (the inner collection's
/// upsert) stores the chunks before it: input order is kept, and at most a few encrypted chunks wait beside the one being
/// stored, so a sequence of any length passes through bounded memory.
/// </summary>
/// <remarks>
/// The source sequence is read on the background task only. A failure there (in the source or in encryption) ends the
/// consumer's sequence with that exception, after the chunks already encrypted; cancellation ends it with
/// <see cref="OperationCanceledException"/>. <see cref="Dispose"/> stops the background task and waits for it, so the
/// source is no longer in use once the pipeline is disposed.
/// </remarks>
/// <typeparam name="TRecord">The record type.</typeparam>
internal sealed class EncryptionPipeline<TRecord> : IDisposable
{
    /// <summary>
    /// Encrypted chunks that may wait for the consumer. Four rather than one absorb the unevenness of the two sides
    /// (DuckDB appends and parallel encryption share the cores): at 245 760 × 384 the store waited 0.18 s for
    /// encryption instead of 0.5 s, and ingest ran ~7 % faster (47 200 against 44 200 vectors/s, mean of four
    /// alternating runs each). Memory: four chunks of <see cref="EncryptingVectorStoreCollection{TKey, TRecord}.PipelineChunkRows"/> records.
    /// </summary>
    private const int WaitingChunks = 4;

    private readonly BlockingCollection<TRecord[]> _encrypted = new(boundedCapacity: WaitingChunks);
    private readonly CancellationTokenSource _stop;
    private readonly Task _producer;

    /// <param name="records">The plaintext records, read once.</param>
    /// <param name="chunkRows">Records per encrypted chunk.</param>
    /// <param name="encrypt">Encrypts a chunk, returning the encrypted copies in the same order.</param>
    /// <param name="cancellationToken">Stops the pipeline.</param>
    public EncryptionPipeline(IEnumerable<TRecord> records, int chunkRows, Func<TRecord[], CancellationToken, Task<TRecord[]>> encrypt, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _producer = Task.Run(() => ProduceAsync(records, chunkRows, encrypt), CancellationToken.None);
    }

    /// <summary>Gets the failure of the background task, once it has failed.</summary>
    public ExceptionDispatchInfo? Failure { get; private set; }

    /// <summary>The encrypted records, in input order; enumerate once.</summary>
    /// <exception cref="OperationCanceledException">The pipeline was cancelled.</exception>
    public IEnumerable<TRecord> Encrypted()
    {
        foreach (TRecord[] chunk in _encrypted.GetConsumingEnumerable(_stop.Token))
        {
            foreach (TRecord record in chunk)
            {
                yield return record;
            }
        }

        Failure?.Throw();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _producer.Wait();
        _encrypted.Dispose();
        _stop.Dispose();
    }

    private async Task ProduceAsync(IEnumerable<TRecord> records, int chunkRows, Func<TRecord[], CancellationToken, Task<TRecord[]>> encrypt)
    {
        try
        {
            var chunk = new List<TRecord>(chunkRows);
            foreach (TRecord record in records)
            {
                chunk.Add(record);
                if (chunk.Count == chunkRows)
                {
                    _encrypted.Add(await encrypt([.. chunk], _stop.Token).ConfigureAwait(false), _stop.Token);
                    chunk.Clear();
                }
            }

            if (chunk.Count != 0)
            {
                _encrypted.Add(await encrypt([.. chunk], _stop.Token).ConfigureAwait(false), _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The consumer stopped (or was cancelled); it reports why.
        }
        catch (Exception e)
        {
            Failure = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            _encrypted.CompleteAdding();
        }
    }
}
