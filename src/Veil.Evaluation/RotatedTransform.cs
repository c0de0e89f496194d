using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Veil.Evaluation;

/// <summary>
/// <b>Evaluation only, not a Veil or Alloy key transform:</b> a seeded dense random orthogonal matrix Q applied to each
/// plaintext before Scale-And-Perturb (so the key transform is s·P·Q instead of s·P), to measure whether an alignment
/// attack that does not rely on coordinates (L11) also defeats a rotation.
/// </summary>
internal sealed class RotatedTransform : VectorTransform
{
    private readonly VectorTransform _inner;
    private readonly float[][] _rows;
    private readonly float[][] _columns;

    public RotatedTransform(VectorTransform inner, int dimensions, int seed)
    {
        _inner = inner;
        Matrix<double> q = RandomOrthogonal(dimensions, seed);
        _rows = Enumerable.Range(0, dimensions).Select(i => q.Row(i).Select(x => (float)x).ToArray()).ToArray();
        _columns = Enumerable.Range(0, dimensions).Select(j => q.Column(j).Select(x => (float)x).ToArray()).ToArray();
    }

    public override float[][] Encrypt(IReadOnlyList<float[]> rows) => _inner.Encrypt(Multiply(_rows, rows));

    public override (float[][] Ciphertexts, float[][] Decrypted) EncryptAndDecrypt(IReadOnlyList<float[]> rows)
    {
        (float[][] ciphertexts, float[][] decrypted) = _inner.EncryptAndDecrypt(Multiply(_rows, rows));
        return (ciphertexts, Multiply(_columns, decrypted));
    }

    public override void Dispose()
    {
        _inner.Dispose();
        base.Dispose();
    }

    /// <summary>A Haar-random orthogonal matrix: QR of a Gaussian matrix, with R's diagonal signs moved into Q.</summary>
    internal static Matrix<double> RandomOrthogonal(int d, int seed)
    {
        var random = new Random(seed);
        Matrix<double> g = Matrix<double>.Build.Dense(d, d, (_, _) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        MathNet.Numerics.LinearAlgebra.Factorization.QR<double> qr = g.QR();
        Matrix<double> q = qr.Q.Clone();
        for (int j = 0; j < d; j++)
        {
            if (qr.R[j, j] < 0)
            {
                q.SetColumn(j, q.Column(j).Negate());
            }
        }

        return q;
    }

    /// <summary>M·x for every row x, M given by its rows.</summary>
    private static float[][] Multiply(float[][] matrixRows, IReadOnlyList<float[]> rows)
    {
        var result = new float[rows.Count][];
        Parallel.For(0, rows.Count, i =>
        {
            float[] y = new float[matrixRows.Length];
            for (int j = 0; j < y.Length; j++)
            {
                y[j] = TensorPrimitives.Dot(matrixRows[j], rows[i]);
            }

            result[i] = y;
        });
        return result;
    }
}
