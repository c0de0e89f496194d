using BenchmarkDotNet.Attributes;
using Veil.Randomness;
using Veil.Vectors;

namespace Veil.Benchmarks;

/// <summary>
/// Single-vector encrypt and decrypt against the construction floor: the ChaCha20 keystream the sampler consumes
/// (8·d bytes) plus HMAC-SHA256 over the 4·d ciphertext bytes. Alloy's Rust core: 17.6 µs at d = 384, 61.5 µs at
/// d = 1536 (2019 laptop).
/// </summary>
[MemoryDiagnoser]
public class VectorEncryptionBenchmarks
{
    private SingleVectorFixture _fixture = null!;
    private uint[] _keystream = null!;
    private byte[] _tag = null!;

    [Params(384, 768, 1536, 2048)]
    public int Dimensions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fixture = new SingleVectorFixture(Dimensions, seed: 20261123);
        _keystream = new uint[ConstructionFloor.KeystreamWords(Dimensions)];
        _tag = new byte[32];
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();

    [Benchmark]
    public void Encrypt() => _fixture.Encryptor.Encrypt(_fixture.Plaintext, _fixture.Ciphertext, _fixture.Info);

    [Benchmark]
    public bool Decrypt() => _fixture.Encryptor.TryDecrypt(_fixture.Ciphertext, _fixture.Info, _fixture.Decrypted);

    [Benchmark(Baseline = true)]
    public void Floor() => ConstructionFloor.Run(_fixture.Encryptor.Key, _fixture.Ciphertext, _keystream, _tag);
}
