namespace Veil.Tests.Operations;

public sealed class BatchResultFactoryTests
{
    [Fact]
    public void Constructor_WithSuccessesAndFailures_KeepsOrderAndCounts()
    {
        var error = new ArgumentException("bad item");

        var batch = new BatchResult<string>([BatchItemResult.Success<string>("a"), BatchItemResult.Failure<string>(error), BatchItemResult.Success<string>("c")]);

        Assert.Equal(3, batch.Count);
        Assert.Equal((2, 1), (batch.SuccessCount, batch.FailureCount));
        Assert.Equal(["a", null, "c"], batch.Select(item => item.Value));
        Assert.Same(error, batch[1].Error);
        Assert.False(batch[1].IsSuccess);
    }

    [Fact]
    public void Constructor_CopiesTheItems_SoLaterChangesToTheSourceDoNotShow()
    {
        BatchItemResult<int>[] source = [BatchItemResult.Success<int>(1)];

        var batch = new BatchResult<int>(source);
        source[0] = BatchItemResult.Failure<int>(new InvalidOperationException());

        Assert.True(batch[0].IsSuccess);
        Assert.Equal(0, batch.FailureCount);
    }

    [Fact]
    public void Factories_WhenGivenNull_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => BatchItemResult.Failure<int>(null!));
        Assert.Throws<ArgumentNullException>(() => new BatchResult<int>(null!));
    }

    [Fact]
    public void Success_OfAnExceptionValue_IsASuccess()
    {
        var value = new InvalidOperationException();

        BatchItemResult<Exception> item = BatchItemResult.Success<Exception>(value);

        Assert.True(item.IsSuccess);
        Assert.Same(value, item.Value);
    }
}
