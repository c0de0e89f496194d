namespace Veil.Tests.Support;

/// <summary>Compares a batch with the same inputs run one at a time through the single-item method.</summary>
internal static class BatchAssert
{
    /// <summary>
    /// Asserts that every item of <paramref name="batch"/> has the outcome <paramref name="single"/> gives its input:
    /// an equal value (by <paramref name="assertEqual"/>), or an error of the same type and message.
    /// </summary>
    /// <returns>The number of inputs that failed.</returns>
    public static int EqualsOneAtATime<TInput, T>(
        IReadOnlyList<TInput> inputs, BatchResult<T> batch, Func<TInput, T> single, Action<T, T> assertEqual)
    {
        Assert.Equal(inputs.Count, batch.Count);
        int failures = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            T? expected = default;
            Exception? expectedError = null;
            try
            {
                expected = single(inputs[i]);
            }
            catch (Exception e)
            {
                expectedError = e;
            }

            if (expectedError is null)
            {
                Assert.True(batch[i].IsSuccess, $"item {i} failed in the batch: {batch[i].Error?.Message}");
                assertEqual(expected!, batch[i].Value!);
            }
            else
            {
                failures++;
                Assert.False(batch[i].IsSuccess, $"item {i} succeeded in the batch but not alone");
                Assert.IsType(expectedError.GetType(), batch[i].Error);
                Assert.Equal(expectedError.Message, batch[i].Error!.Message);
            }
        }

        Assert.Equal(failures, batch.FailureCount);
        return failures;
    }
}
