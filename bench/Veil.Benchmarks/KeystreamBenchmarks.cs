using BenchmarkDotNet.Attributes;
using Veil.Randomness;

namespace Veil.Benchmarks;

/// <summary>ChaCha20 keystream generation (the perturbation's PRF), vectorised against the scalar block function.</summary>
public class KeystreamBenchmarks
{
    private readonly uint[] _output = new uint[192 * ChaCha20.BlockWords];
    private ChaChaKey _key;

    [GlobalSetup]
    public void Setup() => _key = ChaChaKey.FromBytes(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    [Benchmark(Baseline = true, Description = "12 KiB, vectorised")]
    public void Vectorised() => ChaCha20.GenerateBlocks(_key, 0, _output);

    [Benchmark(Description = "12 KiB, scalar")]
    public void Scalar()
    {
        for (int block = 0; block < 192; block++)
        {
            ChaCha20.GenerateBlockScalar(_key, (ulong)block, _output.AsSpan(block * ChaCha20.BlockWords, ChaCha20.BlockWords));
        }
    }
}
