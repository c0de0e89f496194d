using System.Diagnostics.CodeAnalysis;
using MathNet.Numerics.LinearAlgebra;

namespace Veil.Evaluation;

/// <summary>
/// L11, ciphertexts only, without relying on coordinates: aligns stolen ciphertexts with a public corpus of the same
/// model by an orthogonal map, so it works against any key transform that is a (scaled) rotation, not only a
/// permutation. Both sets are centred and unit-normalised; the start matches the covariance eigenvectors of the two
/// sets in order of eigenvalue, each sign fixed by the third moment (skew) of the rows' projections on it; then,
/// repeatedly, mutual nearest neighbours across the two sets become pseudo-pairs and the map is refitted on them by
/// orthogonal Procrustes (W = UVᵀ from the SVD of Σ p cᵀ), in the spirit of mini-vec2vec.
/// </summary>
[Experimental("VEIL001")]
public static class OrthogonalAlignment
{
    /// <summary>
    /// The d × d orthogonal map W sending a centred, unit-normalised ciphertext c to W·c in the public corpus's
    /// (centred) space, the rounds run and the pseudo-pairs of the last round. With more rows than
    /// <paramref name="pairSample"/> on a side, each round pairs a fresh random sample of that many rows of each set
    /// (the eigenvectors and moments use every row), so a round costs O(sample²·d + d³).
    /// </summary>
    public static (Matrix<double> Map, int Iterations, int Pairs) Align(
        IReadOnlyList<float[]> ciphertexts, IReadOnlyList<float[]> publicCorpus, int maxIterations = 30, int pairSample = 3000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(ciphertexts);
        ArgumentNullException.ThrowIfNull(publicCorpus);
        float[][] c = CiphertextOnlyAlignment.CentredUnit(ciphertexts);
        float[][] p = CiphertextOnlyAlignment.CentredUnit(publicCorpus);
        Matrix<double> map = Start(c, p);
        var random = new Random(seed);
        int iterations = 0;
        int pairs = 0;
        while (iterations < maxIterations)
        {
            iterations++;
            int[] cs = CiphertextOnlyAlignment.Sample(c.Length, pairSample, random);
            int[] ps = CiphertextOnlyAlignment.Sample(p.Length, pairSample, random);
            (int Left, int Right)[] found = MutualNeighbours.Find(Apply(map, cs.Select(i => c[i]).ToArray()), ps.Select(i => p[i]).ToArray());
            pairs = found.Length;
            if (pairs == 0)
            {
                break;
            }

            Matrix<double> next = Procrustes(found.Select(x => c[cs[x.Left]]).ToArray(), found.Select(x => p[ps[x.Right]]).ToArray());
            double change = (next - map).FrobeniusNorm() / Math.Sqrt(map.RowCount);
            map = next;
            if (change < 1e-4)
            {
                break;
            }
        }

        return (map, iterations, pairs);
    }

    /// <summary>
    /// The start: Σᵢ sᵢ·uᵢvᵢᵀ over the eigenvectors uᵢ of the public covariance and vᵢ of the ciphertext covariance,
    /// paired by rank of eigenvalue, with sᵢ = ±1 making the third moments of the projections agree in sign.
    /// </summary>
    public static Matrix<double> Start(IReadOnlyList<float[]> centredCiphertexts, IReadOnlyList<float[]> centredPublic)
    {
        Matrix<double> v = Eigenvectors(centredCiphertexts, out double[] cSkew);
        Matrix<double> u = Eigenvectors(centredPublic, out double[] pSkew);
        for (int i = 0; i < u.ColumnCount; i++)
        {
            if (Math.Sign(cSkew[i]) * Math.Sign(pSkew[i]) < 0)
            {
                u.SetColumn(i, u.Column(i).Negate());
            }
        }

        return u.TransposeAndMultiply(v);
    }

    /// <summary>Orthogonal Procrustes on row pairs: the orthogonal W maximising Σ ⟨W·cᵢ, pᵢ⟩ (W = UVᵀ, UΣVᵀ = Σ pᵢcᵢᵀ).</summary>
    public static Matrix<double> Procrustes(IReadOnlyList<float[]> from, IReadOnlyList<float[]> to)
    {
        MathNet.Numerics.LinearAlgebra.Factorization.Svd<double> svd = LinearAttacks.ToMatrix(to).TransposeThisAndMultiply(LinearAttacks.ToMatrix(from)).Svd(computeVectors: true);
        return svd.U * svd.VT;
    }

    /// <summary>W·x for every row x.</summary>
    public static float[][] Apply(Matrix<double> map, IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(rows);
        float[][] w = Enumerable.Range(0, map.RowCount).Select(i => map.Row(i).Select(x => (float)x).ToArray()).ToArray();
        var result = new float[rows.Count][];
        Parallel.For(0, rows.Count, i =>
        {
            float[] mapped = new float[w.Length];
            for (int j = 0; j < w.Length; j++)
            {
                mapped[j] = System.Numerics.Tensors.TensorPrimitives.Dot(w[j], rows[i]);
            }

            result[i] = mapped;
        });
        return result;
    }

    /// <summary>The covariance eigenvectors as columns, largest eigenvalue first, and the third moment of the projections on each.</summary>
    private static Matrix<double> Eigenvectors(IReadOnlyList<float[]> centred, out double[] skew)
    {
        Matrix<double> x = LinearAttacks.ToMatrix(centred);
        Matrix<double> covariance = x.TransposeThisAndMultiply(x) / x.RowCount;
        MathNet.Numerics.LinearAlgebra.Factorization.Evd<double> evd = covariance.Evd(Symmetricity.Symmetric);
        int d = covariance.RowCount;
        int[] order = Enumerable.Range(0, d).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        Matrix<double> vectors = Matrix<double>.Build.Dense(d, d, (r, k) => evd.EigenVectors[r, order[k]]);
        Matrix<double> projections = x * vectors;
        skew = new double[d];
        for (int k = 0; k < d; k++)
        {
            double sum = 0;
            for (int i = 0; i < projections.RowCount; i++)
            {
                double t = projections[i, k];
                sum += t * t * t;
            }

            skew[k] = sum;
        }

        return vectors;
    }
}
