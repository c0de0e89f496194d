using Veil.Vectors;

namespace Veil.Tests.Vectors;

public sealed class ConstructionFloorWorkloadTests
{
    [Fact]
    public void Run_WhenTheLengthIsNotTheDimension_Throws()
    {
        using var workload = new ConstructionFloorWorkload(8);

        Assert.Throws<ArgumentException>(() => workload.Run(new float[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstructionFloorWorkload(0));
    }

    [Fact]
    public void Run_AfterDispose_ThrowsAndTheThrowawayKeyIsZeroed()
    {
        var workload = new ConstructionFloorWorkload(8);
        workload.Run(new float[8]);

        workload.Dispose();

        Assert.Throws<ObjectDisposedException>(() => workload.Run(new float[8]));
        Assert.Equal("ConstructionFloorWorkload (d = 8)", workload.ToString());
    }
}
