using System.Collections;

namespace Veil;

/// <summary>Builds <see cref="BatchItemResult{T}"/> values, for implementations of <see cref="IVeilOperations"/> and tests.</summary>
public static class BatchItemResult
{
    /// <summary>A successful item holding <paramref name="value"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="value">The item's result.</param>
    /// <returns>An item whose <see cref="BatchItemResult{T}.IsSuccess"/> is true.</returns>
    public static BatchItemResult<T> Success<T>(T value) => new(value);

    /// <summary>
    /// A failed item. Its message travels to callers (and, through the key service, over the wire): it must never
    /// contain key bytes or plaintext.
    /// </summary>
    /// <typeparam name="T">The result type the item would have had.</typeparam>
    /// <param name="error">Why the item failed.</param>
    /// <returns>An item whose <see cref="BatchItemResult{T}.IsSuccess"/> is false.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="error"/> is null.</exception>
    public static BatchItemResult<T> Failure<T>(Exception error) =>
        new(error ?? throw new ArgumentNullException(nameof(error)));
}

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

    /// <summary>
    /// A batch result holding <paramref name="items"/>, one per input in input order (for implementations of
    /// <see cref="IVeilOperations"/> and for tests).
    /// </summary>
    /// <param name="items">The items' outcomes, built with <see cref="BatchItemResult.Success{T}(T)"/> and
    /// <see cref="BatchItemResult.Failure{T}(Exception)"/>; copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    public BatchResult(IEnumerable<BatchItemResult<T>> items)
        : this((items ?? throw new ArgumentNullException(nameof(items))).ToArray())
    {
    }

    private BatchResult(BatchItemResult<T>[] items)
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
    internal static BatchResult<T> Run<TInput>(IReadOnlyList<TInput> inputs, Func<TInput, T> operation, Randomness.IRandomSource? randomness = null) =>
        Run(inputs.Count, i => operation(inputs[i]), randomness);

    /// <summary>
    /// <see cref="Run{TInput}(IReadOnlyList{TInput}, Func{TInput, T}, Randomness.IRandomSource?)"/> over the items
    /// 0 to <paramref name="count"/> − 1, by index.
    /// </summary>
    internal static BatchResult<T> Run(int count, Func<int, T> operation, Randomness.IRandomSource? randomness = null)
    {
        var items = new BatchItemResult<T>[count];
        void RunItem(int i)
        {
            try
            {
                items[i] = new BatchItemResult<T>(operation(i));
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                items[i] = new BatchItemResult<T>(e);
            }
        }

        if (randomness?.IsDeterministic == true)
        {
            for (int i = 0; i < count; i++)
            {
                RunItem(i);
            }
        }
        else
        {
            Parallel.For(0, count, RunItem);
        }

        return new BatchResult<T>(items);
    }
}
