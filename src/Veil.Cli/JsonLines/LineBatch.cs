namespace Veil.Cli.JsonLines;

/// <summary>Helpers that fill a chunk's outcomes from the core's batch results or from per-item calls.</summary>
internal static class LineBatch
{
    /// <summary>
    /// Runs <paramref name="operation"/> on each request: in parallel, or one at a time in input order when
    /// <paramref name="inOrder"/> (so that a seeded client draws its randomness in input order).
    /// </summary>
    public static void Each<TRequest, TResult>(
        IReadOnlyList<TRequest> requests, LineOutcome<TResult>[] outcomes, Func<TRequest, TResult> operation, bool inOrder)
    {
        if (inOrder)
        {
            for (int i = 0; i < requests.Count; i++)
            {
                outcomes[i] = Invoke(requests[i], operation);
            }
        }
        else
        {
            Parallel.For(0, requests.Count, i => outcomes[i] = Invoke(requests[i], operation));
        }
    }

    /// <summary>
    /// Copies a core batch result into the outcomes. If the batch call itself throws (for example the secret path
    /// is not configured), every line of the chunk fails with that error.
    /// </summary>
    public static void FromBatch<TValue, TResult>(
        LineOutcome<TResult>[] outcomes, Func<BatchResult<TValue>> batch, Func<TValue, TResult> map)
    {
        BatchResult<TValue> results;
        try
        {
            results = batch();
        }
#pragma warning disable CA1031 // A failure of the whole batch becomes an error line for each of its items.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Array.Fill(outcomes, LineOutcome<TResult>.Failure(e));
            return;
        }

        for (int i = 0; i < outcomes.Length; i++)
        {
            BatchItemResult<TValue> item = results[i];
            outcomes[i] = item.IsSuccess
                ? LineOutcome<TResult>.Success(map(item.Value!))
                : LineOutcome<TResult>.Failure(item.Error!);
        }
    }

    /// <summary>Copies a core batch result whose values are the results.</summary>
    public static void FromBatch<TResult>(LineOutcome<TResult>[] outcomes, Func<BatchResult<TResult>> batch) =>
        FromBatch(outcomes, batch, static value => value);

    private static LineOutcome<TResult> Invoke<TRequest, TResult>(TRequest request, Func<TRequest, TResult> operation)
    {
        try
        {
            return LineOutcome<TResult>.Success(operation(request));
        }
#pragma warning disable CA1031 // Any failure of one line becomes that line's error; the others carry on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return LineOutcome<TResult>.Failure(e);
        }
    }
}
