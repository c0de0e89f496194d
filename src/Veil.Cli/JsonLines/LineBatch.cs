namespace Veil.Cli.JsonLines;

/// <summary>Fills a chunk's outcomes from the core's batch results.</summary>
internal static class LineBatch
{
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
}
