using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Veil.Sealed;

/// <summary>
/// Produces items <c>0 … count − 1</c> chunk by chunk on a background task while the consumer (the inner collection's
/// upsert) takes the chunks before it, in order: sealing overlaps the store write, and at most
/// <see cref="WaitingChunks"/> produced chunks wait beside the one being consumed, so memory stays bounded whatever the
/// count.
/// </summary>
/// <remarks>
/// A failure of the producer ends the consumer's sequence with that exception after the chunks already produced;
/// cancellation ends it with <see cref="OperationCanceledException"/>. <see cref="Dispose"/> stops the producer and
/// waits for it.
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class ChunkPipeline<T> : IDisposable
{
    /// <summary>Chunks that may wait for the consumer: a few rather than one absorb the unevenness of the two sides.</summary>
    private const int WaitingChunks = 4;

    private readonly BlockingCollection<T[]> _chunks = new(boundedCapacity: WaitingChunks);
    private readonly CancellationTokenSource _stop;
    private readonly Task _producer;
    private ExceptionDispatchInfo? _failure;
    private int _enumerated;

    /// <param name="count">The number of items.</param>
    /// <param name="chunkSize">Items per chunk.</param>
    /// <param name="produce">Produces the items of the range (start, length), in order.</param>
    /// <param name="cancellationToken">Stops the pipeline.</param>
    public ChunkPipeline(int count, int chunkSize, Func<int, int, T[]> produce, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _producer = Task.Run(() => Produce(count, chunkSize, produce), CancellationToken.None);
    }

    /// <summary>The items in order; enumerate once.</summary>
    /// <exception cref="OperationCanceledException">The pipeline was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The items are enumerated a second time.</exception>
    public IEnumerable<T> Items()
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("The sealed records of an upsert can be read once only.");
        }

        foreach (T[] chunk in _chunks.GetConsumingEnumerable(_stop.Token))
        {
            foreach (T item in chunk)
            {
                yield return item;
            }
        }

        _failure?.Throw();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _producer.Wait();
        _chunks.Dispose();
        _stop.Dispose();
    }

    private void Produce(int count, int chunkSize, Func<int, int, T[]> produce)
    {
        try
        {
            for (int start = 0; start < count; start += chunkSize)
            {
                _stop.Token.ThrowIfCancellationRequested();
                _chunks.Add(produce(start, Math.Min(chunkSize, count - start)), _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The consumer stopped (or was cancelled); it reports why.
        }
        catch (Exception e)
        {
            _failure = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            _chunks.CompleteAdding();
        }
    }
}
