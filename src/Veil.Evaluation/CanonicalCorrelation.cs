using System.Diagnostics.CodeAnalysis;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Veil.Evaluation;

/// <summary>
/// L10, a linear-Gaussian proxy for the mutual information between plaintexts M and ciphertexts C: canonical
/// correlation analysis (Hotelling, 1936) between the two, and Î = −½ Σ log(1 − ρᵢ²) nats, which is the mutual
/// information of jointly Gaussian variables with canonical correlations ρᵢ. Embeddings are not Gaussian: the number is
/// a proxy, not a bound.
/// </summary>
[Experimental("VEIL001")]
public static class CanonicalCorrelation
{
    /// <summary>The largest ρ² counted in <see cref="MutualInformation"/> (ρ = 1 would be infinite information).</summary>
    public const double MaximumSquaredCorrelation = 1 - 1e-6;

    /// <summary>
    /// The canonical correlations of the columns of <paramref name="x"/> and <paramref name="y"/> (rows are paired
    /// observations), largest first: the singular values of QₓᵀQᵧ, where Q are the orthonormal bases (thin QR) of the
    /// centred matrices (Björck and Golub, 1973). Each matrix needs full column rank and more rows than columns.
    /// </summary>
    public static double[] Correlations(Matrix<double> x, Matrix<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        (Matrix<double> qx, _) = Basis(x);
        (Matrix<double> qy, _) = Basis(y);
        return qx.TransposeThisAndMultiply(qy).Svd(computeVectors: false).S.Select(s => Math.Clamp(s, 0, 1)).ToArray();
    }

    /// <summary>
    /// Fits canonical directions on the <paramref name="xTrain"/>/<paramref name="yTrain"/> rows and returns the
    /// correlation of each pair of canonical variates on the held-out <paramref name="xTest"/>/<paramref name="yTest"/>
    /// rows, in the order of the training correlations. Held out, chance pairings give ρ ≈ 0 instead of the large
    /// in-sample correlations that a few hundred rows of many columns always show.
    /// </summary>
    public static double[] HeldOutCorrelations(Matrix<double> xTrain, Matrix<double> yTrain, Matrix<double> xTest, Matrix<double> yTest)
    {
        ArgumentNullException.ThrowIfNull(xTrain);
        ArgumentNullException.ThrowIfNull(yTrain);
        ArgumentNullException.ThrowIfNull(xTest);
        ArgumentNullException.ThrowIfNull(yTest);
        (Matrix<double> qx, Matrix<double> rx) = Basis(xTrain);
        (Matrix<double> qy, Matrix<double> ry) = Basis(yTrain);
        Svd<double> svd = qx.TransposeThisAndMultiply(qy).Svd(computeVectors: true);
        int k = Math.Min(rx.RowCount, ry.RowCount);

        // Canonical weights: a = R⁻¹u, b = R⁻¹v (x·a = Q·u on the training rows).
        Matrix<double> a = rx.Solve(svd.U.SubMatrix(0, rx.RowCount, 0, k));
        Matrix<double> b = ry.Solve(svd.VT.Transpose().SubMatrix(0, ry.RowCount, 0, k));
        Matrix<double> u = Centre(xTest, Means(xTrain)) * a;
        Matrix<double> v = Centre(yTest, Means(yTrain)) * b;
        return Enumerable.Range(0, k).Select(i => Metrics.Pearson(u.Column(i).ToArray(), v.Column(i).ToArray())).ToArray();
    }

    /// <summary>Î = −½ Σ log(1 − ρᵢ²) in nats, with ρᵢ² capped at <see cref="MaximumSquaredCorrelation"/> and negative ρ counted as 0.</summary>
    public static double MutualInformation(IEnumerable<double> correlations)
    {
        ArgumentNullException.ThrowIfNull(correlations);
        return correlations.Sum(r => -0.5 * Math.Log(1 - Math.Min(Math.Max(r, 0) * Math.Max(r, 0), MaximumSquaredCorrelation)));
    }

    /// <summary>
    /// The scores of the rows on their <paramref name="components"/> leading principal components (the eigenvectors of
    /// the covariance), so that CCA sees a few well-estimated directions instead of every noisy column.
    /// </summary>
    public static Matrix<double> PrincipalScores(Matrix<double> rows, int components)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Matrix<double> centred = Centre(rows, Means(rows));
        Evd<double> evd = centred.TransposeThisAndMultiply(centred).Evd(Symmetricity.Symmetric);
        int d = rows.ColumnCount;
        int k = Math.Min(components, d);

        // MathNet orders symmetric eigenvalues ascending: the last k columns are the leading components.
        return rows * evd.EigenVectors.SubMatrix(0, d, d - k, k);
    }

    private static (Matrix<double> Q, Matrix<double> R) Basis(Matrix<double> rows)
    {
        if (rows.RowCount <= rows.ColumnCount)
        {
            throw new ArgumentException("CCA needs more rows than columns.", nameof(rows));
        }

        QR<double> qr = Centre(rows, Means(rows)).QR(QRMethod.Thin);
        return (qr.Q, qr.R);
    }

    private static Vector<double> Means(Matrix<double> rows) => rows.ColumnSums() / rows.RowCount;

    private static Matrix<double> Centre(Matrix<double> rows, Vector<double> means) =>
        rows - Matrix<double>.Build.Dense(rows.RowCount, rows.ColumnCount, (_, j) => means[j]);
}
