using MathNet.Numerics.LinearAlgebra;
using Veil.Evaluation;

namespace Veil.Evaluation.Tests;

/// <summary>k-means, ridge and Procrustes on data with known answers.</summary>
public sealed class LinearAlgebraTests
{
    [Fact]
    public void KMeans_SeparatedBlobs_FindsThemExactly()
    {
        var random = new Random(3);
        float[][] centres = [[10, 0, 0], [0, 10, 0], [0, 0, 10]];
        int[] truth = Enumerable.Range(0, 90).Select(i => i % 3).ToArray();
        float[][] rows = truth.Select(c => centres[c].Select(v => v + (float)(random.NextDouble() - 0.5)).ToArray()).ToArray();

        int[] clusters = KMeans.Cluster(rows, 3, seed: 7);

        Assert.Equal(1.0, Metrics.AdjustedRandIndex(truth, clusters), 12);
    }

    [Fact]
    public void RidgeAndProcrustes_NoiselessOrthogonalMap_RecoverItExactly()
    {
        const int d = 16;
        var random = new Random(5);
        Matrix<double> q = Matrix<double>.Build.Dense(d, d, (_, _) => random.NextDouble() - 0.5).QR().Q;
        float[][] plain = Enumerable.Range(0, 64).Select(_ => Unit(Enumerable.Range(0, d).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray())).ToArray();
        // c = m·Qᵀ, so the inverse map is Q.
        float[][] cipher = LinearAttacks.Apply(q.Transpose(), plain);

        Matrix<double> ridge = LinearAttacks.Ridge(cipher, plain, alpha: 1e-9);
        Matrix<double> procrustes = LinearAttacks.Procrustes(cipher, plain);

        Assert.True((ridge - q).FrobeniusNorm() < 1e-4, $"ridge error {(ridge - q).FrobeniusNorm()}");
        Assert.True((procrustes - q).FrobeniusNorm() < 1e-4, $"Procrustes error {(procrustes - q).FrobeniusNorm()}");
        (double cosine, double top1, _) = Evaluator.Score(LinearAttacks.Apply(procrustes, cipher), plain);
        Assert.Equal(1.0, cosine, 4);
        Assert.Equal(1.0, top1);
    }

    [Fact]
    public void Procrustes_PermutationAndScale_RecoversThePermutation()
    {
        const int d = 12;
        var random = new Random(9);
        int[] permutation = Enumerable.Range(0, d).ToArray();
        random.Shuffle(permutation);
        float[][] plain = Enumerable.Range(0, 40).Select(_ => Unit(Enumerable.Range(0, d).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray())).ToArray();
        float[][] cipher = plain.Select(m => Enumerable.Range(0, d).Select(j => 3f * m[permutation[j]]).ToArray()).ToArray();

        Matrix<double> w = LinearAttacks.Procrustes(cipher, plain);

        for (int j = 0; j < d; j++)
        {
            Assert.Equal(1.0, w[j, permutation[j]], 6);
        }
    }

    [Fact]
    public void Hungarian_HandComputedCase_FindsTheMinimumAssignment()
    {
        // Rows → columns: 0→1 (1), 1→0 (2), 2→2 (2): total 5; every other assignment costs more.
        double[,] cost = { { 4, 1, 3 }, { 2, 0, 5 }, { 3, 2, 2 } };
        Assert.Equal([1, 0, 2], PermutationAttack.Hungarian(cost));
    }

    [Fact]
    public void PermutationAttack_ShuffledCoordinatesWithoutNoise_RecoversMostOfThem()
    {
        const int d = 24;
        var random = new Random(4);
        // Coordinates with distinct means and spreads, so their statistics identify them.
        float[][] corpus = Enumerable.Range(0, 4000).Select(_ => Enumerable.Range(0, d).Select(j => (float)((j * 0.1) + ((1 + (j % 5)) * (random.NextDouble() - 0.5)))).ToArray()).ToArray();
        int[] permutation = Enumerable.Range(0, d).ToArray();
        random.Shuffle(permutation);
        float[][] cipher = corpus[2000..].Select(m => Enumerable.Range(0, d).Select(j => m[permutation[j]]).ToArray()).ToArray();

        int[] guess = PermutationAttack.Recover(cipher, corpus[..2000]);

        Assert.True(guess.Where((g, j) => g == permutation[j]).Count() >= d - 2, string.Join(",", guess) + " vs " + string.Join(",", permutation));
    }

    private static float[] Unit(float[] v)
    {
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }
}
