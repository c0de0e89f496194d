using System.Collections;

namespace Veil;

/// <summary>The outcome of one item of a batch: a value or the error that item met.</summary>
/// <typeparam name="T">The result type.</typeparam>
public readonly struct BatchItemResult<T>
{
    internal BatchItemResult(T value)
    {
        Value = value;
        Error = null;
    }

    internal BatchItemResult(Exception error)
    {
        Value = default;
        Error = error;
    }

    /// <summary>The result, when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>Why the item failed, when it did. Messages never contain key bytes or plaintext.</summary>
    public Exception? Error { get; }

    /// <summary>Whether the item succeeded.</summary>
    public bool IsSuccess => Error is null;
}

/// <summary>
/// The results of a batch operation, in input order. Batches are not all-or-nothing: one bad item fails alone and
/// the others still succeed.
/// </summary>
/// <typeparam name="T">The result type.</typeparam>
public sealed class BatchResult<T> : IReadOnlyList<BatchItemResult<T>>
{
    private readonly BatchItemResult<T>[] _items;

    internal BatchResult(BatchItemResult<T>[] items)
    {
        _items = items;
        foreach (BatchItemResult<T> item in items)
        {
            if (!item.IsSuccess)
            {
                FailureCount++;
            }
        }
    }

    /// <summary>The number of items that failed.</summary>
    public int FailureCount { get; }

    /// <summary>The number of items that succeeded.</summary>
    public int SuccessCount => _items.Length - FailureCount;

    /// <inheritdoc/>
    public int Count => _items.Length;

    /// <inheritdoc/>
    public BatchItemResult<T> this[int index] => _items[index];

    /// <inheritdoc/>
    public IEnumerator<BatchItemResult<T>> GetEnumerator() => ((IEnumerable<BatchItemResult<T>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Runs <paramref name="operation"/> over every input in parallel, collecting per-item failures. When
    /// <paramref name="randomness"/> is deterministic (the insecure seeded test mode) the items run one after another
    /// instead, so that each draws its IVs and keys in input order and the output is reproducible.
    /// </summary>
    internal static BatchResult<T> Run<TInput>(IReadOnlyList<TInput> inputs, Func<TInput, T> operation, Randomness.IRandomSource? randomness = null)
    {
        var items = new BatchItemResult<T>[inputs.Count];
        void RunItem(int i)
        {
            try
            {
                items[i] = new BatchItemResult<T>(operation(inputs[i]));
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                items[i] = new BatchItemResult<T>(e);
            }
        }

        if (randomness?.IsDeterministic == true)
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                RunItem(i);
            }
        }
        else
        {
            Parallel.For(0, inputs.Count, RunItem);
        }

        return new BatchResult<T>(items);
    }
}
