using BenchmarkDotNet.Attributes;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Benchmarks;

/// <summary>
/// Single-vector encrypt and decrypt at d = 384 under Alloy's permutation (the baseline) and under the structured
/// rotation key transform (three rounds of keyed signs, block Walsh–Hadamard and permutations before
/// Scale-And-Perturb): what the opt-in transform costs per vector.
/// </summary>
[MemoryDiagnoser]
public class KeyTransformBenchmarks
{
    private Secret _secret = null!;
    private VeilClient _client = null!;
    private VectorEncryptor _encryptor = null!;
    private float[] _plaintext = null!;
    private float[] _ciphertext = null!;
    private byte[] _info = null!;
    private float[] _decrypted = null!;

    [Params(VectorKeyTransform.AlloyPermutation, VectorKeyTransform.StructuredRotation)]
    public VectorKeyTransform Transform { get; set; }

    [Params(384)]
    public int Dimensions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _secret = new Secret(Enumerable.Repeat((byte)1, 64).ToArray());
        var config = new VeilConfiguration(vector: new Dictionary<SecretPath, VectorSecret>
        {
            [new SecretPath("bench")] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), _secret))) { KeyTransform = Transform },
        });
        _client = new VeilClient(config);
        _encryptor = _client.Vector.GetEncryptor(new SecretPath("bench"), new DerivationPath("model"), new TenantId("tenant"));
        var random = new Random(20261205);
        _plaintext = Enumerable.Range(0, Dimensions).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        _ciphertext = new float[Dimensions];
        _decrypted = new float[Dimensions];
        _info = new byte[VectorEncryptor.PairedIclInfoLength];
        _encryptor.Encrypt(_plaintext, _ciphertext, _info);
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
}
