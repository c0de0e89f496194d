using BenchmarkDotNet.Attributes;
using Veil.Keys;

namespace Veil.Benchmarks;

/// <summary>
/// Single-vector encrypt and decrypt at d = 384 under Alloy's permutation (the baseline) and under the structured
/// rotation key transform (three rounds of keyed signs, block Walsh–Hadamard and permutations before
/// Scale-And-Perturb): what the opt-in transform costs per vector.
/// </summary>
[MemoryDiagnoser]
public class KeyTransformBenchmarks
{
    private SingleVectorFixture _fixture = null!;

    [Params(VectorKeyTransform.AlloyPermutation, VectorKeyTransform.StructuredRotation)]
    public VectorKeyTransform Transform { get; set; }

    [Params(384)]
    public int Dimensions { get; set; }

    [GlobalSetup]
    public void Setup() => _fixture = new SingleVectorFixture(Dimensions, seed: 20261205, Transform);

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();

    [Benchmark]
    public void Encrypt() => _fixture.Encryptor.Encrypt(_fixture.Plaintext, _fixture.Ciphertext, _fixture.Info);

    [Benchmark]
    public bool Decrypt() => _fixture.Encryptor.TryDecrypt(_fixture.Ciphertext, _fixture.Info, _fixture.Decrypted);
}
