using System.Globalization;
using System.Text.RegularExpressions;

namespace Veil.Benchmarks.Harness.Tests;

/// <summary><see cref="SealedIndexMemoryBench"/> through the sealed collection's public API, on small sizes.</summary>
public sealed class SealedIndexMemoryBenchTests
{
    [Fact]
    public async Task MeasureAsync_ReportsEachSizeTheMarginalCostAndOneChunkedSnapshot()
    {
        using var output = new StringWriter();

        await SealedIndexMemoryBench.MeasureAsync([300, 600], output);

        string report = output.ToString();
        Assert.Contains("n=300 d=384: index ", report, StringComparison.Ordinal);
        Assert.Contains("n=600 d=384: index ", report, StringComparison.Ordinal);
        Assert.Contains("between n=300 and n=600", report, StringComparison.Ordinal);
        Match graph = Regex.Match(report, @"n=600 d=384: .*graph arrays ([0-9,]+) B");
        Assert.True(graph.Success, report);
        Assert.True(long.Parse(graph.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) > 600L * 384, report);

        // 600 int8 codes of 384 plus links and keys: under one 4 MiB chunk, so exactly one, of more than the codes' bytes.
        Match snapshot = Regex.Match(report, @"snapshot: ([0-9,]+) B sealed, (\d+) chunks");
        Assert.True(snapshot.Success, report);
        Assert.Equal("1", snapshot.Groups[2].Value);
        Assert.True(long.Parse(snapshot.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) > 600L * 384, report);
    }
}
