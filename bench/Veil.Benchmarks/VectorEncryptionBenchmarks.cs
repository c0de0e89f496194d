using BenchmarkDotNet.Attributes;
using Veil.Keys;
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
    private Secret _secret = null!;
    private VeilClient _client = null!;
    private VectorEncryptor _encryptor = null!;
    private float[] _plaintext = null!;
    private float[] _ciphertext = null!;
    private byte[] _info = null!;
    private float[] _decrypted = null!;
    private uint[] _keystream = null!;
    private byte[] _tag = null!;

    [Params(384, 768, 1536, 2048)]
    public int Dimensions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _secret = new Secret(Enumerable.Repeat((byte)1, 64).ToArray());
        var config = new VeilConfiguration(vector: new Dictionary<SecretPath, VectorSecret>
        {
            [new SecretPath("bench")] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), _secret))),
        });
        _client = new VeilClient(config);
        _encryptor = _client.Vector.GetEncryptor(new SecretPath("bench"), new DerivationPath("model"), new TenantId("tenant"));
        var random = new Random(20261123);
        _plaintext = Enumerable.Range(0, Dimensions).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        _ciphertext = new float[Dimensions];
        _decrypted = new float[Dimensions];
        _info = new byte[VectorEncryptor.PairedIclInfoLength];
        _encryptor.Encrypt(_plaintext, _ciphertext, _info);
        _keystream = new uint[ConstructionFloor.KeystreamWords(Dimensions)];
        _tag = new byte[32];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _secret.Dispose();
    }

    [Benchmark]
    public void Encrypt() => _encryptor.Encrypt(_plaintext, _ciphertext, _info);

    [Benchmark]
    public bool Decrypt() => _encryptor.TryDecrypt(_ciphertext, _info, _decrypted);

    [Benchmark(Baseline = true)]
    public void Floor() => ConstructionFloor.Run(_encryptor.Key, _ciphertext, _keystream, _tag);
}
