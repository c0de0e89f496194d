using Veil.Keys;
using Veil.Vectors;

namespace Veil.Benchmarks;

/// <summary>
/// What the single-vector benchmarks share: a client with one β = 2.5 vector secret (fixed key bytes, the key transform
/// asked for), its encryptor, a seeded plaintext of <c>d</c> floats in [−1, 1), and its ciphertext and paired ICL info
/// already computed, with a buffer to decrypt into.
/// </summary>
internal sealed class SingleVectorFixture : IDisposable
{
    private readonly Secret _secret = new(Enumerable.Repeat((byte)1, 64).ToArray());
    private readonly VeilClient _client;

    public SingleVectorFixture(int dimensions, int seed, VectorKeyTransform transform = VectorKeyTransform.AlloyPermutation)
    {
        _client = new VeilClient(new VeilConfiguration(vector: new Dictionary<SecretPath, VectorSecret>
        {
            [new SecretPath("bench")] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), _secret))) { KeyTransform = transform },
        }));
        Encryptor = _client.Vector.GetEncryptor(new SecretPath("bench"), new DerivationPath("model"), new TenantId("tenant"));
        var random = new Random(seed);
        Plaintext = Enumerable.Range(0, dimensions).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        Encryptor.Encrypt(Plaintext, Ciphertext = new float[dimensions], Info = new byte[VectorEncryptor.PairedIclInfoLength]);
        Decrypted = new float[dimensions];
    }

    public VectorEncryptor Encryptor { get; }

    public float[] Plaintext { get; }

    public float[] Ciphertext { get; }

    public byte[] Info { get; }

    public float[] Decrypted { get; }

    public void Dispose()
    {
        _client.Dispose();
        _secret.Dispose();
    }
}
