using Veil.Insecure;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Evaluation;

/// <summary>What the battery encrypts with: Scale-And-Perturb at one β, or the identity (the plaintext upper bound).</summary>
internal abstract class VectorTransform : IDisposable
{
    /// <summary>Fresh one-way encryptions of the rows (new noise on every call).</summary>
    public abstract float[][] Encrypt(IReadOnlyList<float[]> rows);

    /// <summary>Encrypts the rows and decrypts them again on the key holder's side: (ciphertexts, decrypted).</summary>
    public abstract (float[][] Ciphertexts, float[][] Decrypted) EncryptAndDecrypt(IReadOnlyList<float[]> rows);

    /// <summary>
    /// For each ciphertext coordinate j, the plaintext coordinate it carries (the truth L4 is scored against), as the
    /// key holder measures it: the largest coordinate of the average of 8 encryptions of each basis vector.
    /// </summary>
    public int[] CoordinateMap(int dimensions)
    {
        float[][] basis = Enumerable.Range(0, dimensions).Select(k =>
        {
            float[] e = new float[dimensions];
            e[k] = 1;
            return e;
        }).ToArray();
        var sums = new float[dimensions][];
        for (int k = 0; k < dimensions; k++)
        {
            sums[k] = new float[dimensions];
        }

        for (int t = 0; t < 8; t++)
        {
            float[][] encrypted = Encrypt(basis);
            for (int k = 0; k < dimensions; k++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(sums[k], encrypted[k], sums[k]);
            }
        }

        int[] map = new int[dimensions];
        for (int k = 0; k < dimensions; k++)
        {
            map[System.Numerics.Tensors.TensorPrimitives.IndexOfMax(sums[k])] = k;
        }

        return map;
    }

    /// <summary>
    /// The key's linear part as the key holder measures it: the orthogonal T (nearest, by SVD, to the average of 32
    /// encryptions of each basis vector, column by column) with c ≈ s·T·m + noise; Tᵀ·c is the key-known recovery.
    /// </summary>
    public MathNet.Numerics.LinearAlgebra.Matrix<double> KeyMap(int dimensions)
    {
        float[][] basis = Enumerable.Range(0, dimensions).Select(k =>
        {
            float[] e = new float[dimensions];
            e[k] = 1;
            return e;
        }).ToArray();
        var sum = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(dimensions, dimensions);
        for (int t = 0; t < 32; t++)
        {
            float[][] encrypted = Encrypt(basis);
            for (int k = 0; k < dimensions; k++)
            {
                for (int j = 0; j < dimensions; j++)
                {
                    sum[j, k] += encrypted[k][j];
                }
            }
        }

        MathNet.Numerics.LinearAlgebra.Factorization.Svd<double> svd = sum.Svd(computeVectors: true);
        return svd.U * svd.VT;
    }

    public virtual void Dispose()
    {
    }

    protected static float[] Flatten(IReadOnlyList<float[]> rows, int d)
    {
        float[] flat = new float[rows.Count * d];
        for (int i = 0; i < rows.Count; i++)
        {
            rows[i].CopyTo(flat, i * d);
        }

        return flat;
    }

    protected static float[][] Split(float[] flat, int rows, int d)
    {
        var result = new float[rows][];
        for (int i = 0; i < rows; i++)
        {
            result[i] = flat.AsSpan(i * d, d).ToArray();
        }

        return result;
    }
}

/// <summary>No encryption: every attack at full strength, every utility metric at its best.</summary>
internal sealed class IdentityTransform : VectorTransform
{
    public override float[][] Encrypt(IReadOnlyList<float[]> rows) => rows.Select(r => (float[])r.Clone()).ToArray();

    public override (float[][] Ciphertexts, float[][] Decrypted) EncryptAndDecrypt(IReadOnlyList<float[]> rows) => (Encrypt(rows), Encrypt(rows));
}

/// <summary>
/// Scale-And-Perturb through <see cref="VeilClient"/> with a throwaway secret and IV stream both derived from the seed
/// (reproducible runs; the secret never leaves the process).
/// </summary>
internal sealed class ScaleAndPerturbTransform : VectorTransform
{
    private readonly VeilClient _client;
    private readonly VectorEncryptor _encryptor;

    public ScaleAndPerturbTransform(float beta, bool useScalingFactor, int seed, VectorKeyTransform keyTransform = VectorKeyTransform.AlloyPermutation)
    {
        byte[] secretBytes = new byte[64];
        new Random(seed).NextBytes(secretBytes);
        SecretPath path = new SecretPath("evaluation");
        var configuration = new VeilConfiguration(new Dictionary<SecretPath, VectorSecret>
        {
            [path] = new(beta, new RotatableSecret(new IdentifiedSecret(new KeyId(1), new Secret(secretBytes))), useScalingFactor) { KeyTransform = keyTransform },
        });
        _client = InsecureSeededClient.Create(configuration, seed);
        _encryptor = _client.Vector.GetEncryptor(path, new DerivationPath("evaluation"), new TenantId("evaluation-tenant"));
    }

    public override float[][] Encrypt(IReadOnlyList<float[]> rows)
    {
        int d = rows[0].Length;
        float[] ciphertexts = new float[rows.Count * d];
        bool[] ok = _encryptor.EncryptOneWayBatch(d, Flatten(rows, d), ciphertexts);
        ThrowIfFailed(ok);
        return Split(ciphertexts, rows.Count, d);
    }

    public override (float[][] Ciphertexts, float[][] Decrypted) EncryptAndDecrypt(IReadOnlyList<float[]> rows)
    {
        int d = rows[0].Length;
        float[] ciphertexts = new float[rows.Count * d];
        byte[] infos = new byte[rows.Count * VectorEncryptor.PairedIclInfoLength];
        ThrowIfFailed(_encryptor.EncryptBatch(d, Flatten(rows, d), ciphertexts, infos));
        float[] decrypted = new float[rows.Count * d];
        ThrowIfFailed(_encryptor.TryDecryptBatch(d, ciphertexts, infos, decrypted));
        return (Split(ciphertexts, rows.Count, d), Split(decrypted, rows.Count, d));
    }

    public override void Dispose()
    {
        _client.Dispose();
        foreach (VectorSecret secret in _client.Configuration.Vector.Values)
        {
            secret.Secrets.Current?.Secret.Dispose();
        }

        base.Dispose();
    }

    private static void ThrowIfFailed(bool[] succeeded)
    {
        int failed = succeeded.Count(s => !s);
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} rows could not be encrypted or decrypted (NaN, infinity or overflow in the input?).");
        }
    }
}
