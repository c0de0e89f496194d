using System.Diagnostics.CodeAnalysis;
using MathNet.Numerics.LinearAlgebra;

namespace Veil.Evaluation;

/// <summary>
/// Multinomial logistic regression with an L2 penalty, fitted by Nesterov-accelerated gradient descent with step 1/L
/// (L bounds the Lipschitz constant of the gradient), on features standardised with the training rows' mean and
/// standard deviation. The loss is convex, so a fixed number of iterations from zero weights is reproducible.
/// </summary>
[Experimental("VEIL001")]
public sealed class SoftmaxRegression
{
    private readonly Matrix<double> _weights;
    private readonly Vector<double> _mean;
    private readonly Vector<double> _scale;

    private SoftmaxRegression(Matrix<double> weights, Vector<double> mean, Vector<double> scale)
    {
        _weights = weights;
        _mean = mean;
        _scale = scale;
    }

    /// <summary>The number of classes (labels are 0 … Classes − 1).</summary>
    public int Classes => _weights.ColumnCount;

    /// <summary>Fits the model to <paramref name="rows"/> with class <paramref name="labels"/> (0-based) and penalty λ‖W‖²/2.</summary>
    public static SoftmaxRegression Fit(IReadOnlyList<float[]> rows, IReadOnlyList<int> labels, double lambda, int iterations = 300)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows.Count != labels.Count || rows.Count == 0)
        {
            throw new ArgumentException("Every row needs a label.", nameof(labels));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(lambda);
        Matrix<double> raw = LinearAttacks.ToMatrix(rows);
        Vector<double> mean = raw.ColumnSums() / raw.RowCount;
        Vector<double> scale = Vector<double>.Build.Dense(raw.ColumnCount, j =>
        {
            double sd = Math.Sqrt(raw.Column(j).Sum(v => (v - mean[j]) * (v - mean[j])) / raw.RowCount);
            return sd > 0 ? sd : 1;
        });
        Matrix<double> x = Design(raw, mean, scale);
        int n = x.RowCount;
        int classes = labels.Max() + 1;
        Matrix<double> targets = Matrix<double>.Build.Dense(n, classes, (i, c) => labels[i] == c ? 1 : 0);

        // The softmax cross-entropy's Hessian is at most ½·XᵀX/n (Böhning, 1992); its largest eigenvalue by power iteration.
        double lipschitz = (0.5 * LargestEigenvalue(x.TransposeThisAndMultiply(x) / n)) + lambda;
        double step = 1 / lipschitz;
        Matrix<double> w = Matrix<double>.Build.Dense(x.ColumnCount, classes);
        Matrix<double> previous = w.Clone();
        for (int t = 1; t <= iterations; t++)
        {
            Matrix<double> look = w + (((t - 1.0) / (t + 2.0)) * (w - previous));
            Matrix<double> gradient = (x.TransposeThisAndMultiply(Probabilities(x * look) - targets) / n) + (lambda * look);
            previous = w;
            w = look - (step * gradient);
        }

        return new SoftmaxRegression(w, mean, scale);
    }

    /// <summary>The most probable class of each row.</summary>
    public int[] Predict(IReadOnlyList<float[]> rows)
    {
        Matrix<double> scores = Design(LinearAttacks.ToMatrix(rows), _mean, _scale) * _weights;
        return Enumerable.Range(0, scores.RowCount).Select(i => scores.Row(i).MaximumIndex()).ToArray();
    }

    /// <summary>Standardised features with a constant column for the intercept.</summary>
    private static Matrix<double> Design(Matrix<double> raw, Vector<double> mean, Vector<double> scale) =>
        Matrix<double>.Build.Dense(raw.RowCount, raw.ColumnCount + 1, (i, j) => j == raw.ColumnCount ? 1 : (raw[i, j] - mean[j]) / scale[j]);

    private static Matrix<double> Probabilities(Matrix<double> scores)
    {
        Matrix<double> p = scores.Clone();
        for (int i = 0; i < p.RowCount; i++)
        {
            double max = p.Row(i).Maximum();
            double sum = 0;
            for (int c = 0; c < p.ColumnCount; c++)
            {
                p[i, c] = Math.Exp(p[i, c] - max);
                sum += p[i, c];
            }

            for (int c = 0; c < p.ColumnCount; c++)
            {
                p[i, c] /= sum;
            }
        }

        return p;
    }

    private static double LargestEigenvalue(Matrix<double> symmetric)
    {
        Vector<double> v = Vector<double>.Build.Dense(symmetric.RowCount, 1);
        double value = 0;
        for (int i = 0; i < 50; i++)
        {
            Vector<double> next = symmetric * v;
            value = next.L2Norm() / v.L2Norm();
            v = next.Normalize(2);
        }

        // Power iteration approaches the top eigenvalue from below; the margin keeps the step safe.
        return value * 1.1;
    }
}
