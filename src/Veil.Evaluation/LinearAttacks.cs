using System.Diagnostics.CodeAnalysis;
using MathNet.Numerics.LinearAlgebra;

namespace Veil.Evaluation;

/// <summary>
/// Known-plaintext inversions of a linear-plus-noise transform: ridge regression (L1) and orthogonal Procrustes (L2).
/// Both learn a d × d map W with C·W ≈ M from N known (ciphertext, plaintext) row pairs.
/// </summary>
[Experimental("VEIL001")]
public static class LinearAttacks
{
    /// <summary>
    /// Ridge regression: W = (CᵀC + α′I)⁻¹CᵀM with α′ = α·trace(CᵀC)/d (α is relative to the mean eigenvalue), solved
    /// by Cholesky.
    /// </summary>
    public static Matrix<double> Ridge(IReadOnlyList<float[]> ciphertexts, IReadOnlyList<float[]> plaintexts, double alpha) =>
        Ridge(ciphertexts, plaintexts, [alpha])[0];

    /// <summary>Ridge regression for each of several α, sharing CᵀC and CᵀM.</summary>
    public static IReadOnlyList<Matrix<double>> Ridge(IReadOnlyList<float[]> ciphertexts, IReadOnlyList<float[]> plaintexts, IReadOnlyList<double> alphas)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        Matrix<double> c = ToMatrix(ciphertexts);
        Matrix<double> gram = c.TransposeThisAndMultiply(c);
        Matrix<double> cross = c.TransposeThisAndMultiply(ToMatrix(plaintexts));
        double mean = gram.Trace() / gram.RowCount;
        return alphas.Select(alpha =>
        {
            Matrix<double> regularised = gram.Clone();
            double regulariser = Math.Max(alpha * mean, 1e-12);
            for (int i = 0; i < regularised.RowCount; i++)
            {
                regularised[i, i] += regulariser;
            }

            return regularised.Cholesky().Solve(cross);
        }).ToArray();
    }

    /// <summary>
    /// Orthogonal Procrustes on unit-normalised rows: W = UVᵀ from the SVD CᵀM = UΣVᵀ, the orthogonal map that best
    /// sends the ciphertext directions to the plaintext directions.
    /// </summary>
    public static Matrix<double> Procrustes(IReadOnlyList<float[]> ciphertexts, IReadOnlyList<float[]> plaintexts)
    {
        Matrix<double> c = Normalise(ToMatrix(ciphertexts));
        Matrix<double> m = Normalise(ToMatrix(plaintexts));
        MathNet.Numerics.LinearAlgebra.Factorization.Svd<double> svd = c.TransposeThisAndMultiply(m).Svd(computeVectors: true);
        return svd.U * svd.VT;
    }

    /// <summary>Applies a learned map to ciphertext rows: the recovered plaintext estimates, one per row.</summary>
    public static float[][] Apply(Matrix<double> map, IReadOnlyList<float[]> ciphertexts)
    {
        ArgumentNullException.ThrowIfNull(map);
        Matrix<double> recovered = ToMatrix(ciphertexts) * map;
        var rows = new float[recovered.RowCount][];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = recovered.Row(i).Select(v => (float)v).ToArray();
        }

        return rows;
    }

    internal static Matrix<double> ToMatrix(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("At least one row is needed.", nameof(rows));
        }

        return Matrix<double>.Build.Dense(rows.Count, rows[0].Length, (i, j) => rows[i][j]);
    }

    private static Matrix<double> Normalise(Matrix<double> rows) => rows.NormalizeRows(2.0);
}
