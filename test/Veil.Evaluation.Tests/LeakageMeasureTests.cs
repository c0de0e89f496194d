using MathNet.Numerics.LinearAlgebra;
using Veil.Evaluation;

namespace Veil.Evaluation.Tests;

/// <summary>L3 alignment, the L8 probe's classifier and L10's canonical correlations on cases with known answers.</summary>
public sealed class LeakageMeasureTests
{
    [Fact]
    public void CanonicalCorrelations_OfMixedCorrelatedGaussians_MatchTheConstruction()
    {
        // y_i = ρ_i·x_i + √(1−ρ_i²)·z_i has canonical correlations ρ; invertible mixing of either side leaves them unchanged.
        double[] rho = [0.9, 0.6, 0.3, 0];
        const int n = 20000;
        var random = new Random(12);
        Matrix<double> x = Matrix<double>.Build.Dense(n, rho.Length, (_, _) => Gaussian(random));
        Matrix<double> y = Matrix<double>.Build.Dense(n, rho.Length, (i, j) => (rho[j] * x[i, j]) + (Math.Sqrt(1 - (rho[j] * rho[j])) * Gaussian(random)));
        Matrix<double> mixX = Matrix<double>.Build.Dense(rho.Length, rho.Length, (i, j) => (i == j ? 2 : 0) + random.NextDouble());
        Matrix<double> mixY = Matrix<double>.Build.Dense(rho.Length, rho.Length, (i, j) => (i == j ? 1 : 0) + random.NextDouble() - 0.5);
        Matrix<double> a = x * mixX;
        Matrix<double> b = (y * mixY) + 5;

        double[] inSample = CanonicalCorrelation.Correlations(a, b);
        double[] heldOut = CanonicalCorrelation.HeldOutCorrelations(a.SubMatrix(0, n / 2, 0, 4), b.SubMatrix(0, n / 2, 0, 4), a.SubMatrix(n / 2, n / 2, 0, 4), b.SubMatrix(n / 2, n / 2, 0, 4));

        for (int i = 0; i < rho.Length; i++)
        {
            Assert.InRange(inSample[i], rho[i] - 0.02, rho[i] + 0.02);
            Assert.InRange(heldOut[i], rho[i] - 0.03, rho[i] + 0.03);
        }

        double expected = -0.5 * rho.Sum(r => Math.Log(1 - (r * r)));
        Assert.InRange(CanonicalCorrelation.MutualInformation(heldOut), expected - 0.05, expected + 0.05);
    }

    [Fact]
    public void MutualInformation_IsTheGaussianFormula_CappedAtPerfectCorrelation()
    {
        Assert.Equal(-0.5 * Math.Log(1 - 0.36), CanonicalCorrelation.MutualInformation([0.6]), 12);
        Assert.Equal(0, CanonicalCorrelation.MutualInformation([0, -0.4]), 12);
        Assert.Equal(2 * 0.5 * Math.Log(1e6), CanonicalCorrelation.MutualInformation([1, 1]), 6);
    }

    [Fact]
    public void Alignment_OfAPermutedCorpusWithoutNoise_RecoversThePermutationAndEveryRow()
    {
        EvaluationData data = SyntheticData.Generate(count: 600, dimensions: 32, seed: 3);
        float[][] rows = [.. data.Vectors];
        int[] permutation = Enumerable.Range(0, 32).ToArray();
        new Random(8).Shuffle(permutation);

        // "Encryption" moves plaintext coordinate permutation[j] to ciphertext coordinate j; the attacker holds half the stolen rows' plaintexts.
        float[][] stolen = rows[..300].Select(m => Enumerable.Range(0, 32).Select(j => m[permutation[j]]).ToArray()).ToArray();
        float[][] corpus = [.. rows[..150], .. rows[300..450]];

        (int[] map, _, int pairs) = CiphertextOnlyAlignment.Align(stolen, corpus);

        Assert.Equal(permutation, map);
        Assert.True(pairs >= 150, $"{pairs} pseudo-pairs");
        (double cosine, double top1, _) = Evaluator.Score(CiphertextOnlyAlignment.Apply(map, CiphertextOnlyAlignment.CentredUnit(stolen))[..150], CiphertextOnlyAlignment.CentredUnit(corpus));
        Assert.Equal(1.0, top1);
        // Not exactly 1: each set is centred on its own mean.
        Assert.True(cosine > 0.99, $"cos {cosine}");
    }

    [Fact]
    public void SoftmaxRegression_SeparatesBlobs_AndCannotBeatTheMajorityOnNoise()
    {
        var random = new Random(2);
        float[][] centres = [[4, 0, 0, 0], [0, 4, 0, 0], [0, 0, 4, 0]];
        int[] labels = Enumerable.Range(0, 300).Select(i => i % 3).ToArray();
        float[][] rows = labels.Select(c => centres[c].Select(v => v + (float)Gaussian(random)).ToArray()).ToArray();
        SoftmaxRegression model = SoftmaxRegression.Fit(rows[..150], labels[..150], lambda: 0.01);
        Assert.Equal(3, model.Classes);
        Assert.True(model.Predict(rows[150..]).Where((p, i) => p == labels[150 + i]).Count() >= 147);

        // Labels independent of the rows: held-out accuracy stays near the 1/3 a constant guess gets.
        int[] noise = Enumerable.Range(0, 2000).Select(_ => random.Next(3)).ToArray();
        float[][] unrelated = noise.Select(_ => Enumerable.Range(0, 4).Select(_ => (float)Gaussian(random)).ToArray()).ToArray();
        int[] predicted = SoftmaxRegression.Fit(unrelated[..1000], noise[..1000], lambda: 0.01).Predict(unrelated[1000..]);
        Assert.InRange(predicted.Where((p, i) => p == noise[1000 + i]).Count() / 1000.0, 0.28, 0.39);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
