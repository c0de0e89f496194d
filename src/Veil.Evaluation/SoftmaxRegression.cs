using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;

namespace Veil.Evaluation;

/// <summary>
/// Multinomial logistic regression with an L2 penalty, fitted by Nesterov-accelerated gradient descent with step 1/L
/// (L bounds the Lipschitz constant of the gradient), on features standardised with the training rows' mean and
/// standard deviation. The loss is convex, so a fixed number of iterations from zero weights is reproducible.
/// </summary>
[Experimental("VEIL001")]
public sealed class SoftmaxRegression
{
    private readonly float[][] _weights;
    private readonly float[] _mean;
    private readonly float[] _scale;

    private SoftmaxRegression(float[][] weights, float[] mean, float[] scale)
    {
        _weights = weights;
        _mean = mean;
        _scale = scale;
    }

    /// <summary>The number of classes (labels are 0 … Classes − 1).</summary>
    public int Classes => _weights.Length;

    /// <summary>Fits the model to <paramref name="rows"/> with class <paramref name="labels"/> (0-based) and penalty λ‖W‖²/2.</summary>
    public static SoftmaxRegression Fit(IReadOnlyList<float[]> rows, IReadOnlyList<int> labels, double lambda, int iterations = 300)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows.Count != labels.Count || rows.Count == 0 || labels.Any(l => l < 0))
        {
            throw new ArgumentException("Every row needs a label (0 or more).", nameof(labels));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(lambda);
        int n = rows.Count;
        int d = rows[0].Length;
        float[] mean = new float[d];
        foreach (float[] row in rows)
        {
            TensorPrimitives.Add(mean, row, mean);
        }

        TensorPrimitives.Divide(mean, n, mean);
        float[] scale = new float[d];
        foreach (float[] row in rows)
        {
            for (int j = 0; j < d; j++)
            {
                scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
            }
        }

        for (int j = 0; j < d; j++)
        {
            scale[j] = scale[j] > 0 ? MathF.Sqrt(scale[j] / n) : 1;
        }

        float[][] x = rows.Select(r => Design(r, mean, scale)).ToArray();
        int classes = labels.Max() + 1;

        // The softmax cross-entropy's Hessian is at most ½·XᵀX/n (Böhning, 1992); its largest eigenvalue by power iteration.
        float step = (float)(1 / ((0.5 * LargestEigenvalue(x)) + lambda));
        float[][] w = NewMatrix(classes, d + 1);
        float[][] previous = NewMatrix(classes, d + 1);
        float[][] look = NewMatrix(classes, d + 1);
        float[][] gradient = NewMatrix(classes, d + 1);
        float[] p = new float[classes];
        for (int t = 1; t <= iterations; t++)
        {
            float momentum = (t - 1f) / (t + 2f);
            for (int c = 0; c < classes; c++)
            {
                // look = w + momentum·(w − previous); the gradient starts with the penalty λ·look.
                TensorPrimitives.Subtract(w[c], previous[c], look[c]);
                TensorPrimitives.MultiplyAdd(look[c], momentum, w[c], look[c]);
                TensorPrimitives.Multiply(look[c], (float)lambda, gradient[c]);
            }

            for (int i = 0; i < n; i++)
            {
                Probabilities(look, x[i], p);
                p[labels[i]] -= 1;
                for (int c = 0; c < classes; c++)
                {
                    TensorPrimitives.MultiplyAdd(x[i], p[c] / n, gradient[c], gradient[c]);
                }
            }

            (previous, w) = (w, previous);
            for (int c = 0; c < classes; c++)
            {
                TensorPrimitives.MultiplyAdd(gradient[c], -step, look[c], w[c]);
            }
        }

        return new SoftmaxRegression(w, mean, scale);
    }

    /// <summary>The most probable class of each row.</summary>
    public int[] Predict(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        float[] p = new float[Classes];
        return rows.Select(r =>
        {
            Probabilities(_weights, Design(r, _mean, _scale), p);
            return TensorPrimitives.IndexOfMax(p);
        }).ToArray();
    }

    /// <summary>Standardised features with a constant 1 appended for the intercept.</summary>
    private static float[] Design(float[] row, float[] mean, float[] scale)
    {
        float[] x = new float[row.Length + 1];
        TensorPrimitives.Subtract(row, mean, x.AsSpan(0, row.Length));
        TensorPrimitives.Divide(x.AsSpan(0, row.Length), scale, x.AsSpan(0, row.Length));
        x[^1] = 1;
        return x;
    }

    private static void Probabilities(float[][] weights, float[] x, float[] p)
    {
        for (int c = 0; c < weights.Length; c++)
        {
            p[c] = TensorPrimitives.Dot(weights[c], x);
        }

        TensorPrimitives.SoftMax(p, p);
    }

    private static float[][] NewMatrix(int rows, int columns) => Enumerable.Range(0, rows).Select(_ => new float[columns]).ToArray();

    /// <summary>The largest eigenvalue of XᵀX/n by power iteration, with a margin (it approaches from below).</summary>
    private static double LargestEigenvalue(float[][] x)
    {
        float[] v = Enumerable.Repeat(1f, x[0].Length).ToArray();
        float[] next = new float[v.Length];
        double value = 0;
        for (int iteration = 0; iteration < 50; iteration++)
        {
            Array.Clear(next);
            foreach (float[] row in x)
            {
                TensorPrimitives.MultiplyAdd(row, TensorPrimitives.Dot(row, v) / x.Length, next, next);
            }

            value = TensorPrimitives.Norm(next) / TensorPrimitives.Norm(v);
            TensorPrimitives.Divide(next, TensorPrimitives.Norm(next), v);
        }

        return value * 1.1;
    }
}
