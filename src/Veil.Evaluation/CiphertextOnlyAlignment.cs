using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Veil.Evaluation;

/// <summary>
/// L3, ciphertexts only: aligns stolen ciphertexts with a public corpus embedded by the same model, in the spirit of
/// mini-vec2vec. Both sets are centred and unit-normalised; the start is L4's coordinate matching from per-coordinate
/// statistics; then, repeatedly, mutual nearest neighbours across the two sets become pseudo-pairs, and the
/// coordinate map is refitted on them by Procrustes restricted to permutations (the assignment maximising
/// trace(PᵀCᵀM), Hungarian), since Scale-And-Perturb's key transform is a scaled coordinate permutation.
/// </summary>
[Experimental("VEIL001")]
public static class CiphertextOnlyAlignment
{
    /// <summary>
    /// The alignment: for each ciphertext coordinate the public coordinate it is mapped to, the number of iterations
    /// run and the mutual-nearest-neighbour pseudo-pairs of the last one.
    /// </summary>
    public static (int[] Map, int Iterations, int Pairs) Align(IReadOnlyList<float[]> ciphertexts, IReadOnlyList<float[]> publicCorpus, int maxIterations = 20)
    {
        ArgumentNullException.ThrowIfNull(ciphertexts);
        ArgumentNullException.ThrowIfNull(publicCorpus);
        float[][] c = CentredUnit(ciphertexts);
        float[][] p = CentredUnit(publicCorpus);
        int d = c[0].Length;
        int[] map = PermutationAttack.Recover(ciphertexts, publicCorpus);
        int iterations = 0;
        (int Cipher, int Public)[] pairs = [];
        while (iterations < maxIterations)
        {
            iterations++;
            pairs = MutualNearest(Apply(map, c), p);
            // Procrustes over permutations: maximise Σ_pairs ⟨P·c, m⟩, a linear assignment on the cross-covariance CᵀM.
            Matrix<double> covariance = LinearAttacks.ToMatrix(pairs.Select(x => c[x.Cipher]).ToArray())
                .TransposeThisAndMultiply(LinearAttacks.ToMatrix(pairs.Select(x => p[x.Public]).ToArray()));
            double[,] cost = new double[d, d];
            for (int j = 0; j < d; j++)
            {
                for (int l = 0; l < d; l++)
                {
                    cost[j, l] = -covariance[j, l];
                }
            }

            int[] next = PermutationAttack.Hungarian(cost);
            if (next.SequenceEqual(map))
            {
                break;
            }

            map = next;
        }

        return (map, iterations, pairs.Length);
    }

    /// <summary>Rows with coordinate j moved to map[j].</summary>
    public static float[][] Apply(int[] map, IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Select(r =>
        {
            float[] moved = new float[r.Length];
            for (int j = 0; j < r.Length; j++)
            {
                moved[map[j]] = r[j];
            }

            return moved;
        }).ToArray();
    }

    /// <summary>Each row minus the set's mean, scaled to unit length.</summary>
    public static float[][] CentredUnit(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        float[] mean = new float[rows[0].Length];
        foreach (float[] row in rows)
        {
            TensorPrimitives.Add(mean, row, mean);
        }

        TensorPrimitives.Divide(mean, rows.Count, mean);
        return rows.Select(r =>
        {
            float[] centred = new float[r.Length];
            TensorPrimitives.Subtract(r, mean, centred);
            float norm = TensorPrimitives.Norm(centred);
            if (norm > 0)
            {
                TensorPrimitives.Divide(centred, norm, centred);
            }

            return centred;
        }).ToArray();
    }

    private static (int Cipher, int Public)[] MutualNearest(float[][] mapped, float[][] corpus)
    {
        int[] bestPublic = new int[mapped.Length];
        int[] bestCipher = new int[corpus.Length];
        float[] bestCipherScore = Enumerable.Repeat(float.NegativeInfinity, corpus.Length).ToArray();
        float[] scores = new float[corpus.Length];
        for (int i = 0; i < mapped.Length; i++)
        {
            for (int k = 0; k < corpus.Length; k++)
            {
                scores[k] = TensorPrimitives.Dot(mapped[i], corpus[k]);
                if (scores[k] > bestCipherScore[k])
                {
                    bestCipherScore[k] = scores[k];
                    bestCipher[k] = i;
                }
            }

            bestPublic[i] = TensorPrimitives.IndexOfMax(scores);
        }

        return Enumerable.Range(0, mapped.Length).Where(i => bestCipher[bestPublic[i]] == i).Select(i => (i, bestPublic[i])).ToArray();
    }
}
